"""The seeded learning study's bookkeeping: one run's record, its final actor as a Hugging Face model, and the
study's CSV files. Used by ``recipe/asyppo/run_learning_cpu.sh``::

    python -m recipe.asyppo.tools.study start RUN_DIR --arm A --seed S --steps N [--budget-s B] --overrides O...
    python -m recipe.asyppo.tools.study finish RUN_DIR      # merge the last actor checkpoint, write summary.json
    python -m recipe.asyppo.tools.study collect WORK_DIR [--out DIR]  # cpu_study.csv and cpu_study_curves.csv
    python -m recipe.asyppo.tools.study publish WORK_DIR --out recipe/asyppo/results  # records + CSVs to commit

A run directory is ``WORK_DIR/<arm>/seed<k>``. ``start`` records the code version (git commit and whether the tree
had uncommitted changes) with the arm, seed and overrides in ``run_info.json``; ``finish`` writes the last checkpoint's
actor to ``hf_actor/`` as a float32 Hugging Face model (the run must save it: :data:`SAVE_HF_MODEL`), deletes the
checkpoints (a study keeps only what it reports) and writes ``summary.json``; ``collect`` writes one CSV row per
finished run and one per (run, step).

Definitions (from verl's and our logged metrics; accuracies in percent):

- ``val_greedy_*``: mean over data sources of ``val-core/greedy_<source>/acc/mean@1`` (greedy decoding of every
  validation problem, :mod:`recipe.asyppo.integration.greedy_validation`); ``val_sampled_*`` the same for the
  sampled copy (one sample per problem at the validation temperature). ``before`` is step 0, ``after`` the last step.
- ``steps``: training steps; ``actor_steps``: those that updated the actor (``steps`` minus critic warm-up).
- ``step_time_s``: median ``timing_s/step``; ``phase_<name>_s`` the median of ``timing_s/<name>``.
- ``ev_value_*``: ``critic/vf_explained_var`` (verl's explained variance of the values the advantages used: PPO's
  critic, or AsyPPO's ensemble mean) at the first step, mean over steps, last step; ``ev_value_actor_mean`` its mean
  over the steps that updated the actor (a critic warm-up's steps left out); ``ev_critics_mean``: the mean over steps
  and critics of each mini-critic's own explained variance.
- ``sigma_error_corr``: mean over steps of the correlation of sigma_t with |V_t - R_t|; ``adv_mask_share_<class>``
  and ``tokens_share_<class>``: what the advantage mask removes vs all tokens (:mod:`recipe.asyppo.core.token_classes`);
  ``adv_mask_rate_<first|middle|last>``: masked fraction by response position; ``abs_error_masked|kept``: mean
  |V_t - R_t| on masked vs kept tokens.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from recipe.asyppo.core.token_classes import TOKEN_CLASSES
from recipe.asyppo.integration.greedy_validation import is_greedy_source
from recipe.asyppo.integration.history import History, metric_curve, read_metrics

RUN_INFO = "run_info.json"
SUMMARY = "summary.json"
FINISHED = "finished"
HF_ACTOR = "hf_actor"
# verl's checkpoint manager writes the actor's full state dict as a Hugging Face model, in the dtype the parameters
# are kept in (float32), to global_step_<N>/actor/huggingface/ only when hf_model is among the contents it saves.
# verl's model merger would round the weights to bfloat16 (model_merger/fsdp_model_merger.py:187), so an evaluation
# of the merged model would not reproduce the run's own validation.
SAVE_HF_MODEL = "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]"
STUDY_CSV = "cpu_study.csv"
CURVES_CSV = "cpu_study_curves.csv"
RUNS_DIR = "cpu_study_runs"
PHASES = ("gen", "old_log_prob", "values", "adv", "update_critic", "update_actor")
MASK_POSITIONS = ("first", "middle", "last")
VAL_PREFIX, VAL_SUFFIX = "val-core/", "/acc/mean@1"

SUMMARY_FIELDS = (
    "arm", "seed", "steps", "actor_steps",
    "val_greedy_before", "val_greedy_after", "val_greedy_gain",
    "val_sampled_before", "val_sampled_after", "val_sampled_gain",
    "reward_first3", "reward_last3", "step_time_s", *(f"phase_{p}_s" for p in PHASES),
    "peak_rss_gib", "peak_pss_gib",
    "ev_value_first", "ev_value_mean", "ev_value_last", "ev_value_actor_mean", "ev_critics_mean",
    "sigma_mean", "sigma_error_corr", "adv_mask_fraction",
    *(f"adv_mask_share_{c}" for c in TOKEN_CLASSES), *(f"tokens_share_{c}" for c in TOKEN_CLASSES),
    *(f"adv_mask_rate_{p}" for p in MASK_POSITIONS), "abs_error_masked", "abs_error_kept",
    "wall_s", "load_avg_start", "load_avg_end", "commit", "dirty", "hf_actor",
)
CURVE_FIELDS = ("arm", "seed", "step", "val_greedy", "val_sampled", "reward", "ev_value", "ev_critics", "sigma_mean",
                "sigma_error_corr")


# --------------------------------------------------------------------------------------------- per-step values
def val_accuracies(metrics: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """(greedy, sampled) accuracy in percent of one step: the mean over data sources; None where not validated."""
    greedy, sampled = [], []
    for key, value in metrics.items():
        if key.startswith(VAL_PREFIX) and key.endswith(VAL_SUFFIX) and value is not None:
            source = key[len(VAL_PREFIX):-len(VAL_SUFFIX)]
            (greedy if is_greedy_source(source) else sampled).append(100.0 * float(value))
    return (statistics.fmean(greedy) if greedy else None, statistics.fmean(sampled) if sampled else None)


def _critics_ev(metrics: Mapping[str, Any]) -> float | None:
    return _mean_of_steps([v for k, v in metrics.items()
                           if k.startswith("asyppo/critic_") and k.endswith("/explained_var")])


def curves(history: History) -> list[dict[str, Any]]:
    """One record per logged step: the :data:`CURVE_FIELDS` other than arm and seed (None where not logged)."""
    rows = []
    for step, metrics in sorted(history.items()):
        greedy, sampled = val_accuracies(metrics)
        rows.append({
            "step": step, "val_greedy": greedy, "val_sampled": sampled,
            "reward": metrics.get("critic/score/mean"), "ev_value": metrics.get("critic/vf_explained_var"),
            "ev_critics": _critics_ev(metrics), "sigma_mean": metrics.get("asyppo/std/mean"),
            "sigma_error_corr": metrics.get("asyppo/std/error_corr"),
        })
    return rows


# ------------------------------------------------------------------------------------------------ one run
def _mean_of(history: History, key: str) -> float | None:
    return _mean_of_steps(metric_curve(history, key)[1])


def _median_of(history: History, key: str) -> float | None:
    _, values = metric_curve(history, key)
    return statistics.median(values) if values else None


def summarize_run(run_dir: Path) -> dict[str, Any]:
    """The :data:`SUMMARY_FIELDS` of one run directory (``run_info.json``, metrics, ``peak_memory.json``)."""
    info = json.loads((run_dir / RUN_INFO).read_text())
    history = read_metrics(run_dir)
    accuracy = [(step, *val_accuracies(m)) for step, m in sorted(history.items())]
    greedy = [(s, g) for s, g, _ in accuracy if g is not None]
    sampled = [(s, v) for s, _, v in accuracy if v is not None]
    reward_steps, rewards = metric_curve(history, "critic/score/mean")
    ev_steps, ev_value = metric_curve(history, "critic/vf_explained_var")
    warmup_steps = info.get("critic_warmup_steps", 0)
    memory_file = run_dir / "peak_memory.json"
    memory = json.loads(memory_file.read_text()) if memory_file.exists() else {}
    steps = max(reward_steps, default=0)

    def before_after(points: list[tuple[int, float]]) -> tuple[float | None, float | None, float | None]:
        before = points[0][1] if points and points[0][0] == 0 else None
        after = points[-1][1] if points and points[-1][0] == steps and steps > 0 else None
        return before, after, (after - before if before is not None and after is not None else None)

    row: dict[str, Any] = {"arm": info["arm"], "seed": info["seed"], "steps": steps,
                           "actor_steps": steps - warmup_steps}
    for name, points in (("greedy", greedy), ("sampled", sampled)):
        row[f"val_{name}_before"], row[f"val_{name}_after"], row[f"val_{name}_gain"] = before_after(points)
    row.update({
        "reward_first3": statistics.fmean(rewards[:3]) if rewards else None,
        "reward_last3": statistics.fmean(rewards[-3:]) if rewards else None,
        "step_time_s": _median_of(history, "timing_s/step"),
        **{f"phase_{p}_s": _median_of(history, f"timing_s/{p}") for p in PHASES},
        "peak_rss_gib": memory.get("peak_rss_gib"), "peak_pss_gib": memory.get("peak_pss_gib"),
        "ev_value_first": ev_value[0] if ev_value else None,
        "ev_value_mean": statistics.fmean(ev_value) if ev_value else None,
        "ev_value_last": ev_value[-1] if ev_value else None,
        "ev_value_actor_mean": _mean_of_steps(
            [v for s, v in zip(ev_steps, ev_value, strict=True) if s > warmup_steps]),
        "ev_critics_mean": _mean_of_steps([_critics_ev(m) for m in history.values()]),
        "sigma_mean": _mean_of(history, "asyppo/std/mean"),
        "sigma_error_corr": _mean_of(history, "asyppo/std/error_corr"),
        "adv_mask_fraction": _mean_of(history, "asyppo/adv_mask/fraction"),
        **{f"adv_mask_share_{c}": _mean_of(history, f"asyppo/adv_mask/share_{c}") for c in TOKEN_CLASSES},
        **{f"tokens_share_{c}": _mean_of(history, f"asyppo/tokens/share_{c}") for c in TOKEN_CLASSES},
        **{f"adv_mask_rate_{p}": _mean_of(history, f"asyppo/adv_mask/rate_{p}") for p in MASK_POSITIONS},
        "abs_error_masked": _mean_of(history, "asyppo/adv_mask/abs_error_masked"),
        "abs_error_kept": _mean_of(history, "asyppo/adv_mask/abs_error_kept"),
        "wall_s": info.get("wall_s"), "load_avg_start": info.get("load_avg_start"),
        "load_avg_end": info.get("load_avg_end"), "commit": info["commit"], "dirty": info["dirty"],
        "hf_actor": str(run_dir / HF_ACTOR) if (run_dir / HF_ACTOR).is_dir() else None,
    })
    return row


def _mean_of_steps(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are present: None (not logged) and NaN (a step without such tokens) are skipped."""
    present = [v for v in values if v is not None and v == v]
    return statistics.fmean(present) if present else None


