"""Exact equality of parsed (SymPy) answers: never an absolute tolerance, a relative one only for decimals.

Math-Verify compares numbers within an absolute tolerance (``(a - b).evalf(chop=True) == 0`` drops anything below
about 1e-14, and decimals are rounded to 6 places), so two tiny or two huge quantities look equal to it
(``\\frac{1}{101!}`` vs ``\\frac{1}{100!}``, ``2^{-200}`` vs ``3^{-200}``, ``\\sqrt{2} + 10^{-30}`` vs ``\\sqrt{2}``).
The rules here decide instead:

- ``constant_outcome``: two numbers without unknowns are equal only when SymPy proves their difference zero
  (exact arithmetic, then simplification of the difference, then of the ratio); a difference evaluated to 30
  significant digits as nonzero, or one that cannot be proven zero, makes them different. When a side is written as
  a decimal (``1.4142136``) they are equal within ``RELATIVE_TOLERANCE`` of the larger magnitude (``approximate``).
- ``confirm_equal``: for expressions with unknowns and for equations/inequalities, which Math-Verify decides, an
  exact check of its "equal" (their difference at an exact sample point, or the difference of two equations' sides,
  must not evaluate to a nonzero number).

Only called inside a verifier worker process, which enforces the hard time limit by killing the process.
"""

from __future__ import annotations

import sympy
from sympy.core.evalf import PrecisionExhausted
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational

from rewards.compare import RELATIVE_TOLERANCE, Outcome, different
from rewards.sampling import SAMPLE_POINTS

DIGITS = 30
"""Significant digits to which values and differences are evaluated."""
APART = sympy.Float("1e-12")
"""Values whose relative gap (at 30 digits) exceeds this certainly differ; closer ones need an exact proof."""
HUGE = sympy.Float("1e10000")
"""Beyond this magnitude (or below its inverse) no exact arithmetic is attempted, only evaluation."""
_TINY = 1 / HUGE
_SAMPLE_POINTS = tuple(
    (sympy.Rational(first.numerator, first.denominator), sympy.Rational(step.numerator, step.denominator))
    for first, step in SAMPLE_POINTS
)
"""``rewards.sampling.SAMPLE_POINTS`` as SymPy rationals: the k-th unknown gets ``first + k * step``."""


def unknowns(value: sympy.Expr) -> set:
    """The symbols and undefined function calls (``u(t)``) of ``value``."""
    return value.free_symbols | value.atoms(AppliedUndef)


def sample_points(names: set) -> list[dict]:
    """Exact values for ``names`` (from :func:`unknowns`) at each sample point: ``first + k * step`` for the k-th
    unknown in a fixed order (calls after symbols, then by name), so both sides of a comparison get the same values."""
    ordered = sorted(names, key=lambda u: (isinstance(u, AppliedUndef), str(u)))
    return [{u: first + k * step for k, u in enumerate(ordered)} for first, step in _SAMPLE_POINTS]


def substitute(expression: sympy.Expr, values: dict) -> sympy.Expr:
    """``expression`` with undefined functions (``u(t)``) replaced before symbols."""
    calls = {u: v for u, v in values.items() if isinstance(u, AppliedUndef)}
    symbols = {u: v for u, v in values.items() if not isinstance(u, AppliedUndef)}
    return expression.xreplace(calls).xreplace(symbols)


def constant_outcome(gold: object, answer: object) -> Outcome | None:
    """Equality of two numbers without unknowns: ``symbolic`` (proven equal), ``approximate`` (a decimal side within
    the relative tolerance), ``inexact`` (different but close), ``wrong``; None when either side is not a finite
    number (sets, equations, infinities, unknowns), which leaves the pair to Math-Verify."""
    if not (_is_constant(gold) and _is_constant(answer)):
        return None
    gold_value, answer_value = _value(gold), _value(answer)
    if gold_value is None or answer_value is None:
        return None
    difference = gold - answer
    if gold == answer or difference == 0:
        return Outcome(True, "symbolic")
    gap = _magnitude(gold_value - answer_value)
    scale = max(_magnitude(gold_value), _magnitude(answer_value))
    exact_arithmetic = _TINY < scale < HUGE
    if gold.has(sympy.Float) or answer.has(sympy.Float):
        if gap > RELATIVE_TOLERANCE * scale:
            return different(gap, scale)
        return Outcome(True, "symbolic" if exact_arithmetic and _is_zero(difference) else "approximate")
    if gap > APART * scale:
        return different(gap, scale)
    if exact_arithmetic and _proven_zero(gold, answer):
        return Outcome(True, "symbolic")
    exact_gap = _nonzero(difference)
    return different(exact_gap if exact_gap is not None else gap, scale)


