"""Training pools: built-in Hugging Face Hub adapters and local parquet/jsonl/json files with a column mapping.

Every source becomes a list of :class:`~data_prep.records.Problem` plus the rows it could not read
(:class:`~data_prep.records.Dropped` with reason ``invalid_row``: missing answer, non-string problem, ...). A broken
or unreadable file, or a mapped column that no row has, raises :class:`~data_prep.records.DataPrepError` naming the
file and field. With ``strict=True`` the first invalid row raises instead of being counted.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
from tqdm import tqdm

from data_prep.records import DataPrepError, Dropped, Problem
from data_prep.text import strip_instruction
from rewards.extract import last_boxed
from rewards.jsonl import get_dotted, read_json_objects

FILE_SUFFIXES = (".parquet", ".jsonl", ".json")
_LEVEL = re.compile(r"^\s*(?:level\s*)?(\d+(?:\.\d+)?)\s*$", re.IGNORECASE)


class _BadRow(Exception):
    """One row cannot become a Problem: ``field`` is the offending field, ``detail`` what is wrong."""

    def __init__(self, field_name: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field_name
        self.detail = detail


@dataclass(frozen=True)
class FieldMap:
    """Which (dotted, e.g. ``reward_model.ground_truth``) fields of a file row hold what.

    ``problem=None`` means: read verl's RL schema (``prompt``/``reward_model``) when the file has it, else the field
    ``problem``. Difficulty and subject are optional; a row whose value is missing or unreadable gets None.
    """

    problem: str | None = None
    answer: str = "answer"
    difficulty: str | None = None
    subject: str | None = None


@dataclass
class LoadedSource:
    """One source after reading: its problems in source order, the rows it dropped, and what it was read from.

    Attributes:
        spec: the ``--source`` value as given.
        kind: ``hub`` or ``file``.
        files: ``[{"path": ..., "sha256": ...}]`` for every file read (Hub: the ``datasets`` cache files).
        rows: rows read, valid or not.
        content_sha256: sha256 over every valid problem's source, index, problem and answer in order, each followed by
            a NUL byte.
    """

    spec: str
    kind: str
    files: list[dict[str, str]]
    rows: int
    problems: list[Problem] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    content_sha256: str = ""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def problem_text(value: Any, field_name: str) -> str:
    """The problem statement, stripped; a missing or non-string value is a bad row (an empty or blank string is
    returned as ``""`` for the ``empty_problem`` filter)."""
    if _is_missing(value):
        raise _BadRow(field_name, "problem is missing")
    if not isinstance(value, str):
        raise _BadRow(field_name, f"problem must be a string, got {type(value).__name__} {value!r:.60}")
    return value.strip()


def answer_text(value: Any, field_name: str) -> str:
    """The gold answer as a string: ``27.0`` -> ``"27"``, ``[5]`` -> ``"5"``; missing, empty or many is a bad row."""
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if _is_missing(value):
        raise _BadRow(field_name, "answer is missing")
    if isinstance(value, bool) or not isinstance(value, str | numbers.Real):
        raise _BadRow(field_name, f"answer must be a string or number, got {type(value).__name__} {value!r:.60}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if not value.strip():
        raise _BadRow(field_name, "answer is empty")
    return value.strip()


def difficulty_value(value: Any) -> float | None:
    """A number, ``"4.5"`` or ``"Level 3"`` as a float; anything else (``"Level ?"``, None) as None."""
    if isinstance(value, bool) or _is_missing(value):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        match = _LEVEL.match(value)
        return float(match.group(1)) if match else None
    return None


def subject_value(value: Any) -> str | None:
    """A non-empty string stripped, else None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def top_level_topic(value: Any) -> str | None:
    """DeepMath's ``"Mathematics -> Algebra -> ..."`` -> ``"Algebra"`` (the first level below ``Mathematics``)."""
    topic = subject_value(value)
    if topic is None:
        return None
    parts = [part.strip() for part in topic.split("->")]
    return parts[1] if parts[0] == "Mathematics" and len(parts) > 1 else parts[0]


RowReader = Callable[[Mapping[str, Any], str, int], Problem]
"""``(row, default data_source, row position) -> Problem``; raises ``_BadRow``."""


