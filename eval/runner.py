"""Run an evaluation: prompts -> samples -> verdicts -> ``samples.jsonl``, resumably, then metrics and reports.

Work is done in chunks of problems: each chunk is one ``backend.generate`` call, is scored, and is appended (flushed)
to ``samples.jsonl`` before the next starts. A restarted run with the same settings skips every sample on disk.
Chunks are formed over the still-missing samples in benchmark and file order, so a run killed between chunks
regenerates exactly the chunks it had not written and finishes with identical samples and metrics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.benchmarks import BenchmarkProblem, load_benchmark
from eval.generation import GenerationBackend, GenerationRequest, SamplingConfig
from eval.prompts import build_prompt
from eval.records import SAMPLES_FILE, SampleRecord, append_samples, check_run_config, read_samples
from eval.report import compute_results, write_results
from eval.scoring import DEFAULT_TIMEOUT_S, DEFAULT_WORKERS, score_responses


@dataclass(frozen=True)
class RunSettings:
    """Everything that determines a run's samples (stored as ``run_config.json`` and checked on resume).

    Attributes:
        model: model path or Hub id.
        benchmarks: registry names, in order.
        sampling: sampling options.
        template: :mod:`eval.prompts` template name.
        chat_template: apply the tokenizer's chat template (as verl's training does).
        chat_template_kwargs: extra ``apply_chat_template`` arguments (verl's ``data.apply_chat_template_kwargs``).
        backend: resolved backend name (``vllm`` or ``hf``).
        limit: evaluate only the first ``limit`` problems of each benchmark; None for all.
        data_dir: local benchmark directory; None reads the files shipped in ``eval/data``.
        hub: load the benchmarks from the Hugging Face Hub instead (``data_dir`` must be None).
    """

    model: str
    benchmarks: tuple[str, ...]
    sampling: SamplingConfig
    template: str
    chat_template: bool
    backend: str
    limit: int | None = None
    data_dir: str | None = None
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    hub: bool = False

    def to_config(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Pending:
    benchmark: str
    problem: BenchmarkProblem
    prompt: str
    sample_indices: tuple[int, ...]


def request_seed(base_seed: int, benchmark: str, problem_id: str, first_sample: int) -> int:
    """A stable seed for the samples of one problem starting at ``first_sample``.

    Independent of Python's hash salt and of the other problems in a batch; it includes ``first_sample`` so that a
    resumed request for the missing samples does not redraw the samples already on disk.
    """
    digest = hashlib.sha256(f"{base_seed}/{benchmark}/{problem_id}/{first_sample}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def load_problems(settings: RunSettings) -> dict[str, list[BenchmarkProblem]]:
    """Each benchmark's problems (the first ``limit`` if set)."""
    problems = {name: load_benchmark(name, settings.data_dir, hub=settings.hub) for name in settings.benchmarks}
    if settings.limit is not None:
        problems = {name: items[: settings.limit] for name, items in problems.items()}
    return problems


def _pending(
    settings: RunSettings, problems: dict[str, list[BenchmarkProblem]], done: set[tuple[str, str, int]], tokenizer: Any
) -> list[_Pending]:
    pending = []
    for name, items in problems.items():
        for problem in items:
            missing = tuple(i for i in range(settings.sampling.n) if (name, problem.id, i) not in done)
            if missing:
                prompt = build_prompt(
                    problem.problem, settings.template, tokenizer, settings.chat_template, settings.chat_template_kwargs
                )
                pending.append(_Pending(name, problem, prompt, missing))
    return pending


def run_eval(
    settings: RunSettings,
    out_dir: str | Path,
    make_backend: Callable[[], GenerationBackend],
    *,
    chunk_problems: int | None = None,
    workers: int = DEFAULT_WORKERS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Generate, score and report every missing sample of ``settings`` into ``out_dir``; return the results dict.

    Args:
        settings: what to evaluate.
        out_dir: run directory (created; resumed if it holds the same settings).
        make_backend: builds the generation backend (called only if samples are missing). The backend must expose
            its ``tokenizer`` for prompt building.
        chunk_problems: problems per generate call and per flush; None puts every missing sample in one call.
        workers: verifier processes.
        timeout_s: per-response verification limit in seconds.
        show_progress: tqdm bars.

    Raises:
        ValueError: ``out_dir`` holds samples of a run with different settings.
    """
    out_dir = Path(out_dir)
    problems = load_problems(settings)
    samples_path = out_dir / SAMPLES_FILE
    existing = read_samples(samples_path)
    check_run_config(out_dir, settings.to_config(), replace=not existing)
    done = {record.key for record in existing}
    expected = {(name, p.id, i) for name, items in problems.items() for p in items for i in range(settings.sampling.n)}
    if not expected <= done:
        backend = make_backend()
        pending = _pending(settings, problems, done, backend.tokenizer)
        size = chunk_problems or len(pending)
        for start in range(0, len(pending), size):
            _generate_chunk(pending[start : start + size], settings, backend, samples_path, workers, timeout_s,
                            show_progress)
    records = [record for record in read_samples(samples_path) if record.key in expected]
    results = compute_results(records, settings.to_config())
    write_results(out_dir, results)
    return results


def _generate_chunk(
    chunk: list[_Pending],
    settings: RunSettings,
    backend: GenerationBackend,
    samples_path: Path,
    workers: int,
    timeout_s: float,
    show_progress: bool,
) -> None:
    requests = [
        GenerationRequest(
            prompt=item.prompt,
            num_samples=len(item.sample_indices),
            seed=request_seed(settings.sampling.seed, item.benchmark, item.problem.id, item.sample_indices[0]),
        )
        for item in chunk
    ]
    completions = backend.generate(requests, settings.sampling)
    flat = [
        (item, sample_index, completion)
        for item, outputs in zip(chunk, completions, strict=True)
        for sample_index, completion in zip(item.sample_indices, outputs, strict=True)
    ]
    verdicts = score_responses(
        [completion.text for _, _, completion in flat],
        [item.problem.gold for item, _, _ in flat],
        workers=workers,
        timeout_s=timeout_s,
        show_progress=show_progress,
    )
    append_samples(
        samples_path,
        (
            SampleRecord(
                benchmark=item.benchmark,
                problem_id=item.problem.id,
                sample_index=sample_index,
                prompt=item.prompt,
                response=completion.text,
                finish_reason=completion.finish_reason,
                gold=item.problem.gold,
                answer=verdict.answer,
                correct=bool(verdict.correct),
                reason=verdict.reason,
                answer_source=verdict.source,
            )
            for (item, sample_index, completion), verdict in zip(flat, verdicts, strict=True)
        ),
    )
