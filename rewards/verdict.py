"""The result type of every verifier call."""

from __future__ import annotations

from dataclasses import dataclass

REASONS = ("exact", "numeric", "symbolic", "wrong", "no_answer", "timeout", "parse_error")
"""Every value ``Verdict.reason`` can take.

- ``exact``: the normalised strings are equal (or the same choice letter, base-n numeral or text answer).
- ``numeric``: both sides are plain numbers (integers, decimals, fractions, scientific notation) of equal value.
- ``symbolic``: Math-Verify / SymPy judged them equal.
- ``wrong``: compared and found different.
- ``no_answer``: no final answer could be extracted from the response.
- ``timeout``: the symbolic comparison ran past its time limit (its worker process was killed).
- ``parse_error``: the gold is missing or unreadable, or the answer could not be parsed for a symbolic comparison.
"""


@dataclass(frozen=True)
class Verdict:
    """One judged response: whether it is correct, the answer extracted from it, and why."""

    correct: bool
    answer: str | None
    reason: str
