"""Compare learning runs (AsyPPO, PPO, GRPO, ...): a Markdown table and a PNG of val accuracy and reward vs step.

    python -m recipe.asyppo.tools.learning_report WORK_DIR asyppo ppo grpo

Each name is a run directory under ``WORK_DIR`` holding ``metrics.jsonl`` (read with
:func:`recipe.asyppo.integration.history.read_metrics`) and, if the run was wrapped in
:mod:`recipe.asyppo.tools.proc_monitor`, ``peak_memory.json``. Writes ``WORK_DIR/learning.md`` and
``WORK_DIR/learning.png`` and prints the table.

Definitions (all from verl's own metrics):

- val accuracy: the mean over data sources of ``val-core/<source>/<acc|reward>/mean@n`` (in ``run_learning_cpu.sh``
  one sample per validation problem at the training temperature; its arithmetic levels are equal shares of the
  validation set, so this is the accuracy over all validation problems). "before" is step 0
  (``trainer.val_before_train``), "after" the last step's validation.
- reward: ``critic/score/mean`` per step (mean sequence score of the training rollouts; 1 = correct).
- step time: median of ``timing_s/step`` (rollout, log-probs, values, advantages, updates; validation excluded).
- memory: the peaks of ``peak_memory.json``: summed RSS and summed PSS of the run's process tree.
- AsyPPO only: ``asyppo/std/mean`` (critic disagreement sigma) at the first and last step and the mean of
  ``asyppo/adv_mask/fraction``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recipe.asyppo.integration.history import History, metric_curve, read_metrics

VAL_KEY = re.compile(r"^val-core/(?P<source>[^/]+)/(?:acc|reward)/mean@\d+$")
REWARD_KEY = "critic/score/mean"
STEP_TIME_KEY = "timing_s/step"
PHASES = ("gen", "old_log_prob", "values", "update_critic", "update_actor")


def read_history(run_dir: Path) -> History:
    """``{step: {metric: value}}`` of one run (all launches; :func:`recipe.asyppo.integration.history.read_metrics`)."""
    return read_metrics(run_dir)


def val_accuracy(metrics: Mapping[str, Any]) -> tuple[float | None, dict[str, float]]:
    """(mean over data sources, per source) of one step's ``val-core`` accuracies; (None, {}) if it has none."""
    per_source = {match["source"]: float(value) for key, value in metrics.items() if (match := VAL_KEY.match(key))}
    if not per_source:
        return None, {}
    return statistics.fmean(per_source.values()), dict(sorted(per_source.items()))


@dataclass
class RunSummary:
    """What the table shows for one run."""

    name: str
    steps: int
    step_time_s: float | None
    phase_s: dict[str, float]
    val_steps: list[int]
    val_curve: list[float]
    reward_steps: list[int]
    reward_curve: list[float]
    val_per_source_first: dict[str, float]
    val_per_source_last: dict[str, float]
    peak_rss_gib: float | None
    peak_pss_gib: float | None
    sigma_steps: list[int]
    sigma_curve: list[float]
    adv_mask_fraction: float | None

    @property
    def sigma_first_last(self) -> tuple[float, float] | None:
        return (self.sigma_curve[0], self.sigma_curve[-1]) if self.sigma_curve else None

    @property
    def val_before(self) -> float | None:
        return self.val_curve[0] if self.val_steps and self.val_steps[0] == 0 else None

    @property
    def val_after(self) -> float | None:
        return self.val_curve[-1] if self.val_steps and self.val_steps[-1] > 0 else None


def summarize(name: str, run_dir: Path) -> RunSummary:
    """Read one run directory (``metrics.jsonl``, optional ``peak_memory.json``)."""
    history = read_history(run_dir)
    val_steps, val_curve, first, last = [], [], {}, {}
    for step, metrics in history.items():
        mean, per_source = val_accuracy(metrics)
        if mean is not None:
            val_steps.append(step)
            val_curve.append(mean)
            first = first or per_source
            last = per_source
    reward_steps, reward_curve = metric_curve(history, REWARD_KEY)
    _, step_times = metric_curve(history, STEP_TIME_KEY)
    phases = {}
    for phase in PHASES:
        _, values = metric_curve(history, f"timing_s/{phase}")
        if values:
            phases[phase] = statistics.median(values)
    sigma_steps, sigma = metric_curve(history, "asyppo/std/mean")
    _, masked = metric_curve(history, "asyppo/adv_mask/fraction")
    memory_file = run_dir / "peak_memory.json"
    memory = json.loads(memory_file.read_text()) if memory_file.exists() else {}
    return RunSummary(
        name=name,
        steps=max(reward_steps, default=0),
        step_time_s=statistics.median(step_times) if step_times else None,
        phase_s=phases,
        val_steps=val_steps,
        val_curve=val_curve,
        reward_steps=reward_steps,
        reward_curve=reward_curve,
        val_per_source_first=first,
        val_per_source_last=last,
        peak_rss_gib=memory.get("peak_rss_gib"),
        peak_pss_gib=memory.get("peak_pss_gib"),
        sigma_steps=sigma_steps,
        sigma_curve=sigma,
        adv_mask_fraction=statistics.fmean(masked) if masked else None,
    )