def read_verl_row(row: Mapping[str, Any], name: str, position: int) -> Problem:
    """A row in verl's RL schema: the last user message (instruction wrapper stripped) and ``ground_truth``.

    Difficulty from a ``level`` column (MATH) or ``extra_info.difficulty``; subject from ``type`` or
    ``extra_info.subject``; ``index`` is ``extra_info.index`` when it is an integer, else the row position.
    """
    messages = row.get("prompt")
    if not isinstance(messages, list | tuple) or not messages:
        raise _BadRow("prompt", f"prompt must be a non-empty list of chat messages, got {messages!r:.60}")
    user = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
    if not user:
        raise _BadRow("prompt", "prompt has no message with role 'user'")
    content = problem_text(user[-1].get("content"), "prompt")
    answer = answer_text(get_dotted(row, "reward_model.ground_truth"), "reward_model.ground_truth")
    extra = row.get("extra_info") if isinstance(row.get("extra_info"), Mapping) else {}
    raw_index = extra.get("index")
    is_int = isinstance(raw_index, numbers.Integral) and not isinstance(raw_index, bool)
    return Problem(
        source=subject_value(row.get("data_source")) or name,
        index=int(raw_index) if is_int else position,
        problem=strip_instruction(content),
        answer=answer,
        difficulty=difficulty_value(row.get("level", extra.get("difficulty"))),
        subject=subject_value(row.get("type", extra.get("subject"))),
        source_id=None if _is_missing(raw_index) else str(raw_index),
    )


def mapped_reader(fields: FieldMap) -> RowReader:
    """A reader taking problem, answer, difficulty and subject from the mapped (dotted) fields."""
    problem_field = fields.problem or "problem"

    def read(row: Mapping[str, Any], name: str, position: int) -> Problem:
        return Problem(
            source=name,
            index=position,
            problem=problem_text(get_dotted(row, problem_field), problem_field),
            answer=answer_text(get_dotted(row, fields.answer), fields.answer),
            difficulty=difficulty_value(get_dotted(row, fields.difficulty)) if fields.difficulty else None,
            subject=subject_value(get_dotted(row, fields.subject)) if fields.subject else None,
        )

    return read


def _read_deepmath(row: Mapping[str, Any], name: str, position: int) -> Problem:
    return Problem(
        source=name,
        index=position,
        problem=problem_text(row.get("question"), "question"),
        answer=answer_text(row.get("final_answer"), "final_answer"),
        difficulty=difficulty_value(row.get("difficulty")),
        subject=top_level_topic(row.get("topic")),
    )


def _read_math_lighteval(row: Mapping[str, Any], name: str, position: int) -> Problem:
    solution = row.get("solution")
    if not isinstance(solution, str):
        raise _BadRow("solution", f"solution must be a string, got {type(solution).__name__}")
    answer = last_boxed(solution)
    if not answer:
        raise _BadRow("solution", "solution has no non-empty \\boxed{...} answer")
    return Problem(
        source=name,
        index=position,
        problem=problem_text(row.get("problem"), "problem"),
        answer=answer,
        difficulty=difficulty_value(row.get("level")),
        subject=subject_value(row.get("type")),
    )


def _read_deepscaler(row: Mapping[str, Any], name: str, position: int) -> Problem:
    return Problem(
        source=name,
        index=position,
        problem=problem_text(row.get("problem"), "problem"),
        answer=answer_text(row.get("answer"), "answer"),
    )


@dataclass(frozen=True)
class HubAdapter:
    """How rows of one Hub training pool become Problems: the columns it reads and the row reader."""

    name: str
    columns: tuple[str, ...]
    read: RowReader


HUB_ADAPTERS: dict[str, HubAdapter] = {
    adapter.name: adapter
    for adapter in (
        HubAdapter("zwhe99/DeepMath-103K", ("question", "final_answer", "difficulty", "topic"), _read_deepmath),
        HubAdapter(
            "BytedTsinghua-SIA/DAPO-Math-17k", ("data_source", "prompt", "reward_model", "extra_info"), read_verl_row
        ),
        HubAdapter(
            "DigitalLearningGmbH/MATH-lighteval", ("problem", "solution", "level", "type"), _read_math_lighteval
        ),
        HubAdapter("agentica-org/DeepScaleR-Preview-Dataset", ("problem", "answer"), _read_deepscaler),
    )
}
DEFAULT_SOURCE = "zwhe99/DeepMath-103K"


def _read_rows(
    spec: str, kind: str, files: list[dict[str, str]], rows: Iterable[Mapping[str, Any]], total: int,
    name: str, read: RowReader, strict: bool, progress: bool,
) -> LoadedSource:
    loaded = LoadedSource(spec=spec, kind=kind, files=files, rows=0)
    digest = hashlib.sha256()
    for position, row in enumerate(tqdm(rows, total=total, desc=f"reading {spec}", disable=not progress)):
        loaded.rows += 1
        try:
            problem = read(row, name, position)
        except _BadRow as bad:
            if strict:
                raise DataPrepError(f"{spec}, row {position}, field '{bad.field}': {bad.detail}") from None
            loaded.dropped.append(Dropped("invalid_row", spec, position, f"field '{bad.field}': {bad.detail}"))
            continue
        loaded.problems.append(problem)
        digest.update(f"{problem.source}\0{problem.index}\0{problem.problem}\0{problem.answer}\0".encode())
    loaded.content_sha256 = digest.hexdigest()
    return loaded


