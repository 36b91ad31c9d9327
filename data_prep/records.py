"""The record every source becomes, and the error every bad input raises."""

from __future__ import annotations

from dataclasses import dataclass


class DataPrepError(ValueError):
    """Bad input or options; the message names the file, row, field or option and what was expected."""


@dataclass(frozen=True)
class Problem:
    """One training problem as read from a source, before filtering.

    Attributes:
        source: the ``data_source`` written to the parquet (Hub name, or the file's own ``data_source``/stem).
        index: the row's position in its source file or split (0-based), or the source's integer id.
        problem: the problem statement without any instruction wrapper.
        answer: the gold final answer as a string (written as ``reward_model.ground_truth``).
        difficulty: the source's difficulty on its own scale (DeepMath 1-10, MATH level 1-5), None where it has none.
        subject: the source's subject or top-level topic, None where it has none.
        source_id: the source's own row id as a string where it has one (e.g. DAPO's uuid), else None.
    """

    source: str
    index: int
    problem: str
    answer: str
    difficulty: float | None = None
    subject: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class Dropped:
    """Why one source row was left out.

    Attributes:
        reason: the filter name (see ``data_prep.filters.FILTERS``).
        location: for an unreadable row (``invalid_row``) the ``--source`` it came from, else the problem's
            ``data_source``.
        row: for an unreadable row its 0-based position in the source, else the problem's ``index``.
        detail: what was wrong, naming the field where there is one.
    """

    reason: str
    location: str
    row: int
    detail: str
