"""The per-sample JSONL store of a run and the run configuration that guards resuming.

A run directory holds ``samples.jsonl`` (one scored sample per line, appended and flushed per batch, never rewritten)
and ``run_config.json`` (the settings that determine the samples). Restarting a run with the same settings skips every
sample already in ``samples.jsonl``. A killed writer can leave a torn last line: it is cut off on load (with a warning)
and that sample is generated again. Any other unreadable line is an error naming the file and line.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SAMPLES_FILE = "samples.jsonl"
RUN_CONFIG_FILE = "run_config.json"


@dataclass(frozen=True)
class SampleRecord:
    """One generated and scored sample (one line of ``samples.jsonl``).

    Attributes:
        benchmark: registry name.
        problem_id: the problem's id within the benchmark.
        sample_index: 0..n-1.
        prompt: the exact prompt text.
        response: the generated text.
        finish_reason: ``"stop"`` or ``"length"`` (truncated at ``max_tokens``).
        gold: the gold answer scored against.
        answer: the extracted final answer, None if the response has none.
        correct: the verifier's verdict.
        reason: the verifier's reason string.
        answer_source: where the verifier read the answer (``rewards.Verdict.source``: ``boxed``, ``boxes``,
            ``answer_phrase``, ``gsm8k_marker``, ``fallback``), None if nowhere; absent from files written before
            it was recorded, which read as None.
    """

    benchmark: str
    problem_id: str
    sample_index: int
    prompt: str
    response: str
    finish_reason: str
    gold: str
    answer: str | None
    correct: bool
    reason: str
    answer_source: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.benchmark, self.problem_id, self.sample_index)


_FIELDS = set(SampleRecord.__dataclass_fields__)
_OPTIONAL_FIELDS = {"answer_source"}


def read_samples(path: Path) -> list[SampleRecord]:
    """All records of ``path`` (empty if it does not exist); a torn last line is cut off the file.

    Raises:
        ValueError: a line other than the last is not a valid record (names the file, line and problem).
    """
    if not path.exists():
        return []
    records: list[SampleRecord] = []
    good_bytes = 0
    with path.open("rb") as handle:
        lines = handle.readlines()
    for line_number, raw in enumerate(lines, start=1):
        is_last = line_number == len(lines)
        try:
            if not raw.endswith(b"\n"):
                raise ValueError("line has no newline (write was interrupted)")
            row = json.loads(raw)
            if not isinstance(row, dict) or not _FIELDS - _OPTIONAL_FIELDS <= set(row) <= _FIELDS:
                raise ValueError(f"expected the fields {sorted(_FIELDS)}")
            records.append(SampleRecord(**row))
        except ValueError as error:
            if not is_last:
                raise ValueError(f"{path}:{line_number}: not a sample record ({error})") from None
            warnings.warn(f"{path}:{line_number}: discarding a torn last line; its sample is generated again",
                          stacklevel=2)
            with path.open("r+b") as handle:
                handle.truncate(good_bytes)
            break
        good_bytes += len(raw)
    return records


def append_samples(path: Path, records: Iterable[SampleRecord]) -> None:
    """Append ``records`` to ``path`` and flush them to disk before returning."""
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: ``{"sampling": {"n": 4}}`` -> ``{"sampling.n": 4}``."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def check_run_config(out_dir: Path, config: dict[str, Any], replace: bool = False) -> None:
    """Write ``config`` to ``out_dir/run_config.json``, or check it equals the one already there.

    Args:
        out_dir: the run directory (created if missing).
        config: the run's settings as JSON-able values.
        replace: overwrite a differing stored config (for a directory without samples yet, e.g. after a run that
            failed before generating anything).

    Raises:
        ValueError: the directory holds a run with different settings; the message lists each differing key.
    """
    path = out_dir / RUN_CONFIG_FILE
    normalized = json.loads(json.dumps(config))
    if path.exists() and not replace:
        stored = json.loads(path.read_text())
        if stored != normalized:
            old, new = _flatten(stored), _flatten(normalized)
            diffs = [
                f"{key}: stored {old.get(key)!r}, now {new.get(key)!r}"
                for key in sorted(set(old) | set(new))
                if old.get(key) != new.get(key)
            ]
            raise ValueError(
                f"{path} was written by a run with different settings ({'; '.join(diffs)}); "
                "rerun with the same arguments to resume, or use a new --out directory"
            )
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(normalized, indent=2, sort_keys=True) + "\n")