def code_version(repo: Path) -> tuple[str, bool]:
    """(commit, whether tracked files differ from it) of the checkout at ``repo``; ("unknown", True) outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    try:
        return git("rev-parse", "HEAD").strip(), bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True


def start(run_dir: Path, arm: str, seed: int, steps: int, warmup: int, budget_s: float,
          overrides: Sequence[str]) -> None:
    """Write ``run_info.json``: arm, seed, planned steps, critic-only steps, code version, overrides, start time and
    the machine's load average (1 minute) at the start.

    Raises:
        StudyVersionError: another run of the study (``run_dir``'s grandparent) has another code version.
    """
    commit, dirty = code_version(Path(__file__).resolve().parent)
    check_one_code_version(run_dir.parent.parent, commit, dirty, exclude=run_dir)
    info = {"arm": arm, "seed": seed, "steps": steps, "budget_s": budget_s or None, "critic_warmup_steps": warmup,
            "commit": commit, "dirty": dirty, "overrides": list(overrides), "started_at": time.time(),
            "load_avg_start": os.getloadavg()[0]}
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_INFO).write_text(json.dumps(info, indent=2) + "\n")


class StudyVersionError(RuntimeError):
    """A study's runs would mix code versions."""


def check_one_code_version(work_dir: Path, commit: str, dirty: bool, exclude: Path | None = None) -> None:
    """Refuse to add a run at ``commit`` (``dirty``: uncommitted changes) to a study whose runs used another version.

    A study's runs use one code version: finish it from a checkout of its commit (``git worktree add DIR COMMIT``)
    or start a new ``WORK_DIR``. A tree with uncommitted changes matches nothing, itself included.

    Raises:
        StudyVersionError: naming the other run and both versions.
    """
    for info_file in sorted(work_dir.glob(f"*/seed*/{RUN_INFO}")):
        if exclude is not None and info_file.parent == exclude:
            continue
        other = json.loads(info_file.read_text())
        if other["commit"] != commit or other["dirty"] or dirty:
            raise StudyVersionError(
                f"{info_file.parent} ran at {other['commit']}{' with uncommitted changes' if other['dirty'] else ''}"
                f"; this checkout is {commit}{' with uncommitted changes' if dirty else ''}. A study's runs use one "
                f"code version: run from a checkout of {other['commit']} or use another WORK_DIR")


def last_actor_checkpoint(run_dir: Path) -> Path:
    """``checkpoints/global_step_<N>/actor`` of the highest N.

    Raises:
        FileNotFoundError: no actor checkpoint under ``run_dir/checkpoints``.
    """
    steps = sorted((run_dir / "checkpoints").glob("global_step_*/actor"),
                   key=lambda p: int(p.parent.name.removeprefix("global_step_")))
    if not steps:
        raise FileNotFoundError(f"{run_dir}/checkpoints: no global_step_*/actor checkpoint (trainer.save_freq?)")
    return steps[-1]


def export_actor(checkpoint: Path, target: Path) -> None:
    """Write the actor of ``checkpoint`` (``global_step_<N>/actor``, saved with :data:`SAVE_HF_MODEL`) to ``target``
    as a float32 Hugging Face model with its tokenizer and generation config: the weights the run validated with.

    Raises:
        FileNotFoundError: the checkpoint has no Hugging Face weights, naming the override the run needs.
    """
    import torch  # the study's bookkeeping commands (start, collect, publish) do not need torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    saved = checkpoint / "huggingface"
    if not any(saved.glob("*.safetensors")):
        raise FileNotFoundError(f"{saved}: no model weights; run the training with {SAVE_HF_MODEL}")
    AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32).save_pretrained(target)
    AutoTokenizer.from_pretrained(saved).save_pretrained(target)