def _file_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        try:
            return pq.read_table(path).to_pylist()
        except Exception as error:  # pyarrow raises several types for damaged files
            raise DataPrepError(f"{path}: cannot read as parquet ({type(error).__name__}: {error})") from error
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataPrepError(f"{path}: not UTF-8 text (byte {error.start}); expected JSON") from error
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataPrepError(f"{path}: invalid JSON at line {error.lineno}: {error.msg}") from error
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise DataPrepError(f"{path}: a .json source must hold a list of objects (one per problem)")
        return data
    return [row for _, row in read_json_objects(text.splitlines(), str(path), DataPrepError)]


def _check_fields(path: Path, rows: list[dict[str, Any]], names: list[str]) -> None:
    present = set().union(*(row.keys() for row in rows)) if rows else set()
    for name in names:
        if name.split(".")[0] not in present:
            raise DataPrepError(
                f"{path}: field '{name}' not found; the file has {', '.join(sorted(present)) or 'no fields'}"
                " (choose fields with --problem-field/--answer-field)"
            )


def load_file(path: Path, fields: FieldMap, strict: bool = False, progress: bool = False) -> LoadedSource:
    """Read a local parquet/jsonl/json pool (verl-schema parquet is detected when no problem field is given)."""
    if path.suffix not in FILE_SUFFIXES:
        raise DataPrepError(f"{path}: unsupported file type '{path.suffix}'; use one of {', '.join(FILE_SUFFIXES)}")
    rows = _file_rows(path)
    columns = set(rows[0]) if rows else set()
    if fields.problem is None and {"prompt", "reward_model"} <= columns:
        read: RowReader = read_verl_row
        _check_fields(path, rows, ["prompt", "reward_model.ground_truth"])
    else:
        read = mapped_reader(fields)
        optional = [name for name in (fields.difficulty, fields.subject) if name]
        _check_fields(path, rows, [fields.problem or "problem", fields.answer, *optional])
    files = [{"path": str(path), "sha256": sha256_file(path)}]
    return _read_rows(str(path), "file", files, rows, len(rows), path.stem, read, strict, progress)


def load_hub(
    name: str, fields: FieldMap | None, split: str = "train", revision: str | None = None,
    strict: bool = False, progress: bool = False,
) -> LoadedSource:
    """Read a Hub pool through ``datasets.load_dataset``: a built-in adapter, or ``fields`` for any other dataset."""
    adapter = HUB_ADAPTERS.get(name)
    if adapter is None and (fields is None or fields.problem is None):
        raise DataPrepError(
            f"source '{name}' is neither an existing file nor a known Hub pool ({', '.join(HUB_ADAPTERS)}); "
            "for another Hub dataset pass --problem-field and --answer-field"
        )
    try:
        dataset = datasets.load_dataset(name, split=split, revision=revision)
    except Exception as error:  # network, auth and missing-split errors all surface here
        raise DataPrepError(f"cannot load Hub dataset '{name}' (split '{split}'): {error}") from error
    files = [{"path": item["filename"], "sha256": sha256_file(item["filename"])} for item in dataset.cache_files]
    if adapter is not None:
        read, columns = adapter.read, list(adapter.columns)
    else:
        assert fields is not None
        read = mapped_reader(fields)
        columns = [f.split(".")[0] for f in (fields.problem, fields.answer, fields.difficulty, fields.subject) if f]
    missing = [column for column in columns if column not in dataset.column_names]
    if missing:
        raise DataPrepError(f"Hub dataset '{name}' lacks columns {missing}; it has {dataset.column_names}")
    dataset = dataset.select_columns(columns)
    return _read_rows(name, "hub", files, dataset, len(dataset), name, read, strict, progress)


def load_source(
    spec: str, fields: FieldMap, split: str = "train", revision: str | None = None,
    strict: bool = False, progress: bool = False,
) -> LoadedSource:
    """A ``--source`` value: an existing local file, else a Hub dataset name."""
    path = Path(spec)
    if path.exists():
        if not path.is_file():
            raise DataPrepError(f"source '{spec}' is a directory; pass the parquet/jsonl/json file inside it")
        return load_file(path, fields, strict=strict, progress=progress)
    if path.suffix in FILE_SUFFIXES:
        raise DataPrepError(f"source file '{spec}' does not exist")
    return load_hub(spec, fields, split=split, revision=revision, strict=strict, progress=progress)
