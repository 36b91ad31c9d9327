"""Inequalities read as intervals: ``0 < f(x) < 1`` is ``(0, 1)``, ``x \\ge 2`` is ``[2, \\infty)``.

Works on cleaned LaTeX (``rewards.normalize.clean_latex``). Only a single unknown (``x``, ``x_1``, ``\\theta``,
``f(x)``) bounded by expressions without it counts; a chain must run one way (``a < x \\le b`` or ``b > x > a``) and,
when both bounds are plain numbers, describe a nonempty interval.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rewards.arithmetic import evaluate
from rewards.normalize import key

_OPERATOR = re.compile(r"(\\(?:leqslant|geqslant|leq|geq|le|ge|lt|gt)(?![A-Za-z])|<=|>=|<|>|≤|≥)")
_LESS = {"<": False, "\\lt": False, "\\le": True, "\\leq": True, "\\leqslant": True, "<=": True, "≤": True}
_GREATER = {">": False, "\\gt": False, "\\ge": True, "\\geq": True, "\\geqslant": True, ">=": True, "≥": True}
_UNKNOWN = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]))?(?:\([A-Za-z]\))?$")
_CONSTANTS = {"e", "i", "\\pi", "\\infty"}
_INFINITY = "\\infty"


class Interval(NamedTuple):
    """An interval as text (``[2, \\infty)``) and the unknown it constrains (``key``-ed: ``x``, ``f(x)``)."""

    text: str
    unknown: str


def _is_unknown(side: str) -> bool:
    return bool(_UNKNOWN.match(key(side))) and key(side) not in _CONSTANTS


def _render(low: str, low_closed: bool, high: str, high_closed: bool) -> str | None:
    """``[low, high)`` with brackets by closedness (open at infinities); None for an empty numeric interval."""
    low_value, high_value = evaluate(key(low)), evaluate(key(high))
    if low_value is not None and high_value is not None and low_value >= high_value:
        return None
    left = "[" if low_closed and low != f"-{_INFINITY}" else "("
    right = "]" if high_closed and high != _INFINITY else ")"
    return f"{left}{low}, {high}{right}"


def as_interval(text: str) -> Interval | None:
    """The interval that the inequality ``text`` describes, or None when it is not one of the supported forms."""
    if len(text) > 500:
        return None
    parts = [part.strip() for part in _OPERATOR.split(text)]
    sides, operators = parts[::2], parts[1::2]
    if not operators or any(not side for side in sides):
        return None
    if all(op in _LESS for op in operators):
        ascending = True
    elif all(op in _GREATER for op in operators):
        ascending = False
    else:
        return None
    closed = [(_LESS if ascending else _GREATER)[op] for op in operators]
    if not ascending:  # b > x > a reads as a < x < b
        sides, closed = sides[::-1], closed[::-1]
    if len(sides) == 3 and _is_unknown(sides[1]) and not any(_is_unknown(s) for s in (sides[0], sides[2])):
        rendered = _render(sides[0], closed[0], sides[2], closed[1])
        return Interval(rendered, key(sides[1])) if rendered else None
    if len(sides) != 2 or _is_unknown(sides[0]) == _is_unknown(sides[1]):
        return None
    if _is_unknown(sides[0]):  # x < b
        rendered = _render(f"-{_INFINITY}", False, sides[1], closed[0])
        return Interval(rendered, key(sides[0])) if rendered else None
    rendered = _render(sides[0], closed[0], _INFINITY, False)  # a < x
    return Interval(rendered, key(sides[1])) if rendered else None


def has_inequality(text: str) -> bool:
    """Whether ``text`` holds an inequality sign (``<``, ``\\le``, ``\\geq``, ...)."""
    return _OPERATOR.search(text) is not None


_ABSOLUTE = re.compile(r"^\|(.+)\|$")


def _negated(bound: str) -> str:
    """``-bound`` as text (``-\\frac{3}{2}``; a compound bound in brackets: ``-(1+1)``)."""
    plain = evaluate(key(f"-{bound}"))
    return f"-{bound}" if plain is not None and plain == -evaluate(key(bound)) else f"-({bound})"


def absolute_value_union(text: str) -> str | None:
    """The set an absolute-value condition on one unknown describes, as a union of intervals (``1 \\le |z| \\le 2``
    -> ``[-2, -1] \\cup [1, 2]``, ``|x| < 3`` -> ``(-3, 3)``, ``|x| \\ge 1`` -> ``(-\\infty, -1] \\cup [1, \\infty)``);
    None unless ``text`` bounds ``|unknown|`` by nonnegative plain numbers (a positive lower bound when there is no
    upper one) and the set is not empty."""
    if "|" not in text or len(text) > 500:
        return None
    parts = [part.strip() for part in _OPERATOR.split(text)]
    absolute = [i for i in range(0, len(parts), 2) if (m := _ABSOLUTE.match(key(parts[i]))) and _is_unknown(m.group(1))]
    if len(absolute) != 1:
        return None
    interval = as_interval(" ".join("t" if i == absolute[0] else part for i, part in enumerate(parts)))
    if interval is None:
        return None
    left, low, high, right = re.match(r"^([(\[])(.*), (.*)([)\]])$", interval.text).groups()
    low_value = None if low == f"-{_INFINITY}" else evaluate(key(low))
    high_value = None if high == _INFINITY else evaluate(key(high))
    if (low_value is None and low != f"-{_INFINITY}") or (high_value is None and high != _INFINITY):
        return None  # a bound that is no plain number
    if any(v is not None and v < 0 for v in (low_value, high_value)):
        return None
    if low_value is None or (low_value == 0 and left == "["):  # |x| < b, 0 <= |x| <= b
        return None if high_value is None else f"{'[' if right == ']' else '('}{_negated(high)}, {high}{right}"
    if high_value is None and low_value == 0:
        return None  # |x| > 0: every value but one, no union of two intervals
    inner_right = "]" if left == "[" else ")"
    if high_value is None:
        return f"(-{_INFINITY}, {_negated(low)}{inner_right} \\cup {left}{low}, {_INFINITY})"
    outer_left = "[" if right == "]" else "("
    return f"{outer_left}{_negated(high)}, {_negated(low)}{inner_right} \\cup {left}{low}, {high}{right}"
