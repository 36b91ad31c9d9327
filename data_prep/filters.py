"""The filters between the raw pools and sampling, each counted.

Order (a row is counted under the first filter that removes it): ``invalid_row`` (from reading) ->
``empty_problem`` -> ``problem_too_long`` -> ``difficulty_out_of_range`` -> ``no_single_answer`` (proofs and
multi-part questions) -> ``answer_unparseable`` / ``answer_self_check_failed`` (the ``rewards`` verifier) ->
``exact_duplicate`` -> ``near_duplicate`` (the first occurrence in source order is kept) -> ``contaminated`` (shares
a word n-gram with a benchmark problem). Rows without a difficulty pass the difficulty range and are counted in
``difficulty_unknown_kept``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm import tqdm

from data_prep.answer_check import SELF_CHECK_FAILED, UNPARSEABLE, check_golds
from data_prep.checkable import single_answer_problem
from data_prep.decontaminate import NgramIndex
from data_prep.records import DataPrepError, Dropped, Problem
from data_prep.text import exact_key, word_lists

FILTERS = (
    "invalid_row",
    "empty_problem",
    "problem_too_long",
    "difficulty_out_of_range",
    "no_single_answer",
    UNPARSEABLE,
    SELF_CHECK_FAILED,
    "exact_duplicate",
    "near_duplicate",
    "contaminated",
)
EXAMPLES_PER_FILTER = 5


@dataclass(frozen=True)
class FilterOptions:
    """Filter settings.

    Attributes:
        max_problem_chars: problems longer than this many characters are ``problem_too_long``.
        min_difficulty / max_difficulty: inclusive range on the source's own difficulty scale; None = unbounded.
    """

    max_problem_chars: int = 3000
    min_difficulty: float | None = None
    max_difficulty: float | None = None

    def __post_init__(self) -> None:
        if self.max_problem_chars < 1:
            raise DataPrepError(f"--max-problem-chars must be positive, got {self.max_problem_chars}")
        low, high = self.min_difficulty, self.max_difficulty
        if low is not None and high is not None and low > high:
            raise DataPrepError(f"--min-difficulty {low} is above --max-difficulty {high}")


@dataclass
class FilterReport:
    """Rows removed per filter (every name in ``FILTERS``), a few examples of each, and break-downs.

    ``contaminated_by_benchmark`` counts a removed problem once for every benchmark it shares an n-gram with.
    """

    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILTERS, 0))
    examples: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    contaminated_by_benchmark: Counter[str] = field(default_factory=Counter)
    no_single_answer_by_kind: Counter[str] = field(default_factory=Counter)
    difficulty_unknown_kept: int = 0

    def drop(self, dropped: Dropped) -> None:
        self.removed[dropped.reason] += 1
        examples = self.examples.setdefault(dropped.reason, [])
        if len(examples) < EXAMPLES_PER_FILTER:
            examples.append({"source": dropped.location, "row": dropped.row, "detail": dropped.detail})


def _drop(report: FilterReport, reason: str, problem: Problem, detail: str) -> None:
    report.drop(Dropped(reason, problem.source, problem.index, detail))


def _row_filters(problem: Problem, options: FilterOptions, report: FilterReport) -> bool:
    """True when ``problem`` passes the per-row filters; otherwise it is counted in ``report``."""
    text = problem.problem
    if not text:
        _drop(report, "empty_problem", problem, "problem is empty")
        return False
    if len(text) > options.max_problem_chars:
        _drop(report, "problem_too_long", problem, f"{len(text)} characters > {options.max_problem_chars}")
        return False
    ranged = options.min_difficulty is not None or options.max_difficulty is not None
    if problem.difficulty is None:
        report.difficulty_unknown_kept += 1 if ranged else 0
    elif (options.min_difficulty is not None and problem.difficulty < options.min_difficulty) or (
        options.max_difficulty is not None and problem.difficulty > options.max_difficulty
    ):
        _drop(report, "difficulty_out_of_range", problem, f"difficulty {problem.difficulty:g}")
        return False
    kind = single_answer_problem(text, problem.answer)
    if kind is not None:
        report.no_single_answer_by_kind[kind] += 1
        _drop(report, "no_single_answer", problem, kind)
        return False
    return True


def apply_filters(
    problems: Sequence[Problem],
    load_drops: Sequence[Dropped],
    options: FilterOptions,
    index: NgramIndex | None,
    progress: bool = False,
) -> tuple[list[Problem], FilterReport]:
    """The problems that pass every filter, in input order, and the report of what was removed and why.

    ``index`` None skips decontamination (``contaminated`` stays 0).
    """
    report = FilterReport()
    for dropped in load_drops:
        report.drop(dropped)
    kept = [p for p in tqdm(problems, desc="row filters", disable=not progress) if _row_filters(p, options, report)]

    verdicts = check_golds([problem.answer for problem in kept], progress=progress)
    checked = []
    for problem in kept:
        reason = verdicts[problem.answer]
        if reason is None:
            checked.append(problem)
        else:
            _drop(report, reason, problem, f"gold {problem.answer!r:.80}")

    seen_exact: set[str] = set()
    seen_near: set[str] = set()
    survivors = []
    for problem in tqdm(checked, desc="dedup + decontamination", disable=not progress):
        exact = exact_key(problem.problem)
        if exact in seen_exact:
            _drop(report, "exact_duplicate", problem, "same text as an earlier problem")
            continue
        seen_exact.add(exact)
        normalised, plain = word_lists(problem.problem)
        near = " ".join(normalised)
        if near in seen_near:
            _drop(report, "near_duplicate", problem, "same normalised text as an earlier problem")
            continue
        seen_near.add(near)
        benchmarks = index.match_words(normalised, plain) if index is not None else ()
        if benchmarks:
            report.contaminated_by_benchmark.update(benchmarks)
            _drop(report, "contaminated", problem, f"shares a {index.n}-gram with {', '.join(benchmarks)}")
            continue
        survivors.append(problem)
    return survivors, report
