"""Synthetic arithmetic problems of graded difficulty, written as verl RL parquet (nothing is downloaded).

    python -m data_prep arithmetic --out DIR [--train 512] [--val 100] [--levels add1,mul1,add2,sub2,mul21]
                                   [--template short_answer] [--seed 0] [--source NAME]

Each problem asks ``What is a <op> b?`` with its exact integer answer as ``reward_model.ground_truth``. A
:class:`Level` fixes the operation and the operand ranges; its position in :data:`LEVELS` is the row's
``extra_info.difficulty`` and its name the ``extra_info.subject``. Splits hold the levels in equal shares (the
remainder goes to the first levels) in a seeded shuffled order; no validation question appears in the training
split. By default each level is its own ``data_source`` (``arith_<level>``), so verl logs validation accuracy per
level (``val-core/arith_add2/acc/mean@1``); ``--source NAME`` puts every row under one name.

The same seed and options always give the same rows (and byte-identical parquet files, see
:mod:`data_prep.writer`). ``recipe.asyppo.tools.tiny_data`` uses this generator for the tiny CPU runs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from data_prep.records import DataPrepError, Problem
from data_prep.writer import write_parquet
from eval.prompts import get_template

SOURCE_PREFIX = "arith_"
SHORT_ANSWER_TEMPLATE = "short_answer"


@dataclass(frozen=True)
class Level:
    """One kind of question: ``a <op> b`` with ``a`` in ``a_range`` and ``b`` in ``b_range`` (inclusive).

    ``ordered`` swaps the operands so that ``a >= b`` (non-negative differences).
    """

    name: str
    op: str
    a_range: tuple[int, int]
    b_range: tuple[int, int]
    ordered: bool = False

    def draw(self, rng: random.Random) -> tuple[str, str]:
        """(question, answer) drawn with ``rng``."""
        a, b = rng.randint(*self.a_range), rng.randint(*self.b_range)
        if self.ordered and a < b:
            a, b = b, a
        value = {"+": a + b, "-": a - b, "*": a * b}[self.op]
        return f"What is {a} {self.op} {b}?", str(value)


LEVELS: dict[str, Level] = {
    level.name: level
    for level in (
        Level("add1", "+", (0, 9), (0, 9)),
        Level("sub1", "-", (0, 9), (0, 9)),
        Level("mul1", "*", (0, 9), (0, 9)),
        Level("add2", "+", (10, 99), (10, 99)),
        Level("sub2", "-", (10, 99), (10, 99), ordered=True),
        Level("mul21", "*", (10, 99), (2, 9)),
    )
}
"""Levels in order of difficulty for a small instruction model (SmolLM2-135M, greedy, short-answer prompt, 16
problems each: add1 0.88, mul1 0.62, add2 0.25 correct)."""
DEFAULT_LEVELS: tuple[str, ...] = ("add1", "mul1", "add2", "sub2", "mul21")
TINY_LEVELS: tuple[str, ...] = ("add1", "sub1", "mul1")


def parse_levels(names: Sequence[str]) -> tuple[Level, ...]:
    """The :data:`LEVELS` named, in the given order.

    Raises:
        DataPrepError: no level, an unknown name or a repeated one (the message lists the known names).
    """
    if not names:
        raise DataPrepError(f"--levels: give at least one of {', '.join(LEVELS)}")
    unknown = [name for name in names if name not in LEVELS]
    if unknown:
        raise DataPrepError(f"--levels: unknown level(s) {', '.join(unknown)}; known: {', '.join(LEVELS)}")
    if len(set(names)) != len(names):
        raise DataPrepError(f"--levels: a level is named twice in {', '.join(names)}")
    return tuple(LEVELS[name] for name in names)


def _difficulty(level: Level) -> float:
    return float(list(LEVELS).index(level.name) + 1)


def make_problems(count: int, levels: Sequence[Level], seed: int, source: str | None = None,
                  exclude: frozenset[str] = frozenset(), start_index: int = 0) -> list[Problem]:
    """``count`` problems, the levels in equal shares, shuffled with ``seed``; none whose question is in ``exclude``.

    Args:
        source: every row's ``data_source``; None: ``arith_<level>`` per level.
        start_index: ``index`` of the first row (rows are numbered in output order).

    Raises:
        DataPrepError: ``count`` < 0, or a level whose every question is excluded.
    """
    if count < 0:
        raise DataPrepError(f"problem count must be >= 0, got {count}")
    rng = random.Random(seed)
    drawn: list[tuple[Level, str, str]] = []
    for position, level in enumerate(levels):
        share = count // len(levels) + (1 if position < count % len(levels) else 0)
        for _ in range(share):
            for _attempt in range(1000):
                question, answer = level.draw(rng)
                if question not in exclude:
                    break
            else:
                raise DataPrepError(f"level {level.name}: no question left outside the validation split")
            drawn.append((level, question, answer))
    rng.shuffle(drawn)
    return [
        Problem(source=source or SOURCE_PREFIX + level.name, index=start_index + offset, problem=question,
                answer=answer, difficulty=_difficulty(level), subject=level.name)
        for offset, (level, question, answer) in enumerate(drawn)
    ]


def build_arithmetic(out: str | Path, num_train: int, num_val: int, levels: Sequence[str] = DEFAULT_LEVELS,
                     seed: int = 0, template: str = SHORT_ANSWER_TEMPLATE,
                     source: str | None = None) -> tuple[Path, Path]:
    """Write ``out/train.parquet`` and ``out/val.parquet``; return their paths.

    The validation split is drawn first (seed ``seed + 1``), then the training split (seed ``seed``) without any
    validation question. Row indices run on from the validation rows, so every ``index`` is unique across splits.

    Raises:
        DataPrepError: bad levels, counts below 1, or an unknown template.
    """
    if num_train < 1 or num_val < 1:
        raise DataPrepError(f"--train and --val must be >= 1, got {num_train} and {num_val}")
    chosen = parse_levels(tuple(levels))
    try:
        prompt = get_template(template)
    except KeyError as error:
        raise DataPrepError(f"--template: {error.args[0]}") from None
    val = make_problems(num_val, chosen, seed + 1, source)
    train = make_problems(num_train, chosen, seed, source, exclude=frozenset(p.problem for p in val),
                          start_index=num_val)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = out / "train.parquet", out / "val.parquet"
    write_parquet(train, prompt, "train", paths[0])
    write_parquet(val, prompt, "val", paths[1])
    return paths
