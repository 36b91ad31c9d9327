"""The result type of every verifier call."""

from __future__ import annotations

from dataclasses import dataclass

REASONS = ("exact", "numeric", "symbolic", "approximate", "wrong", "inexact", "no_answer", "too_large", "timeout",
           "parse_error")
"""Every value ``Verdict.reason`` can take.

- ``exact``: the normalised strings are equal (or the same choice letter, base-n numeral or text answer).
- ``numeric``: both sides are plain numbers (integers, decimals, fractions, scientific notation) of equal value.
- ``symbolic``: SymPy proved them equal (numbers without unknowns: their difference simplifies to 0 exactly), or
  Math-Verify judged them equal and the exact check of ``rewards.exact`` did not refute it.
- ``approximate``: a side written as a decimal equals the other within a relative 5e-7 (``1.414214`` for
  ``\\sqrt{2}``); the only verdict that rests on a tolerance.
- ``wrong``: compared and found different.
- ``inexact``: found different by an exact rule although the two values are within ``1e-6 * max(1, |value|)`` of each
  other, where a float comparison (Math-Verify's included) says equal: ``\\frac{1}{101!}`` for ``\\frac{1}{100!}``,
  ``2^{100}+1`` for ``2^{100}``, ``0.333333`` for ``\\frac{1}{3}``.
- ``no_answer``: no final answer could be extracted from the response.
- ``too_large``: the answer (or gold) needs the symbolic path but cannot be evaluated in time: brackets nested deeper
  than 50, exponents above 10**100 (above 10**4 on an expression with unknowns), factorials above 10**6!, sums and
  products of more than 10**5 terms (``9^{9^{9^{9}}}``, ``(10^{10^{10}})!``, ``\\sum_{n=1}^{10^{12}} n^{n}``); see
  ``rewards.limits``. Decided before SymPy sees it.
- ``timeout``: the symbolic comparison ran past its time limit (its worker process was killed; the last resort for
  what ``too_large`` does not catch).
- ``parse_error``: the gold is missing or unreadable, or the answer could not be parsed for a symbolic comparison.
"""


@dataclass(frozen=True)
class Verdict:
    """One judged response: whether it is correct, the answer extracted from it, why, and where the answer was found.

    ``source`` is the extraction rule that found ``answer`` (``rewards.extract.SOURCES``: ``boxed``, ``boxes``,
    ``answer_phrase``, ``gsm8k_marker``, ``fallback``), None when there is no answer.
    """

    correct: bool
    answer: str | None
    reason: str
    source: str | None