def _fmt(value: float | None, spec: str = ".1f", scale: float = 1.0) -> str:
    return "-" if value is None else format(value * scale, spec)


def _window_mean(values: Sequence[float], first: bool, width: int = 3) -> float | None:
    chosen = values[:width] if first else values[-width:]
    return statistics.fmean(chosen) if chosen else None


def markdown(runs: Sequence[RunSummary]) -> str:
    """The comparison tables: one row per run, then per-source accuracy, then AsyPPO/PPO ratios if both ran."""
    lines = [
        "| run | steps | step time (s, median) | val acc before (%) | val acc after (%) | change (points) "
        "| reward, first 3 steps | reward, last 3 steps | peak RSS sum (GiB) | peak PSS sum (GiB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        change = (None if run.val_before is None or run.val_after is None else run.val_after - run.val_before)
        lines.append(
            f"| {run.name} | {run.steps} | {_fmt(run.step_time_s)} | {_fmt(run.val_before, scale=100)} "
            f"| {_fmt(run.val_after, scale=100)} | {_fmt(change, '+.1f', 100)} "
            f"| {_fmt(_window_mean(run.reward_curve, True), '.3f')} "
            f"| {_fmt(_window_mean(run.reward_curve, False), '.3f')} "
            f"| {_fmt(run.peak_rss_gib, '.2f')} | {_fmt(run.peak_pss_gib, '.2f')} |")
    phases = [phase for phase in PHASES if any(phase in run.phase_s for run in runs)]
    lines += ["", "Median seconds per phase of a step:", "",
              "| run | " + " | ".join(phases) + " |", "|---|" + "---|" * len(phases)]
    for run in runs:
        lines.append(f"| {run.name} | " + " | ".join(_fmt(run.phase_s.get(p)) for p in phases) + " |")
    sources = sorted({s for run in runs for s in run.val_per_source_first | run.val_per_source_last})
    if sources:
        lines += ["", "Val accuracy (%) per data source, before -> after:", "",
                  "| run | " + " | ".join(sources) + " |", "|---|" + "---|" * len(sources)]
        for run in runs:
            cells = [f"{_fmt(run.val_per_source_first.get(s), '.0f', 100)} -> "
                     f"{_fmt(run.val_per_source_last.get(s), '.0f', 100)}" for s in sources]
            lines.append(f"| {run.name} | " + " | ".join(cells) + " |")
    for run in runs:
        if run.sigma_first_last is not None:
            lines += ["", f"{run.name}: critic disagreement sigma (asyppo/std/mean) {run.sigma_first_last[0]:.4f} at "
                      f"the first step, {run.sigma_first_last[1]:.4f} at the last; advantage-masked token fraction "
                      f"{_fmt(run.adv_mask_fraction, '.3f')} on average."]
    by_name = {run.name: run for run in runs}
    if "asyppo" in by_name and "ppo" in by_name:
        asy, ppo = by_name["asyppo"], by_name["ppo"]
        ratios = []
        if asy.step_time_s and ppo.step_time_s:
            ratios.append(f"step time {asy.step_time_s / ppo.step_time_s:.2f}")
        if asy.peak_pss_gib and ppo.peak_pss_gib:
            ratios.append(f"peak PSS {asy.peak_pss_gib / ppo.peak_pss_gib:.2f}")
        if ratios:
            lines += ["", "AsyPPO / PPO (same run of this script): " + ", ".join(ratios) + "."]
    return "\n".join(lines) + "\n"


def plot(runs: Sequence[RunSummary], path: Path) -> None:
    """Val accuracy vs step and training reward vs step, one line per run; a third panel with the critics'
    disagreement sigma when a run logged it (AsyPPO)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_sigma = [run for run in runs if run.sigma_curve]
    figure, axes = plt.subplots(1, 3 if with_sigma else 2, figsize=(16 if with_sigma else 11, 4))
    val_axis, reward_axis = axes[0], axes[1]
    for run in runs:
        val_axis.plot(run.val_steps, [100 * v for v in run.val_curve], marker="o", label=run.name)
        reward_axis.plot(run.reward_steps, run.reward_curve, marker=".", label=run.name)
    val_axis.set(xlabel="step", ylabel="val accuracy (%)", title="validation")
    reward_axis.set(xlabel="step", ylabel="mean reward (critic/score/mean)", title="training rollouts")
    for run in with_sigma:
        axes[2].plot(run.sigma_steps, run.sigma_curve, marker=".", label=run.name)
    if with_sigma:
        axes[2].set(xlabel="step", ylabel="asyppo/std/mean", title="critic disagreement sigma")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.tools.learning_report",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("work_dir", type=Path, help="directory holding one run directory per name")
    parser.add_argument("runs", nargs="+", help="run directory names, e.g. asyppo ppo grpo")
    args = parser.parse_args(argv)
    missing = [name for name in args.runs if not (args.work_dir / name).is_dir()]
    if missing:
        parser.error(f"no run directory {', '.join(str(args.work_dir / name) for name in missing)}")
    runs = [summarize(name, args.work_dir / name) for name in args.runs]
    table = markdown(runs)
    (args.work_dir / "learning.md").write_text(table)
    plot(runs, args.work_dir / "learning.png")
    print(table, end="")
    print(f"wrote {args.work_dir / 'learning.md'} and {args.work_dir / 'learning.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
