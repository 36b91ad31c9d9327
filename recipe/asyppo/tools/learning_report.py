"""The learning study's report: per-arm mean +- standard error over seeds, the differences that exceed two standard
errors, the diagnostics, and a PNG of the curves with standard-error bands.

    python -m recipe.asyppo.learning_report WORK_DIR/cpu_study.csv [--out DIR]

Reads ``cpu_study.csv`` (one row per (arm, seed), :data:`recipe.asyppo.study.SUMMARY_FIELDS`) and
``cpu_study_curves.csv`` beside it (one row per (arm, seed, step)); writes ``learning.md`` and ``learning.png`` to
``--out`` (default: the CSV's directory) and prints the Markdown.

Statistics: the standard error of an arm's mean is ``sd / sqrt(n)`` (sample sd over its n seeds); the difference of
two arms' means has standard error ``sqrt(se_a^2 + se_b^2)`` (unpaired, the conservative choice), and it "exceeds
two standard errors" when ``|difference| > 2 * se``. With one seed an arm has no standard error ("-").
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from recipe.asyppo.core.token_classes import TOKEN_CLASSES
from recipe.asyppo.tools.study import CURVES_CSV, MASK_POSITIONS

ARM_ORDER = ("asyppo", "ppo", "grpo", "asyppo_nomask", "asyppo_warmup", "ppo_warmup", "asyppo_deep")
BASELINES = ("asyppo", "ppo")
CURVE_PANELS = (("val_greedy", "greedy val accuracy (%)"), ("val_sampled", "sampled val accuracy (%)"),
                ("reward", "training reward (critic/score/mean)"), ("ev_value", "explained variance of the values"))

Row = dict[str, str]


@dataclass(frozen=True)
class Estimate:
    """Mean over seeds with its standard error (None with fewer than two values) and the number of values."""

    mean: float | None
    se: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Estimate:
        present = [v for v in values if v is not None and not math.isnan(v)]
        if not present:
            return cls(None, None, 0)
        se = statistics.stdev(present) / math.sqrt(len(present)) if len(present) > 1 else None
        return cls(statistics.fmean(present), se, len(present))

    def minus(self, other: Estimate) -> Estimate:
        """The difference of two independent means, with its standard error."""
        if self.mean is None or other.mean is None:
            return Estimate(None, None, 0)
        se = math.hypot(self.se, other.se) if self.se is not None and other.se is not None else None
        return Estimate(self.mean - other.mean, se, min(self.n, other.n))

    @property
    def exceeds_two_se(self) -> bool | None:
        if self.mean is None or self.se is None:
            return None
        return abs(self.mean) > 2 * self.se

    def text(self, spec: str = "+.1f") -> str:
        if self.mean is None:
            return "-"
        return format(self.mean, spec) + ("" if self.se is None else f" ± {self.se:.1f}")


def read_rows(path: Path) -> list[Row]:
    """Rows of a study CSV file.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: it has no ``arm`` or ``seed`` column.
    """
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"arm", "seed"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
        return list(reader)


def number(row: Mapping[str, str], field: str) -> float | None:
    """The row's value of ``field`` as a float; None where empty or absent."""
    value = row.get(field, "")
    return float(value) if value not in ("", None) else None


def arms_of(rows: Sequence[Row]) -> list[str]:
    """Arm names in :data:`ARM_ORDER`, then any others in order of appearance."""
    seen = list(dict.fromkeys(row["arm"] for row in rows))
    return [a for a in ARM_ORDER if a in seen] + [a for a in seen if a not in ARM_ORDER]


def by_arm(rows: Sequence[Row], field: str) -> dict[str, Estimate]:
    """``{arm: Estimate of field over its seeds}``."""
    return {arm: Estimate.of(number(r, field) for r in rows if r["arm"] == arm) for arm in arms_of(rows)}


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _mean_cell(rows: Sequence[Row], arm: str, field: str, spec: str = ".2f") -> str:
    return _fmt(Estimate.of(number(r, field) for r in rows if r["arm"] == arm).mean, spec)


