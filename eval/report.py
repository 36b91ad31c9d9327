"""Results of a run: ``results.json``, a Markdown table and a bar chart; side-by-side comparison of several runs.

``results.json`` holds ``{"run": <settings>, "benchmarks": {name: metrics}, "overall": metrics}`` with accuracies as
fractions; tables and charts show percentages. ``overall`` is the unweighted mean over benchmarks (the paper's "Avg.").
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import ScoredSample, benchmark_metrics, overall_metrics
from eval.records import SampleRecord

RESULTS_FILE = "results.json"
TABLE_FILE = "results.md"
CHART_FILE = "results.png"
OVERALL = "overall"


def compute_results(records: Sequence[SampleRecord], run: dict[str, Any]) -> dict[str, Any]:
    """Metrics per benchmark (in ``run["benchmarks"]`` order, else first appearance) and overall.

    Raises:
        ValueError: no records, or a benchmark whose problems have different sample counts.
    """
    if not records:
        raise ValueError("no samples to compute results from")
    grouped: dict[str, dict[str, list[ScoredSample]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        grouped[record.benchmark][record.problem_id].append(
            ScoredSample(record.sample_index, record.answer, record.correct, record.finish_reason,
                         record.answer_source)
        )
    order = [name for name in run.get("benchmarks", ()) if name in grouped]
    order += [name for name in grouped if name not in order]
    per_benchmark = {}
    for name in order:
        try:
            per_benchmark[name] = benchmark_metrics(grouped[name])
        except ValueError as error:
            raise ValueError(f"benchmark '{name}': {error}") from None
    try:
        overall = overall_metrics(per_benchmark)
    except ValueError as error:
        warnings.warn(f"no overall average: {error}", stacklevel=2)
        overall = None
    return {
        "run": run,
        "benchmarks": {name: metrics.to_json() for name, metrics in per_benchmark.items()},
        OVERALL: overall,
    }


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def results_table(results: dict[str, Any]) -> str:
    """A Markdown table of one run: one row per benchmark and an overall row."""
    rows = list(results["benchmarks"].items())
    if results.get(OVERALL):
        rows.append((OVERALL, results[OVERALL]))
    accuracy_keys = [key for key in rows[0][1] if "@" in key and key != "k"]
    header = ["benchmark", "problems", "samples", *accuracy_keys, "no answer", "truncated", "fallback answers"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, metrics in rows:
        cells = [
            name,
            str(metrics["num_problems"]),
            str(metrics["num_samples"]),
            *(_percent(metrics[key]) if key in metrics else "-" for key in accuracy_keys),
            str(metrics["no_answer"]),
            str(metrics["truncated"]),
            str(metrics.get("fallback_answers", "-")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def metric_value(metrics: dict[str, Any], metric: str) -> float | None:
    """``metric`` of one benchmark's metrics: ``avg``/``maj``/``pass`` mean ``@k`` for that run's k; or exact keys."""
    key = f"{metric}@{metrics['k']}" if metric in ("avg", "maj", "pass") else metric
    return metrics.get(key)


def _columns(runs: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """Benchmarks in first-seen order, then ``overall`` if every run has one over the same benchmarks."""
    names: list[str] = []
    for _, results in runs:
        names += [name for name in results["benchmarks"] if name not in names]
    if _overall_comparable(runs):
        names.append(OVERALL)
    return names


def _overall_comparable(runs: Sequence[tuple[str, dict[str, Any]]]) -> bool:
    suites = {tuple(results["benchmarks"]) for _, results in runs}
    return len(suites) == 1 and all(results.get(OVERALL) for _, results in runs)


def _lookup(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    return results.get(OVERALL) if name == OVERALL else results["benchmarks"].get(name)


def comparison_table(runs: Sequence[tuple[str, dict[str, Any]]], metric: str = "avg") -> str:
    """A Markdown table with one row per benchmark (and overall) and one column per run, values in percent."""
    header = ["benchmark", *(label for label, _ in runs)]
    lines = [f"metric: {metric}@k (percent)", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    if not _overall_comparable(runs):
        lines.insert(1, "no overall row: the runs cover different benchmarks")
    for name in _columns(runs):
        cells = [name]
        for _, results in runs:
            metrics = _lookup(results, name)
            value = metric_value(metrics, metric) if metrics else None
            cells.append("-" if value is None else _percent(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bar_chart(runs: Sequence[tuple[str, dict[str, Any]]], path: Path, metric: str = "avg") -> None:
    """Grouped bars: one group per benchmark (and overall), one bar per run, labelled with its value; a benchmark a
    run does not have gets no bar. Written as PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _columns(runs)
    width = 0.8 / len(runs)
    figure, axis = plt.subplots(figsize=(max(6.0, 1.2 * len(names) * max(1, len(runs)) ** 0.5), 4.0))
    for offset, (label, results) in enumerate(runs):
        values = []
        for name in names:
            metrics = _lookup(results, name)
            value = metric_value(metrics, metric) if metrics else None
            values.append(float("nan") if value is None else 100 * value)
        positions = [index + (offset - (len(runs) - 1) / 2) * width for index in range(len(names))]
        bars = axis.bar(positions, values, width=width, label=label)
        axis.bar_label(bars, fmt="%.1f", fontsize="x-small", padding=1)
    axis.set_xticks(range(len(names)), names, rotation=20)
    axis.set_ylabel(f"{metric}@k (%)")
    axis.set_ylim(0, 105)
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_results(out_dir: Path, results: dict[str, Any], label: str | None = None) -> None:
    """Write ``results.json``, ``results.md`` and ``results.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / TABLE_FILE).write_text(results_table(results))
    bar_chart([(label or out_dir.name, results)], out_dir / CHART_FILE)


def load_run(run_dir: str | Path) -> dict[str, Any]:
    """The ``results.json`` of a run directory.

    Raises:
        FileNotFoundError: the directory has no ``results.json`` (names the path).
    """
    path = Path(run_dir) / RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {run_dir} a finished `python -m eval run` directory?")
    return json.loads(path.read_text())
