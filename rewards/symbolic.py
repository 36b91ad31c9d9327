"""Math-Verify / SymPy equality with its signal-based timeouts switched off.

Only meant to run inside a worker process of ``rewards.pool``, which enforces the time limit by killing the process;
called anywhere else it has no time limit.
"""

from __future__ import annotations

import logging
import math

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from rewards.compare import WRONG, Outcome, compare
from rewards.exact import confirm_equal, constant_outcome, sample_points, substitute, unknowns
from rewards.sampling import SAMPLE_TOLERANCE

_GOLD_TARGETS = (LatexExtractionConfig(),)
_ANSWER_TARGETS = (LatexExtractionConfig(), ExprExtractionConfig())

logging.getLogger("math_verify").setLevel(logging.CRITICAL)


def symbolic_outcome(gold: str, answer: str) -> Outcome | None:
    """How the cleaned LaTeX ``answer`` compares with ``gold``; None if either does not parse.

    Two numbers without unknowns are decided exactly by ``rewards.exact`` (``symbolic``, ``approximate``,
    ``inexact`` or ``wrong``). Anything else goes to Math-Verify, after a quick numeric test that spares it plainly
    different expressions; its "equal" is then checked by ``rewards.exact.confirm_equal``.
    """
    parsed_gold = parse(f"${gold}$", _GOLD_TARGETS, parsing_timeout=None)
    parsed_answer = parse(f"${answer}$", _ANSWER_TARGETS, parsing_timeout=None)
    if not parsed_gold or not parsed_answer:
        return None
    decided = constant_outcome(parsed_gold[0], parsed_answer[0])
    if decided is not None:
        return decided
    if _differ_numerically(parsed_gold[0], parsed_answer[0]):
        return WRONG
    if not verify(parsed_gold, parsed_answer, timeout_seconds=None):
        return WRONG
    return confirm_equal(parsed_gold[0], parsed_answer[0])


def _differ_numerically(gold: object, answer: object) -> bool:
    """Whether two expressions in the same unknowns take clearly different values at every sample point.

    A quick, one-sided test that spares Math-Verify's slow simplification for answers that are plainly wrong
    (``f + 1`` for ``f``). It only runs on plain expressions with at least one unknown (symbols or undefined
    functions such as ``u(t)``) and identical unknowns on both sides; equations, sets and matrices go to
    Math-Verify (then ``rewards.exact``), and constants are decided before this by ``rewards.exact.constant_outcome``
    or Math-Verify. It never declares two answers equal. ``rewards.sampling`` repeats it in floating point, without
    SymPy, for the expressions it can read.
    """
    if not isinstance(gold, sympy.Expr) or not isinstance(answer, sympy.Expr):
        return False
    names = unknowns(gold)
    if not names or names != unknowns(answer):
        return False
    for values in sample_points(names):
        gold_value, answer_value = _value_at(gold, values), _value_at(answer, values)
        if gold_value is None or answer_value is None:
            return False
        scale = max(1.0, abs(gold_value), abs(answer_value))
        if abs(gold_value - answer_value) <= SAMPLE_TOLERANCE * scale:
            return False
    return True


def _value_at(expression: sympy.Expr, values: dict) -> complex | None:
    """The complex value of ``expression`` at ``values`` (see ``rewards.exact.substitute``); None if not finite."""
    try:
        number = complex(sympy.N(substitute(expression, values), 30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not (math.isfinite(number.real) and math.isfinite(number.imag)):
        return None
    return number


_WARM_UP_PAIRS = (
    ("1+2i", "2i+1"),
    (r"\frac{\sqrt{3}}{3}", r"\frac{1}{\sqrt{3}}"),
    (r"\frac{\log 2}{\log 3}", r"\log_3 2"),
    (r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\begin{pmatrix} 1 & 0 \\ 0 & 2 \end{pmatrix} + 1"),
    ("y = 2x + 3", "2x - y + 3 = 0"),
)


def warm_up() -> None:
    """Run a few typical comparisons so SymPy's lazy imports and caches are filled before real work (the first
    comparison of each kind otherwise costs up to seconds)."""
    for gold, answer in _WARM_UP_PAIRS:
        judge(gold, answer)


def judge(gold: str, answer: str) -> Outcome:
    """The full comparison (fast rules, then Math-Verify for the atoms they cannot settle)."""
    try:
        return compare(gold, answer, symbolic_outcome)
    except Exception:  # a SymPy/ANTLR failure on odd input is an unparseable answer, not a crash
        return Outcome(False, "parse_error")
