"""Compare measured step time and peak memory of two runs (AsyPPO vs symmetric PPO) with the cost model's prediction.

``python -m recipe.asyppo.scripts.smoke_report --asyppo RUN_DIR --ppo RUN_DIR --actor DIR --critics 2x DIR
--tokens-per-gpu A C [--gpu-memory-gib G --rollout-memory-fraction F] [--eval DIR]``, where each run directory holds
``metrics.jsonl`` (verl's ``file`` logger: one ``{"step": s, "data": {...}}`` per line) and optionally
``gpu_memory_mib.txt`` (``nvidia-smi`` samples, one MiB number per line). ``gpu_smoke.sh`` writes both. The token
budgets are the runs' ``actor.ppo_max_token_len_per_gpu`` and ``critic.ppo_infer_max_token_len_per_gpu`` (the one
verl's V1 trainer sizes the critics' micro-batches by; the launch scripts set both critic keys to it).

Measured per run: median ``timing_s/step`` over steps after the first (warm-up), the largest
``*max_memory_allocated_gb`` any training worker logged (torch allocator peak of the colocated training process, in
GiB), and the largest device memory ``nvidia-smi`` saw (includes the vLLM server and CUDA contexts). Predicted: the
cost model's peak training memory for the same models and the run's mean prompt/response lengths and, with the card
size, its rollout-phase estimate (training states + vLLM's share + CUDA contexts), to hold against the device peak.
``--eval`` adds the timing of the smoke test's vLLM evaluation (``smoke_eval``'s ``timing.json``).

``--json FILE`` also writes the summary as JSON (:func:`summary_json`, what ``gpu_check.sh`` commits as
``recipe/asyppo/results/gpu_run.json``): per run the measured step time, peaks, median phase times and per-step sigma
tie and mask fractions, each beside the cost model's prediction (peak memory in GiB; FLOPs per phase, since the cost
model has no time model: its time prediction is the FLOP ratio), and the AsyPPO/PPO ratios of both. ``--steps N``
keeps steps 1..N (a resumed launch's later steps are reported under ``resume`` with ``--resumed-from``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from recipe.asyppo.integration import history
from recipe.asyppo.tools.cost.__main__ import parse_critics
from recipe.asyppo.tools.cost.facts import load_facts
from recipe.asyppo.tools.cost.model import GIB, Card, Setup, StepShape, flops_per_step, headroom, memory_per_gpu

MEMORY_SUFFIX = "max_memory_allocated_gb"
TOLERANCE = 0.2
# verl's timing_s/<phase> -> the cost model's FLOPs phase (None: no FLOPs counted for it)
PHASES: dict[str, str | None] = {
    "gen": "rollout", "old_log_prob": "actor_old_logprob", "ref": "ref_logprob", "values": "critic_values",
    "adv": None, "update_critic": "critic_update", "update_actor": "actor_update", "save_checkpoint": None,
}
PER_STEP = {"sigma_tie_fraction": "asyppo/std/tie_fraction", "adv_mask_fraction": "asyppo/adv_mask/fraction",
            "entropy_filter_fraction": "asyppo/entropy_filter/fraction", "sigma_mean": "asyppo/std/mean"}


@dataclass(frozen=True)
class RunSummary:
    """What one smoke run measured.

    Attributes:
        steps: training steps logged.
        step_time_s: median ``timing_s/step`` over steps after the first (all steps if only one).
        train_peak_gib: largest ``*max_memory_allocated_gb`` logged by any worker.
        device_peak_gib: largest ``nvidia-smi`` sample, or None without samples.
        prompt_len, response_len: mean prompt and response tokens over all steps.
        phase_s: median ``timing_s/<phase>`` over the timed steps that logged it (``save_checkpoint``: the saving
            steps), for the phases of :data:`PHASES`.
        per_step: each :data:`PER_STEP` figure logged, one value per step (AsyPPO runs only).
    """

    steps: int
    step_time_s: float
    train_peak_gib: float
    device_peak_gib: float | None
    prompt_len: float
    response_len: float
    phase_s: dict[str, float] = field(default_factory=dict)
    per_step: dict[str, list[float]] = field(default_factory=dict)


def read_metrics(path: Path, max_step: int | None = None) -> list[dict[str, float]]:
    """The metrics of the training steps (those with ``timing_s/step``) of a run's verl file-logger file, in step order,
    over all its launches (:func:`recipe.asyppo.integration.history.read_metrics`); only steps up to ``max_step`` if
    given.

    Raises:
        ValueError: a line that is not a verl file-logger record; the message names file and line.
    """
    return [data for step, data in history.read_metrics(path).items()
            if "timing_s/step" in data and (max_step is None or step <= max_step)]


def summarize(run_dir: Path, max_step: int | None = None) -> RunSummary:
    """Summarise ``run_dir/metrics.jsonl`` (steps up to ``max_step``) and ``run_dir/gpu_memory_mib.txt``.

    Raises:
        ValueError: no training step logged, or no ``*max_memory_allocated_gb`` metric; the message names the file.
    """
    metrics_file = run_dir / "metrics.jsonl"
    steps = read_metrics(metrics_file, max_step)
    if not steps:
        raise ValueError(f"{metrics_file}: no training step with timing_s/step")
    timed = steps[1:] or steps
    memory = [value for data in steps for key, value in data.items() if key.endswith(MEMORY_SUFFIX)]
    if not memory:
        raise ValueError(f"{metrics_file}: no *{MEMORY_SUFFIX} metric logged")
    samples_file = run_dir / "gpu_memory_mib.txt"
    samples = [float(line) for line in samples_file.read_text().split()] if samples_file.is_file() else []
    return RunSummary(
        steps=len(steps),
        step_time_s=statistics.median(data["timing_s/step"] for data in timed),
        train_peak_gib=max(memory),
        device_peak_gib=max(samples) / 1024 if samples else None,
        prompt_len=statistics.fmean(data["prompt_length/mean"] for data in steps),
        response_len=statistics.fmean(data["response_length/mean"] for data in steps),
        phase_s={phase: statistics.median(data[f"timing_s/{phase}"] for data in timed if f"timing_s/{phase}" in data)
                 for phase in PHASES if any(f"timing_s/{phase}" in data for data in timed)},
        per_step={name: [data[key] for data in steps] for name, key in PER_STEP.items()
                  if all(key in data for data in steps)},
    )


def run_shape(run: RunSummary, prompts: int, group_size: int, tokens_per_gpu: tuple[int, int]) -> StepShape:
    """The cost model's step shape of a one-GPU smoke run at its mean lengths."""
    return StepShape(prompts=prompts, group_size=group_size, prompt_len=round(run.prompt_len),
                     response_len=round(run.response_len), gpus=1, actor_tokens_per_gpu=tokens_per_gpu[0],
                     critic_tokens_per_gpu=tokens_per_gpu[1])


