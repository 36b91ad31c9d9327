"""Benchmark registry: one declarative record per evaluation set (lighteval style).

A :class:`Benchmark` says where a set lives (``<data_dir>/<local_dir>/test.jsonl``, by default the copy shipped in
``eval/data`` (:data:`DATA_DIR`, sources and licences in its README), or a Hugging Face Hub dataset), which field holds
the problem, how the gold answer is read from a row, which field holds a reference solution, and how many rows the set
must have. :func:`load_benchmark` turns the rows into :class:`BenchmarkProblem`
records and checks every row and the row count, so a truncated or wrong file fails loudly instead of silently
changing a reported number. Adding a benchmark is adding a record here (and a test), not editing the runner.

Hub copies: MATH-500, AIME 2024 (``HuggingFaceH4/aime_2024``) and AIME 2025 (``math-ai/aime25``) have the local files'
columns per their dataset cards; the others' columns were not checked offline, so a Hub load validates every row and
fails naming the Hub dataset, row and missing field rather than guessing.

Gold answers are returned as strings exactly as the source writes them, with two normalisations documented on the
rules below: integer-valued numbers lose a ``.0`` (AMC 2023 stores ``27.0``) and leading zeros (AIME 2024 stores
``"025"``), so every gold is the canonical answer a grader compares against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewards.extract import last_boxed
from rewards.jsonl import get_dotted, read_json_objects

DATA_DIR = Path(__file__).resolve().parent / "data"
"""The benchmark files shipped with the package: ``DATA_DIR/<local_dir>/test.jsonl`` for every registry record."""


@dataclass(frozen=True)
class BenchmarkProblem:
    """One evaluation problem.

    Attributes:
        id: identifier unique within its benchmark (the source's id field, as a string).
        problem: the question text given to the model.
        gold: the gold final answer as a string.
        reference_solution: a worked solution from the source, or None where the set has none.
    """

    id: str
    problem: str
    gold: str
    reference_solution: str | None


class BenchmarkRowError(ValueError):
    """A row cannot become a :class:`BenchmarkProblem`; the message names the source, row and field."""


def _canonical_number(value: Any) -> str:
    """``27.0`` -> ``"27"``, ``"025"`` -> ``"25"``, ``70`` -> ``"70"``; other values unchanged as strings."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    if text.isdigit():
        return str(int(text))
    return text


_ABSENT = object()


def _field(row: Mapping[str, Any], name: str) -> Any:
    """``row[name]``, or a nested field for a dotted ``name`` (``reward_model.ground_truth``).

    Raises:
        BenchmarkRowError: the field is missing (the message lists the row's fields), None or blank.
    """
    value = get_dotted(row, name, _ABSENT)
    if value is _ABSENT:
        raise BenchmarkRowError(f"field '{name}' is missing (row has {', '.join(sorted(row)) or 'no fields'})")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BenchmarkRowError(f"field '{name}' is empty")
    return value


def _collect_problems(
    rows: Iterable[tuple[str, Mapping[str, Any]]], to_problem: Callable[[Mapping[str, Any]], BenchmarkProblem],
    context: str,
) -> list[BenchmarkProblem]:
    """``to_problem`` of every ``(location, row)``, in order.

    Raises:
        BenchmarkRowError: a bad row or a repeated problem id; the message starts with ``context`` (when given) and
            the row's location.
    """
    prefix = f"{context}, " if context else ""
    problems: list[BenchmarkProblem] = []
    seen: dict[str, str] = {}
    for location, row in rows:
        try:
            problem = to_problem(row)
        except BenchmarkRowError as error:
            raise BenchmarkRowError(f"{prefix}{location}: {error}") from None
        if problem.id in seen:
            raise BenchmarkRowError(f"{prefix}{location}: duplicate id '{problem.id}' (first at {seen[problem.id]})")
        seen[problem.id] = location
        problems.append(problem)
    return problems


@dataclass(frozen=True)
class FieldGold:
    """Gold is ``row[field]``; integer-valued numbers are canonicalised (``27.0`` -> ``27``, ``"025"`` -> ``25``)."""

    field: str

    def __call__(self, row: Mapping[str, Any]) -> str:
        return _canonical_number(_field(row, self.field))


@dataclass(frozen=True)
class FirstOfListGold:
    """Gold is ``row[field][0]`` (OlympiadBench ``final_answer``; multi-answers stay one string like ``$69$,$84$``)."""

    field: str

    def __call__(self, row: Mapping[str, Any]) -> str:
        value = _field(row, self.field)
        if not isinstance(value, list | tuple) or not value:
            raise BenchmarkRowError(f"field '{self.field}' must be a non-empty list, got {value!r}")
        return str(value[0]).strip()


@dataclass(frozen=True)
class LastBoxedGold:
    """Gold is the content of the last ``\\boxed{}`` in ``row[field]`` (Minerva's ``solution``)."""

    field: str

    def __call__(self, row: Mapping[str, Any]) -> str:
        answer = last_boxed(str(_field(row, self.field)))
        if not answer:
            raise BenchmarkRowError(f"field '{self.field}' has no non-empty \\boxed{{...}} answer")
        return answer


@dataclass(frozen=True)
class AfterMarkerGold:
    """Gold is the text after the last ``marker`` in ``row[field]`` (GSM8K ``#### 18``); thousands commas removed."""

    field: str
    marker: str = "####"

    def __call__(self, row: Mapping[str, Any]) -> str:
        text = str(_field(row, self.field))
        if self.marker not in text:
            raise BenchmarkRowError(f"field '{self.field}' has no '{self.marker}' answer marker")
        answer = text.rsplit(self.marker, 1)[1].strip().replace(",", "")
        if not answer:
            raise BenchmarkRowError(f"field '{self.field}' has nothing after '{self.marker}'")
        return answer


GoldRule = FieldGold | FirstOfListGold | LastBoxedGold | AfterMarkerGold


@dataclass(frozen=True)
class HubSource:
    """Where a benchmark lives on the Hugging Face Hub.

    Attributes:
        path: dataset repository, e.g. ``HuggingFaceH4/MATH-500``.
        split: split holding the evaluation rows.
        config: dataset configuration (subset) name, if the repository has several.
        rename: Hub column -> local column, applied before the record's field rules, for Hub copies whose column
            names differ from the local file.
        gold: replaces the record's gold rule for Hub copies that store the answer differently; None keeps it.
    """

    path: str
    split: str
    config: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    gold: GoldRule | None = None


@dataclass(frozen=True)
class Benchmark:
    """One benchmark, declaratively.

    Attributes:
        name: registry key (what ``--benchmarks`` takes).
        local_dir: directory under ``data_dir`` holding ``test.jsonl``.
        hub: the same set on the Hugging Face Hub.
        id_field: row field holding the problem id.
        problem_field: row field holding the question.
        gold: rule reading the gold answer from a row.
        reference_field: row field holding a worked solution (a list takes its first entry), None if the set has none.
        num_rows: expected number of rows; a mismatch on load is an error.
        context_field: optional row field prepended to the question (with a blank line) when not null.
    """

    name: str
    local_dir: str
    hub: HubSource
    id_field: str
    problem_field: str
    gold: GoldRule
    reference_field: str | None
    num_rows: int
    context_field: str | None = None

    def problem_from_row(self, row: Mapping[str, Any], gold: GoldRule | None = None) -> BenchmarkProblem:
        """Build a :class:`BenchmarkProblem` from one row.

        Raises:
            BenchmarkRowError: a field is missing, empty or has the wrong shape; the message names the field.
        """
        question = str(_field(row, self.problem_field)).strip()
        if self.context_field is not None and row.get(self.context_field):
            question = f"{str(row[self.context_field]).strip()}\n\n{question}"
        reference = None
        if self.reference_field is not None:
            value = row.get(self.reference_field)
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            reference = str(value) if value else None
        return BenchmarkProblem(
            id=str(_field(row, self.id_field)),
            problem=question,
            gold=(gold or self.gold)(row),
            reference_solution=reference,
        )


BENCHMARKS: dict[str, Benchmark] = {
    benchmark.name: benchmark
    for benchmark in (
        Benchmark(
            name="aime24",
            local_dir="aime24",
            hub=HubSource("HuggingFaceH4/aime_2024", split="train"),
            id_field="id",
            problem_field="problem",
            gold=FieldGold("answer"),
            reference_field="solution",
            num_rows=30,
        ),
        Benchmark(
            name="aime25",
            local_dir="aime25",
            hub=HubSource("math-ai/aime25", split="test"),
            id_field="id",
            problem_field="problem",
            gold=FieldGold("answer"),
            reference_field=None,
            num_rows=30,
        ),
        Benchmark(
            name="math500",
            local_dir="math500",
            hub=HubSource("HuggingFaceH4/MATH-500", split="test"),
            id_field="unique_id",
            problem_field="problem",
            gold=FieldGold("answer"),
            reference_field="solution",
            num_rows=500,
        ),
        Benchmark(
            name="olympiadbench",
            local_dir="olympiadbench",
            hub=HubSource("Hothan/OlympiadBench", split="train", config="OE_TO_maths_en_COMP"),
            id_field="id",
            problem_field="question",
            gold=FirstOfListGold("final_answer"),
            reference_field="solution",
            num_rows=675,
            context_field="context",
        ),
        Benchmark(
            name="minerva",
            local_dir="minerva_math",
            hub=HubSource(
                "math-ai/minervamath", split="test", rename={"question": "problem"}, gold=FieldGold("answer")
            ),
            id_field="idx",
            problem_field="problem",
            gold=LastBoxedGold("solution"),
            reference_field="solution",
            num_rows=272,
        ),
        Benchmark(
            name="amc23",
            local_dir="amc23",
            hub=HubSource("math-ai/amc23", split="test", rename={"question": "problem"}),
            id_field="id",
            problem_field="problem",
            gold=FieldGold("answer"),
            reference_field=None,
            num_rows=40,
        ),
        Benchmark(
            name="gsm8k",
            local_dir="gsm8k",
            hub=HubSource("openai/gsm8k", split="test", config="main"),
            id_field="idx",
            problem_field="question",
            gold=AfterMarkerGold("answer"),
            reference_field="answer",
            num_rows=1319,
        ),
    )
}

PAPER_SUITE: tuple[str, ...] = ("aime24", "aime25", "math500", "olympiadbench", "minerva", "amc23")
ALIASES: dict[str, tuple[str, ...]] = {"paper": PAPER_SUITE, "all": tuple(BENCHMARKS)}


VERL_FILE_SUFFIXES = (".parquet", ".jsonl")


def is_verl_file(name: str) -> bool:
    """True for a benchmark given as a file path (``*.parquet`` / ``*.jsonl``) instead of a registry name."""
    return name.endswith(VERL_FILE_SUFFIXES)


def load_verl_file(path: str | Path) -> list[BenchmarkProblem]:
    """The problems of a file in verl's RL schema: ``data_prep``'s ``train``/``val`` parquet, or such rows as JSONL.

    Per row: problem ``extra_info.problem`` (the question without the prompt template, which the run applies),
    gold ``reward_model.ground_truth``, id ``<data_source>/<extra_info.index>``, no reference solution. Every row is
    checked; the file's own row count is the expected one.

    Raises:
        FileNotFoundError: no such file.
        BenchmarkRowError: a missing or empty field, or a duplicate id (names the file, row and field).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"benchmark file {path} not found")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = [(f"{path} row {index}", row) for index, row in enumerate(pq.read_table(path).to_pylist())]
    else:
        rows = _read_jsonl(path)
    return _collect_problems(rows, _verl_row_problem, context="")


def _verl_row_problem(row: Mapping[str, Any]) -> BenchmarkProblem:
    return BenchmarkProblem(
        id=f"{_field(row, 'data_source')}/{_field(row, 'extra_info.index')}",
        problem=str(_field(row, "extra_info.problem")).strip(),
        gold=_canonical_number(_field(row, "reward_model.ground_truth")),
        reference_solution=None,
    )


def resolve_benchmark_names(spec: str) -> list[str]:
    """Turn a comma list of names and aliases (``paper``, ``all``) into registry names, in order, without repeats.

    A ``*.parquet`` / ``*.jsonl`` path stands for itself (:func:`load_verl_file`); its path is its benchmark name.

    Raises:
        ValueError: an unknown name (the message lists the known names and aliases) or an empty spec.
    """
    names: list[str] = []
    for token in (part.strip() for part in spec.split(",")):
        if not token:
            continue
        if token in ALIASES:
            expanded = ALIASES[token]
        elif token in BENCHMARKS or is_verl_file(token):
            expanded = (token,)
        else:
            raise ValueError(
                f"unknown benchmark '{token}'; known benchmarks: {', '.join(BENCHMARKS)}; "
                f"aliases: {', '.join(ALIASES)}; or a {' / '.join(VERL_FILE_SUFFIXES)} file in verl's RL schema"
            )
        names.extend(name for name in expanded if name not in names)
    if not names:
        raise ValueError(f"no benchmark named in '{spec}'; known benchmarks: {', '.join(BENCHMARKS)}")
    return names


def _read_jsonl(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(location, row) pairs, location being ``path:line`` for error messages."""
    with path.open(encoding="utf-8") as handle:
        numbered_rows = read_json_objects(handle, str(path), BenchmarkRowError)
    return [(f"{path}:{line_number}", row) for line_number, row in numbered_rows]


def _read_hub(benchmark: Benchmark) -> list[tuple[str, dict[str, Any]]]:
    """(location, row) pairs of the Hub copy; rows lacking the id field get their row index as id."""
    from datasets import load_dataset

    hub = benchmark.hub
    dataset = load_dataset(hub.path, hub.config, split=hub.split)
    source = f"hub:{hub.path}" + (f"/{hub.config}" if hub.config else "") + f"[{hub.split}]"
    rows = []
    for index, row in enumerate(dataset):
        renamed = {hub.rename.get(key, key): value for key, value in row.items()}
        renamed.setdefault(benchmark.id_field, index)
        rows.append((f"{source} row {index}", renamed))
    return rows


def load_benchmark(name: str, data_dir: str | Path | None = None, *, hub: bool = False) -> list[BenchmarkProblem]:
    """Load every problem of benchmark ``name``, in file order.

    Args:
        name: a registry name (see ``BENCHMARKS``), or the path of a ``*.parquet`` / ``*.jsonl`` file in verl's RL
            schema (:func:`load_verl_file`; ``data_dir`` and ``hub`` do not apply to it).
        data_dir: directory holding ``<local_dir>/test.jsonl`` per benchmark; None reads the shipped copies in
            :data:`DATA_DIR`.
        hub: load the Hugging Face Hub copy with ``datasets`` instead of a local file (``data_dir`` must be None).

    Raises:
        ValueError: unknown ``name``, or both ``data_dir`` and ``hub`` given.
        FileNotFoundError: the local file is missing (the message names the path and the benchmark).
        BenchmarkRowError: a malformed row (names file and line, or Hub row, and the field), a duplicate id, or a row
            count different from the expected one.
    """
    if is_verl_file(name):
        return load_verl_file(name)
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark '{name}'; known benchmarks: {', '.join(BENCHMARKS)}")
    if hub and data_dir is not None:
        raise ValueError(f"benchmark '{name}': give a data directory or the Hub, not both (data_dir={data_dir})")
    benchmark = BENCHMARKS[name]
    gold_rule = benchmark.gold
    if hub:
        rows = _read_hub(benchmark)
        source = f"hub:{benchmark.hub.path}"
        gold_rule = benchmark.hub.gold or benchmark.gold
    else:
        path = Path(DATA_DIR if data_dir is None else data_dir) / benchmark.local_dir / "test.jsonl"
        if not path.is_file():
            raise FileNotFoundError(
                f"benchmark '{name}': file {path} not found (expected <data_dir>/{benchmark.local_dir}/test.jsonl)"
            )
        rows = _read_jsonl(path)
        source = str(path)
    problems = _collect_problems(rows, lambda row: benchmark.problem_from_row(row, gold_rule), f"benchmark '{name}'")
    if len(problems) != benchmark.num_rows:
        raise BenchmarkRowError(
            f"benchmark '{name}': {source} has {len(problems)} rows, expected {benchmark.num_rows}"
        )
    return problems