def markdown(rows: Sequence[Row]) -> str:
    """The report: results by arm, differences, diagnostics, phases, and every run."""
    arms = arms_of(rows)
    greedy_gain, sampled_gain = by_arm(rows, "val_greedy_gain"), by_arm(rows, "val_sampled_gain")
    lines = [
        "Accuracy in percent; gain = after - before in points; mean ± standard error over seeds.", "",
        "| arm | seeds | steps (actor) | greedy before | greedy after | greedy gain | sampled gain "
        "| step time (s) | peak PSS (GiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in arms:
        own = [r for r in rows if r["arm"] == arm]
        steps = sorted({f"{r['steps']} ({r['actor_steps']})" for r in own})
        lines.append(
            f"| {arm} | {len(own)} | {', '.join(steps)} | {_mean_cell(rows, arm, 'val_greedy_before', '.1f')} "
            f"| {_mean_cell(rows, arm, 'val_greedy_after', '.1f')} | {greedy_gain[arm].text()} "
            f"| {sampled_gain[arm].text()} | {_mean_cell(rows, arm, 'step_time_s', '.1f')} "
            f"| {_mean_cell(rows, arm, 'peak_pss_gib')} |")
    lines += ["", "Differences of the greedy gain (row arm minus baseline), and whether |difference| > 2 SE:", "",
              "| arm | vs " + " | vs ".join(BASELINES) + " |", "|---|" + "---|" * len(BASELINES)]
    for arm in arms:
        cells = []
        for base in BASELINES:
            if base == arm or base not in greedy_gain:
                cells.append("")
                continue
            diff = greedy_gain[arm].minus(greedy_gain[base])
            flag = {True: " **> 2 SE**", False: " (within 2 SE)", None: ""}[diff.exceeds_two_se]
            cells.append(diff.text() + flag)
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    lines += _ratio_lines(rows)
    lines += _diagnostic_lines(rows, arms)
    lines += ["", "Every run. Final actor: the run's last actor as a Hugging Face model, on the machine that ran it "
              "(not committed); `python -m eval run --model PATH` reads it.", "",
              "| arm | seed | steps | greedy before -> after | sampled before -> after | step time (s) "
              "| peak PSS (GiB) | commit | final actor |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['arm']} | {row['seed']} | {row['steps']} | {_fmt(number(row, 'val_greedy_before'))} -> "
            f"{_fmt(number(row, 'val_greedy_after'))} | {_fmt(number(row, 'val_sampled_before'))} -> "
            f"{_fmt(number(row, 'val_sampled_after'))} | {_fmt(number(row, 'step_time_s'))} "
            f"| {_fmt(number(row, 'peak_pss_gib'), '.2f')} | {row.get('commit', '')[:10]}"
            f"{'+dirty' if row.get('dirty') == 'True' else ''} | {_path_cell(row.get('hf_actor'))} |")
    return "\n".join(lines) + "\n"


def _path_cell(path: str | None) -> str:
    return f"`{path}`" if path else "none"


def _ratio_lines(rows: Sequence[Row]) -> list[str]:
    """AsyPPO / PPO ratios of the mean step time and peak PSS, when both arms ran."""
    ratios = []
    for field, name in (("step_time_s", "step time"), ("peak_pss_gib", "peak PSS")):
        asy, ppo = (Estimate.of(number(r, field) for r in rows if r["arm"] == arm).mean for arm in BASELINES)
        if asy and ppo:
            ratios.append(f"{name} {asy / ppo:.2f}")
    return ["", "AsyPPO / PPO (means over seeds): " + ", ".join(ratios) + "."] if ratios else []


def _diagnostic_lines(rows: Sequence[Row], arms: Sequence[str]) -> list[str]:
    """Critic quality, sigma vs error, what the advantage mask removes, and the phase times, by arm (means)."""
    lines = ["", "Critic diagnostics (means over steps, then seeds). EV = explained variance of the returns by the "
             "values the advantages used (PPO's critic, AsyPPO's ensemble mean), over all steps and over the steps "
             "that updated the actor (a critic warm-up left out); mini-critics = each mini-critic's own; corr = "
             "correlation of sigma_t with |V_t - R_t|:", "",
             "| arm | EV first step | EV mean | EV mean, actor steps | EV last step | EV mini-critics | sigma mean "
             "| corr(sigma, error) | \\|error\\| masked / kept |", "|---|---|---|---|---|---|---|---|---|"]
    for arm in arms:
        masked, kept = (_mean_cell(rows, arm, f, ".3f") for f in ("abs_error_masked", "abs_error_kept"))
        lines.append(
            f"| {arm} | {_mean_cell(rows, arm, 'ev_value_first')} | {_mean_cell(rows, arm, 'ev_value_mean')} "
            f"| {_mean_cell(rows, arm, 'ev_value_actor_mean')} | {_mean_cell(rows, arm, 'ev_value_last')} "
            f"| {_mean_cell(rows, arm, 'ev_critics_mean')} "
            f"| {_mean_cell(rows, arm, 'sigma_mean', '.4f')} | {_mean_cell(rows, arm, 'sigma_error_corr')} "
            f"| {masked} / {kept} |")
    with_mask = [a for a in arms if any(number(r, "adv_mask_fraction") for r in rows if r["arm"] == a)]
    if with_mask:
        classes = " | ".join(f"{c}: masked / all" for c in TOKEN_CLASSES)
        positions = " | ".join(f"masked rate {p}" for p in MASK_POSITIONS)
        lines += ["", "What the advantage mask removes: share of the masked tokens in each token class next to that "
                  "class's share of all tokens, and the masked fraction of the first, middle and last response "
                  "positions:", "", f"| arm | masked fraction | {classes} | {positions} |",
                  "|---|---|" + "---|" * (len(TOKEN_CLASSES) + len(MASK_POSITIONS))]
        for arm in with_mask:
            shares = " | ".join(f"{_mean_cell(rows, arm, f'adv_mask_share_{c}')} / "
                                f"{_mean_cell(rows, arm, f'tokens_share_{c}')}" for c in TOKEN_CLASSES)
            rates = " | ".join(_mean_cell(rows, arm, f"adv_mask_rate_{p}") for p in MASK_POSITIONS)
            lines.append(f"| {arm} | {_mean_cell(rows, arm, 'adv_mask_fraction')} | {shares} | {rates} |")
    phases = [f for f in rows[0] if f.startswith("phase_")] if rows else []
    lines += ["", "Median seconds per phase of a step (mean over seeds):", "",
              "| arm | " + " | ".join(p.removeprefix("phase_").removesuffix("_s") for p in phases) + " |",
              "|---|" + "---|" * len(phases)]
    for arm in arms:
        lines.append(f"| {arm} | " + " | ".join(_mean_cell(rows, arm, p, ".1f") for p in phases) + " |")
    return lines


def curve_bands(curve_rows: Sequence[Row], arm: str, field: str) -> tuple[list[int], list[float], list[float]]:
    """(steps, mean, standard error) of ``field`` over the arm's seeds at each step where it was logged; the
    standard error is 0 where only one seed has the step."""
    per_step: dict[int, list[float]] = {}
    for row in curve_rows:
        value = number(row, field)
        if row["arm"] == arm and value is not None and not math.isnan(value):
            per_step.setdefault(int(row["step"]), []).append(value)
    steps = sorted(per_step)
    estimates = [Estimate.of(per_step[s]) for s in steps]
    return steps, [e.mean for e in estimates], [e.se or 0.0 for e in estimates]


def plot(curve_rows: Sequence[Row], arms: Sequence[str], path: Path) -> None:
    """Four panels (greedy and sampled val accuracy, training reward, explained variance) vs step, one line per arm
    with a mean ± standard error band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color = {arm: palette[index % len(palette)] for index, arm in enumerate(arms)}  # one colour per arm in every panel
    figure, axes = plt.subplots(2, 2, figsize=(13, 9))
    for axis, (field, label) in zip(axes.flat, CURVE_PANELS, strict=True):
        for arm in arms:
            steps, mean, se = curve_bands(curve_rows, arm, field)
            if not steps:
                continue
            axis.plot(steps, mean, marker="o" if field.startswith("val_") else ".", label=arm, color=color[arm])
            axis.fill_between(steps, [m - s for m, s in zip(mean, se, strict=True)],
                              [m + s for m, s in zip(mean, se, strict=True)], color=color[arm], alpha=0.2)
        axis.set(xlabel="step", ylabel=label)
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    figure.suptitle("mean ± standard error over seeds")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.learning_report", description=__doc__.split("\n")[0])
    parser.add_argument("study_csv", type=Path, help="cpu_study.csv (cpu_study_curves.csv is read from beside it)")
    parser.add_argument("--out", type=Path, help="output directory (default: the CSV's)")
    args = parser.parse_args(argv)
    if not args.study_csv.is_file():
        parser.error(f"no file {args.study_csv}")
    out = args.out or args.study_csv.parent
    out.mkdir(parents=True, exist_ok=True)
    rows = read_rows(args.study_csv)
    curves_file = args.study_csv.parent / CURVES_CSV
    curve_rows = read_rows(curves_file) if curves_file.is_file() else []
    table = markdown(rows)
    (out / "learning.md").write_text(table)
    plot(curve_rows, arms_of(rows), out / "learning.png")
    print(table, end="")
    print(f"wrote {out / 'learning.md'} and {out / 'learning.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