def finish(run_dir: Path) -> dict[str, Any]:
    """Export the last actor checkpoint to ``hf_actor/``, delete the checkpoints, write ``summary.json``."""
    export_actor(last_actor_checkpoint(run_dir), run_dir / HF_ACTOR)
    shutil.rmtree(run_dir / "checkpoints")
    info = json.loads((run_dir / RUN_INFO).read_text())
    info["wall_s"] = time.time() - info["started_at"]
    info["load_avg_end"] = os.getloadavg()[0]
    (run_dir / RUN_INFO).write_text(json.dumps(info, indent=2) + "\n")
    summary = summarize_run(run_dir)
    (run_dir / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


# ---------------------------------------------------------------------------------------------- the study
def finished_runs(work_dir: Path) -> list[Path]:
    """Run directories ``work_dir/<arm>/seed<k>`` holding ``finished``, sorted by arm and seed."""
    runs = [p.parent for p in work_dir.glob(f"*/seed*/{FINISHED}")]
    return sorted(runs, key=lambda p: (p.parent.name, int(p.name.removeprefix("seed"))))


def _write_csv(path: Path, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in fields})


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if value != value else f"{value:.6g}"
    return "" if value is None else value


def collect(work_dir: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write ``cpu_study.csv`` (each finished run's ``summary.json``) and ``cpu_study_curves.csv`` in ``out_dir``
    (default ``work_dir``). A field that ``summary.json`` lacks (one added to :data:`SUMMARY_FIELDS` after the run
    finished) is computed from the run's records; the fields it holds are kept as the run wrote them."""
    summaries, curve_rows = [], []
    for run_dir in finished_runs(work_dir):
        summary = json.loads((run_dir / SUMMARY).read_text())
        if not summary.keys() >= set(SUMMARY_FIELDS):
            summary = {**summarize_run(run_dir), **summary}
        summaries.append(summary)
        curve_rows += [{"arm": summary["arm"], "seed": summary["seed"], **c} for c in curves(read_metrics(run_dir))]
    out_dir = out_dir or work_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    study, curve_file = out_dir / STUDY_CSV, out_dir / CURVES_CSV
    _write_csv(study, SUMMARY_FIELDS, summaries)
    _write_csv(curve_file, CURVE_FIELDS, curve_rows)
    return study, curve_file


RECORD_FILES = (RUN_INFO, SUMMARY, FINISHED, "metrics.jsonl", "metrics.history.jsonl", "peak_memory.json")


def publish(work_dir: Path, out_dir: Path) -> list[Path]:
    """Copy the records of every finished run (:data:`RECORD_FILES`, not its models, logs or generations) to
    ``out_dir/cpu_study_runs/<arm>/seed<k>/`` and write the study's CSV files in ``out_dir``; return the copies.

    The copies are a ``WORK_DIR`` of their own: ``collect`` rebuilds the CSVs from them, and copied into a study's
    ``WORK_DIR`` they mark those runs finished.
    """
    runs_dir = out_dir / RUNS_DIR
    copies = []
    for run_dir in finished_runs(work_dir):
        target = runs_dir / run_dir.parent.name / run_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:
            if (run_dir / name).exists():
                shutil.copy2(run_dir / name, target / name)
        copies.append(target)
    collect(runs_dir, out_dir)
    return copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.tools.study", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="write RUN_DIR/run_info.json")
    start_cmd.add_argument("run_dir", type=Path)
    start_cmd.add_argument("--arm", required=True)
    start_cmd.add_argument("--seed", type=int, required=True)
    start_cmd.add_argument("--steps", type=int, required=True)
    start_cmd.add_argument("--critic-warmup-steps", type=int, default=0, help="critic-only steps of the run")
    start_cmd.add_argument("--budget-s", type=float, default=0.0)
    start_cmd.add_argument("--overrides", nargs="*", default=[], help="the run's hydra overrides (last)")
    finish_cmd = commands.add_parser("finish", help="merge the last actor checkpoint, write RUN_DIR/summary.json")
    finish_cmd.add_argument("run_dir", type=Path)
    collect_cmd = commands.add_parser("collect", help="write WORK_DIR/cpu_study.csv and cpu_study_curves.csv")
    collect_cmd.add_argument("work_dir", type=Path)
    collect_cmd.add_argument("--out", type=Path, help="directory of the CSV files (default: WORK_DIR)")
    publish_cmd = commands.add_parser("publish", help="copy finished runs' records and write the CSVs to OUT")
    publish_cmd.add_argument("work_dir", type=Path)
    publish_cmd.add_argument("--out", type=Path, required=True, help="e.g. recipe/asyppo/results")
    args = parser.parse_args(argv)
    if args.command == "publish":
        copies = publish(args.work_dir, args.out)
        print(f"copied {len(copies)} finished runs to {args.out / RUNS_DIR}; wrote {args.out / STUDY_CSV}")
        return 0
    if args.command == "start":
        try:
            start(args.run_dir, args.arm, args.seed, args.steps, args.critic_warmup_steps, args.budget_s,
                  args.overrides)
        except StudyVersionError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    elif args.command == "finish":
        summary = finish(args.run_dir)
        print(json.dumps(summary, indent=2))
    else:
        study, curve_file = collect(args.work_dir, args.out)
        print(f"wrote {study} and {curve_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