def confirm_equal(gold: object, answer: object) -> Outcome:
    """The outcome of a pair Math-Verify judged equal: ``inexact`` when ``_refuted``, ``approximate`` when a side has
    a decimal and the difference is not exactly 0, else ``symbolic``."""
    if _refuted(gold, answer):
        return Outcome(False, "inexact")
    decimal = isinstance(gold, sympy.Basic) and gold.has(sympy.Float)
    decimal = decimal or (isinstance(answer, sympy.Basic) and answer.has(sympy.Float))
    if decimal and not (_is_scalar(gold) and _is_scalar(answer) and _is_zero(gold - answer)):
        return Outcome(True, "approximate")
    return Outcome(True, "symbolic")


def _is_zero(difference: sympy.Expr) -> bool:
    """Whether ``difference`` is 0 once its unevaluated parts (``-x/2 + 0.5x`` as parsed) are evaluated."""
    try:
        return difference.doit() == 0
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return False


def _refuted(gold: object, answer: object) -> bool:
    """Whether an exact check proves Math-Verify's "equal" wrong: for two expressions with the same unknowns, their
    difference at an exact sample point is a nonzero number (with a decimal side: differs by more than the relative
    tolerance); for two equations/inequalities without decimals, the difference or the sum of their ``lhs - rhs`` is
    a nonzero number (so their solution sets are disjoint)."""
    if isinstance(gold, Relational) and isinstance(answer, Relational):
        if gold.has(sympy.Float) or answer.has(sympy.Float):
            return False
        gold_side, answer_side = gold.lhs - gold.rhs, answer.lhs - answer.rhs
        differences = (gold_side - answer_side, gold_side + answer_side)
        return any(_is_constant(d) and _nonzero(d) is not None for d in differences)
    if not _is_scalar(gold) or not _is_scalar(answer):
        return False
    names = unknowns(gold)
    if not names or names != unknowns(answer):
        return False
    decimal = gold.has(sympy.Float) or answer.has(sympy.Float)
    for values in sample_points(names):
        gold_at, answer_at = substitute(gold, values), substitute(answer, values)
        if not decimal:
            if _nonzero(gold_at - answer_at) is not None:
                return True
            continue
        gold_value, answer_value = _value(gold_at), _value(answer_at)
        if gold_value is not None and answer_value is not None:
            scale = max(_magnitude(gold_value), _magnitude(answer_value))
            if _magnitude(gold_value - answer_value) > RELATIVE_TOLERANCE * scale:
                return True
    return False


def _is_scalar(value: object) -> bool:
    return isinstance(value, sympy.Expr) and not getattr(value, "is_Matrix", False)


def _is_constant(value: object) -> bool:
    return _is_scalar(value) and not unknowns(value)


def _value(number: sympy.Expr) -> sympy.Expr | None:
    """``number`` evaluated to ``DIGITS`` digits (a real or complex Float), or None when it is not finite."""
    try:
        value = sympy.N(number, DIGITS)
    except (TypeError, ValueError, ArithmeticError):
        return None
    real, imaginary = value.as_real_imag()
    if not all(part.is_Number and part.is_finite for part in (real, imaginary)):
        return None
    return value


def _magnitude(value: sympy.Expr) -> sympy.Float:
    real, imaginary = value.as_real_imag()
    return sympy.sqrt(real**2 + imaginary**2).evalf(DIGITS)


def _nonzero(difference: sympy.Expr) -> sympy.Float | None:
    """``|difference|`` when it evaluates, with ``DIGITS`` guaranteed digits, to a nonzero finite number; else None
    (it is zero, or too close to zero to tell)."""
    try:
        value = difference.evalf(DIGITS, strict=True)
    except (PrecisionExhausted, TypeError, ValueError, ArithmeticError):
        return None
    if value == 0 or _value(value) is None:
        return None
    return _magnitude(value)


def _proven_zero(gold: sympy.Expr, answer: sympy.Expr) -> bool:
    """Whether SymPy simplifies ``gold - answer`` to 0, or ``gold / answer`` to 1."""
    try:
        gold, answer = gold.doit(), answer.doit()
        if sympy.simplify(gold - answer) == 0:
            return True
        return answer != 0 and sympy.simplify(gold / answer) == 1
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return False
