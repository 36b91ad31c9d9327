"""A killed run restarted with the same settings loses no finished sample and finishes with identical results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.generation import Completion, GenerationRequest, SamplingConfig
from eval.records import SAMPLES_FILE
from eval.runner import RunSettings, run_eval


class Killed(RuntimeError):
    """Stands in for the process being killed."""


class CountingBackend:
    """Wraps a backend; records every call and raises :class:`Killed` on call number ``fail_on_call``."""

    name = "hf"

    def __init__(self, inner, fail_on_call: int | None = None) -> None:
        self.inner = inner
        self.tokenizer = inner.tokenizer
        self.fail_on_call = fail_on_call
        self.calls: list[list[GenerationRequest]] = []

    def generate(self, requests: list[GenerationRequest], sampling: SamplingConfig) -> list[list[Completion]]:
        self.calls.append(requests)
        if len(self.calls) == self.fail_on_call:
            raise Killed
        return self.inner.generate(requests, sampling)


def _settings(benchmarks_dir: Path, tiny_actor: Path, temperature: float) -> RunSettings:
    return RunSettings(
        model=str(tiny_actor),
        benchmarks=("aime25", "amc23"),
        sampling=SamplingConfig(n=2, temperature=temperature, top_p=0.9, max_tokens=6, seed=7),
        template="boxed",
        chat_template=True,
        backend="hf",
        limit=3,
        data_dir=str(benchmarks_dir),
    )


def _run(settings: RunSettings, out: Path, backend: CountingBackend) -> dict:
    return run_eval(settings, out, lambda: backend, chunk_problems=2, workers=1, show_progress=False)


def _lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / SAMPLES_FILE).open()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, hf_backend, benchmarks_dir: Path, tiny_actor: Path) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("resume") / "uninterrupted"
    results = _run(_settings(benchmarks_dir, tiny_actor, 1.0), out, CountingBackend(hf_backend))
    return out, results


def test_run_killed_after_two_chunks_resumes_without_regenerating_and_matches(
    uninterrupted, hf_backend, benchmarks_dir: Path, tiny_actor: Path, tmp_path: Path
):
    settings = _settings(benchmarks_dir, tiny_actor, 1.0)
    out = tmp_path / "killed"
    first = CountingBackend(hf_backend, fail_on_call=3)
    with pytest.raises(Killed):
        _run(settings, out, first)
    assert len(_lines(out)) == 2 * 2 * 2  # two finished chunks of 2 problems x 2 samples, flushed
    second = CountingBackend(hf_backend)
    results = _run(settings, out, second)
    assert [len(call) for call in second.calls] == [2]  # only the 2 problems of the third chunk
    reference_dir, reference = uninterrupted
    assert results["benchmarks"] == reference["benchmarks"]
    assert _lines(out) == _lines(reference_dir)


def test_a_torn_last_line_is_discarded_and_its_sample_regenerated(
    hf_backend, benchmarks_dir: Path, tiny_actor: Path, tmp_path: Path
):
    settings = _settings(benchmarks_dir, tiny_actor, 0.0)  # greedy: a regenerated sample is identical
    out = tmp_path / "torn"
    complete = _run(settings, out, CountingBackend(hf_backend))
    full = (out / SAMPLES_FILE).read_bytes()
    (out / SAMPLES_FILE).write_bytes(full[:-25])  # the writer died in the middle of the last line
    again = CountingBackend(hf_backend)
    with pytest.warns(UserWarning, match="torn last line"):
        results = _run(settings, out, again)
    assert [[r.num_samples for r in call] for call in again.calls] == [[1]]  # just the torn sample
    assert (out / SAMPLES_FILE).read_bytes() == full
    assert results["benchmarks"] == complete["benchmarks"]


def test_a_corrupt_line_before_the_last_is_an_error_naming_file_and_line(
    hf_backend, benchmarks_dir: Path, tiny_actor: Path, tmp_path: Path
):
    settings = _settings(benchmarks_dir, tiny_actor, 0.0)
    out = tmp_path / "corrupt"
    with pytest.raises(Killed):
        _run(settings, out, CountingBackend(hf_backend, fail_on_call=2))
    lines = (out / SAMPLES_FILE).read_text().splitlines(keepends=True)
    lines[1] = "{not json\n"
    (out / SAMPLES_FILE).write_text("".join(lines))
    with pytest.raises(ValueError, match=r"samples\.jsonl:2: not a sample record"):
        _run(settings, out, CountingBackend(hf_backend))


def test_sigkilled_cli_run_resumes_to_the_same_samples_as_an_uninterrupted_run(
    hf_backend, benchmarks_dir: Path, tiny_actor: Path, tmp_path: Path
):
    out = tmp_path / "sigkilled"
    args = [
        sys.executable, "-m", "eval", "run", "--model", str(tiny_actor), "--benchmarks", "aime25,amc23",
        "--data-dir", str(benchmarks_dir), "--limit", "5", "--n", "2", "--temperature", "0", "--max-tokens", "6",
        "--backend", "hf", "--chunk-problems", "1", "--workers", "1", "--no-progress", "--out", str(out),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / SAMPLES_FILE).exists() and (out / SAMPLES_FILE).stat().st_size > 0:
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    written = (out / SAMPLES_FILE).read_text().count("\n")
    assert 0 < written < 20, f"the run should be killed after its first chunk landed, found {written} samples"
    settings = RunSettings(
        model=str(tiny_actor), benchmarks=("aime25", "amc23"), sampling=SamplingConfig(n=2, temperature=0.0,
        top_p=0.95, max_tokens=6, seed=0), template="boxed", chat_template=True, backend="hf", limit=5,
        data_dir=str(benchmarks_dir),
    )
    resumed = CountingBackend(hf_backend)
    results = run_eval(settings, out, lambda: resumed, chunk_problems=1, workers=1, show_progress=False)
    assert sum(r.num_samples for call in resumed.calls for r in call) == 20 - written
    reference = run_eval(settings, tmp_path / "reference", lambda: CountingBackend(hf_backend), chunk_problems=1,
                         workers=1, show_progress=False)
    assert results["benchmarks"] == reference["benchmarks"]
    assert sorted(map(json.dumps, _lines(out))) == sorted(map(json.dumps, _lines(tmp_path / "reference")))


def test_a_run_that_failed_before_any_sample_can_be_rerun_with_corrected_settings(
    hf_backend, benchmarks_dir: Path, tiny_actor: Path, tmp_path: Path
):
    out = tmp_path / "failed_early"
    settings = _settings(benchmarks_dir, tiny_actor, 0.0)
    with pytest.raises(Killed):  # e.g. the model failed to load: run_config.json written, no samples
        _run(settings, out, CountingBackend(hf_backend, fail_on_call=1))
    corrected = RunSettings(**{**settings.__dict__, "sampling": SamplingConfig(n=2, temperature=0.0, max_tokens=4)})
    results = _run(corrected, out, CountingBackend(hf_backend))
    assert results["run"]["sampling"]["max_tokens"] == 4
    assert json.loads((out / "run_config.json").read_text())["sampling"]["max_tokens"] == 4


def test_samples_written_before_the_answer_source_was_recorded_still_read(tmp_path: Path):
    from eval.records import read_samples

    row = {"benchmark": "gsm8k", "problem_id": "0", "sample_index": 0, "prompt": "p", "response": "r",
           "finish_reason": "stop", "gold": "1", "answer": "1", "correct": True, "reason": "exact"}
    (tmp_path / SAMPLES_FILE).write_text(json.dumps(row) + "\n")
    assert read_samples(tmp_path / SAMPLES_FILE)[0].answer_source is None