def predicted_peak_gib(setup: Setup, run: RunSummary, prompts: int, group_size: int,
                       tokens_per_gpu: tuple[int, int]) -> float:
    """The cost model's peak training memory (GiB, one GPU) for ``setup`` at the run's mean lengths."""
    return memory_per_gpu(setup, run_shape(run, prompts, group_size, tokens_per_gpu))["peak"] / GIB


def predicted_rollout_gib(setup: Setup, run: RunSummary, prompts: int, group_size: int,
                          tokens_per_gpu: tuple[int, int], card: Card) -> float:
    """The cost model's rollout-phase memory (GiB, one GPU): training states + vLLM's share + CUDA contexts."""
    return headroom(setup, run_shape(run, prompts, group_size, tokens_per_gpu), card)["rollout_phase"] / GIB


def report(asyppo: RunSummary, ppo: RunSummary, predicted: tuple[float, float],
           rollout: tuple[float, float] | None = None, eval_timing: dict | None = None) -> str:
    """A markdown table of both runs, their ratio, and the prediction's relative error; with ``rollout``, the cost
    model's rollout-phase estimate next to the device peak; with ``eval_timing``, the vLLM evaluation's times."""
    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}" if a is not None and b else "-"

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    rows = [
        ("steps logged", str(asyppo.steps), str(ppo.steps), "-"),
        ("median step time (s)", fmt(asyppo.step_time_s), fmt(ppo.step_time_s),
         ratio(asyppo.step_time_s, ppo.step_time_s)),
        ("training peak, torch allocator (GiB)", fmt(asyppo.train_peak_gib), fmt(ppo.train_peak_gib),
         ratio(asyppo.train_peak_gib, ppo.train_peak_gib)),
        ("device peak, nvidia-smi (GiB)", fmt(asyppo.device_peak_gib), fmt(ppo.device_peak_gib),
         ratio(asyppo.device_peak_gib, ppo.device_peak_gib)),
        ("cost model peak training memory (GiB)", fmt(predicted[0]), fmt(predicted[1]),
         ratio(predicted[0], predicted[1])),
    ]
    if rollout is not None:
        rows.append(("cost model rollout phase: states + vLLM share + contexts (GiB)", fmt(rollout[0]),
                     fmt(rollout[1]), ratio(rollout[0], rollout[1])))
    lines = ["| quantity | AsyPPO | PPO | AsyPPO/PPO |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    for name, run, guess in (("AsyPPO", asyppo, predicted[0]), ("PPO", ppo, predicted[1])):
        if not run.train_peak_gib:  # no accelerator: the CPU platform reports no allocator memory
            continue
        error = guess / run.train_peak_gib - 1.0
        verdict = "within" if abs(error) <= TOLERANCE else "OUTSIDE"
        lines.append(f"\n{name}: cost model vs torch allocator peak {error:+.0%} ({verdict} {TOLERANCE:.0%})")
    if eval_timing is not None:
        lines.append(f"\nvLLM evaluation (eager): engine start {eval_timing['engine_start_s']:.1f} s, "
                     f"{eval_timing['samples']} samples of {eval_timing['problems']} problems in "
                     f"{eval_timing['eval_s']:.1f} s")
    return "\n".join(lines)


def _significant(value: float) -> float:
    """``value`` to 4 significant digits."""
    return float(f"{value:.4g}")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def run_json(run: RunSummary, setup: Setup, shape: StepShape) -> dict:
    """One run's measured figures, each beside the cost model's prediction for ``setup`` at ``shape``."""
    flops = flops_per_step(setup, shape)
    return {
        "steps": run.steps,
        "step_time_s": run.step_time_s,
        "peak_gpu_mem_gib": run.train_peak_gib,
        "device_peak_gib": run.device_peak_gib,
        "predicted_peak_gpu_mem_gib": round(memory_per_gpu(setup, shape)["peak"] / GIB, 3),
        "predicted_step_tflops": _significant(flops["step"] / 1e12),
        "mean_prompt_len": run.prompt_len,
        "mean_response_len": run.response_len,
        "phases": {phase: {"time_s": seconds, "predicted_tflops": _significant(flops[PHASES[phase]] / 1e12)
                           if PHASES[phase] else None} for phase, seconds in run.phase_s.items()},
        **run.per_step,
    }


def summary_json(runs: tuple[RunSummary, RunSummary], setups: tuple[Setup, Setup], shapes: tuple[StepShape, StepShape],
                 device: str) -> dict:
    """The AsyPPO and PPO runs (:func:`run_json`) and their ratios, measured and predicted."""
    asyppo, ppo = (run_json(run, setup, shape) for run, setup, shape in zip(runs, setups, shapes, strict=True))
    return {
        "device": device,
        "runs": {"asyppo": asyppo, "ppo": ppo},
        "asyppo_over_ppo": {
            "step_time": {"measured": _ratio(asyppo["step_time_s"], ppo["step_time_s"]),
                          "cost_model_flops": _ratio(asyppo["predicted_step_tflops"], ppo["predicted_step_tflops"])},
            "peak_gpu_mem": {"measured": _ratio(asyppo["peak_gpu_mem_gib"], ppo["peak_gpu_mem_gib"]),
                             "cost_model": _ratio(asyppo["predicted_peak_gpu_mem_gib"],
                                                  ppo["predicted_peak_gpu_mem_gib"])},
        },
    }


def resume_json(run_dir: Path, saved_step: int) -> dict:
    """Whether the last launch of ``run_dir`` resumed from ``global_step_{saved_step}``: the steps that launch logged
    (only the steps after ``saved_step`` when it resumed; from 1 when it started afresh), the steps after the checkpoint
    (each with ``training/global_step``) and the step the checkpoint tracker ends at."""
    tracker = run_dir / "checkpoints" / "latest_checkpointed_iteration.txt"
    metrics_file = run_dir / "metrics.jsonl"
    after = {step: data for step, data in history.read_metrics(metrics_file).items() if step > saved_step}
    return {
        "saved_step": saved_step,
        "checkpoint_saved": (run_dir / "checkpoints" / f"global_step_{saved_step}").is_dir(),
        "steps_of_last_launch": sorted({step for step, _ in history.read_step_records(metrics_file)}),
        "steps_after_resume": sorted(after),
        "global_steps_after_resume": [data.get("training/global_step") for _, data in sorted(after.items())],
        "step_time_s_after_resume": [data.get("timing_s/step") for _, data in sorted(after.items())],
        "latest_checkpointed_iteration": int(tracker.read_text()) if tracker.is_file() else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.scripts.smoke_report", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--asyppo", type=Path, required=True, help="AsyPPO run directory")
    parser.add_argument("--ppo", type=Path, required=True, help="symmetric PPO run directory")
    parser.add_argument("--actor", required=True, help="actor model dir (also the PPO critic)")
    parser.add_argument("--critics", nargs="+", required=True, help="AsyPPO critics, e.g. '2x DIR'")
    parser.add_argument("--prompts", type=int, required=True, help="prompts per step")
    parser.add_argument("--group-size", type=int, required=True, help="responses per prompt")
    parser.add_argument("--tokens-per-gpu", type=int, nargs=2, required=True, metavar=("ACTOR", "CRITIC"),
                        help="actor.ppo_max_token_len_per_gpu, critic.ppo_infer_max_token_len_per_gpu")
    parser.add_argument("--gpu-memory-gib", type=float, help="the GPU's memory (adds the rollout-phase estimate)")
    parser.add_argument("--rollout-memory-fraction", type=float, default=0.5, help="vLLM gpu_memory_utilization")
    parser.add_argument("--eval", type=Path, help="smoke_eval output directory (timing.json)")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    parser.add_argument("--device", default="unknown", help="the GPU's name, for the JSON summary")
    parser.add_argument("--steps", type=int, help="summarise steps 1..N only")
    parser.add_argument("--resumed-from", type=int, help="the AsyPPO run resumed from this step's checkpoint")
    parser.add_argument("--extra", type=Path, help="a JSON object merged into the JSON summary (phase times, ...)")
    args = parser.parse_args(argv)
    try:
        runs = summarize(args.asyppo, args.steps), summarize(args.ppo, args.steps)
        actor = load_facts(args.actor)
        critics = tuple(load_facts(name) for name in parse_critics(args.critics))
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    setups = (Setup("AsyPPO", actor, critics, 1.0 / len(critics)), Setup("PPO", actor, (actor,), 1.0))
    tokens = tuple(args.tokens_per_gpu)
    predicted = tuple(predicted_peak_gib(setup, run, args.prompts, args.group_size, tokens)
                      for setup, run in zip(setups, runs, strict=True))
    rollout = None
    if args.gpu_memory_gib:
        card = Card(memory_gib=args.gpu_memory_gib, rollout_fraction=args.rollout_memory_fraction)
        rollout = tuple(predicted_rollout_gib(setup, run, args.prompts, args.group_size, tokens, card)
                        for setup, run in zip(setups, runs, strict=True))
    eval_timing = json.loads((args.eval / "timing.json").read_text()) if args.eval else None
    print(report(runs[0], runs[1], predicted, rollout, eval_timing))
    if args.json:
        shapes = tuple(run_shape(run, args.prompts, args.group_size, tokens) for run in runs)
        summary = summary_json(runs, setups, shapes, args.device)
        if args.resumed_from is not None:
            summary["resume"] = resume_json(args.asyppo, args.resumed_from)
        if args.extra:
            summary.update(json.loads(args.extra.read_text()))
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
