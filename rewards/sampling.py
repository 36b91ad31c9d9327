"""Quick refutation in floating point: two plainly different expressions are found different without SymPy.

The worker process decides such pairs with SymPy (``rewards.exact.constant_outcome`` for two numbers without unknowns,
``rewards.symbolic._differ_numerically`` for two expressions in the same unknowns, which compares them at the
``SAMPLE_POINTS``; a number against an expression that varies is never equal). ``certain_difference`` repeats
those rules in complex floating point, in the parent process, for a small unambiguous part of LaTeX (numbers,
letters, ``+ - * /``, ``\\cdot``, ``\\times``, implicit products, ``\\frac``, ``\\sqrt``, braced powers, ``\\pi``,
the six trigonometric functions), and answers only when the difference is far beyond rounding error; anything else
(and every equality) is left to SymPy. Letters are read as Math-Verify reads them: ``R`` and ``r`` are one unknown,
``i`` is an unknown, ``e`` is Euler's number; letters side by side (``ab``, ``28 pct``) are not read at all, since
Math-Verify may read a word as a product or drop it.
"""

from __future__ import annotations

import cmath
import math
import re
from fractions import Fraction
from typing import NamedTuple

from rewards.token_cursor import TokenCursor
from rewards.token_cursor import UnsupportedForm as _Unsupported

SAMPLE_POINTS = ((Fraction(7213, 10000), Fraction(4187, 10000)), (Fraction(13719, 10000), Fraction(19031, 10000)))
"""Exact values given to the k-th unknown (in name order) at each sample point: ``first + k * step``."""
SAMPLE_TOLERANCE = 1e-6
"""Values closer than ``SAMPLE_TOLERANCE * max(1, |a|, |b|)`` at a sample point may be equal."""
MARGIN = 4.0
"""How far beyond a threshold a float difference must be before it counts (rounding error is far below this)."""
MAX_CHARS = 300
"""Longer expressions are left to SymPy."""

_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_TOKEN = re.compile(rf"{_NUMBER.pattern}|\\[A-Za-z]+|[A-Za-z]|\S")
_STARTS_ATOM = re.compile(r"\d|\.\d|[A-Za-z]|\\(?:frac|sqrt|pi|sin|cos|tan|cot|sec|csc)$|[({]")


_FUNCTIONS = {
    "\\sin": cmath.sin,
    "\\cos": cmath.cos,
    "\\tan": cmath.tan,
    "\\cot": lambda z: 1 / cmath.tan(z),
    "\\sec": lambda z: 1 / cmath.cos(z),
    "\\csc": lambda z: 1 / cmath.sin(z),
}


class Difference(NamedTuple):
    """Two values found certainly different: ``gap`` and ``scale`` (the larger magnitude) for two numbers without
    unknowns (the worker's ``different(gap, scale)`` rule applies), None when a side has unknowns."""

    gap: float | None
    scale: float | None


def certain_difference(gold: str, answer: str) -> Difference | None:
    """How two cleaned LaTeX atoms certainly differ, or None when this quick test cannot tell (see the module)."""
    if len(gold) > MAX_CHARS or len(answer) > MAX_CHARS:
        return None
    try:
        gold_tree, answer_tree = _Parser(gold).parse(), _Parser(answer).parse()
    except (_Unsupported, IndexError):
        return None
    names = _unknowns(gold_tree)
    if names != _unknowns(answer_tree):
        return _varies_against_constant(gold_tree, answer_tree)
    if not names:
        return _constant_difference(gold_tree, answer_tree)
    ordered = sorted(names)
    for first, step in SAMPLE_POINTS:
        values = {name: float(first + k * step) for k, name in enumerate(ordered)}
        gold_value, answer_value = _evaluate(gold_tree, values), _evaluate(answer_tree, values)
        if gold_value is None or answer_value is None:
            return None
        scale = max(1.0, abs(gold_value[0]), abs(answer_value[0]))
        if not _clearly_apart(gold_value, answer_value, SAMPLE_TOLERANCE * scale):
            return None
    return Difference(None, None)


def _varies_against_constant(gold_tree: tuple, answer_tree: tuple) -> Difference | None:
    """A number against an expression whose value clearly changes between the sample points: no identity can make
    them equal (Math-Verify finds them different too). None in every other case."""
    varying = [tree for tree in (gold_tree, answer_tree) if _unknowns(tree)]
    if len(varying) != 1:
        return None
    names = sorted(_unknowns(varying[0]))
    values = []
    for first, step in SAMPLE_POINTS:
        value = _evaluate(varying[0], {name: float(first + k * step) for k, name in enumerate(names)})
        if value is None:
            return None
        values.append(value)
    scale = max(1.0, *(abs(value[0]) for value in values))
    return Difference(None, None) if _clearly_apart(values[0], values[1], SAMPLE_TOLERANCE * scale) else None


def _constant_difference(gold_tree: tuple, answer_tree: tuple) -> Difference | None:
    """Two numbers: different when their gap is well beyond a relative ``SAMPLE_TOLERANCE`` (so beyond both the
    worker's exact test and its decimal tolerance)."""
    gold_value, answer_value = _evaluate(gold_tree, {}), _evaluate(answer_tree, {})
    if gold_value is None or answer_value is None:
        return None
    scale = max(abs(gold_value[0]), abs(answer_value[0]))
    if not _clearly_apart(gold_value, answer_value, SAMPLE_TOLERANCE * scale):
        return None
    return Difference(abs(gold_value[0] - answer_value[0]), scale)


def _clearly_apart(first: tuple[complex, float], second: tuple[complex, float], tolerance: float) -> bool:
    """Whether two evaluated values differ by more than ``MARGIN * tolerance`` and by far more than the rounding
    error their evaluation can carry (about 1e-15 of the largest intermediate magnitude)."""
    gap = abs(first[0] - second[0])
    rounding = 1e-12 * max(first[1], second[1], 1.0)
    return gap > MARGIN * tolerance and gap > 1e6 * rounding


def _unknowns(tree: tuple) -> set[str]:
    if tree[0] == "unknown":
        return {tree[1]}
    names: set[str] = set()
    for child in tree[1:]:
        if isinstance(child, tuple):
            names |= _unknowns(child)
    return names


def _evaluate(tree: tuple, values: dict[str, float]) -> tuple[complex, float] | None:
    """(value, largest intermediate magnitude) of ``tree``; None when not finite or undefined."""
    try:
        value, largest = _value(tree, values)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag) and math.isfinite(largest)):
        return None
    return value, largest


def _value(tree: tuple, values: dict[str, float]) -> tuple[complex, float]:
    kind = tree[0]
    if kind == "number":
        return complex(tree[1]), abs(tree[1])
    if kind == "unknown":
        return complex(values[tree[1]]), abs(values[tree[1]])
    if kind == "constant":
        return complex(tree[1]), abs(tree[1])
    if kind == "call":
        argument, largest = _value(tree[2], values)
        result = complex(_FUNCTIONS[tree[1]](argument))
        return result, max(largest, abs(result))
    if kind == "neg":
        value, largest = _value(tree[1], values)
        return -value, largest
    left, left_largest = _value(tree[1], values)
    right, right_largest = _value(tree[2], values)
    if kind == "add":
        result = left + right
    elif kind == "sub":
        result = left - right
    elif kind == "mul":
        result = left * right
    elif kind == "div":
        result = left / right
    else:  # pow
        if left == 0 and (right.real <= 0 or right.imag != 0):
            raise ZeroDivisionError
        result = left**right if right.imag or right.real != int(right.real) else left ** int(right.real)
        if not left and not right:
            result = 1
    result = complex(result)
    return result, max(left_largest, right_largest, abs(result))


class _Parser(TokenCursor):
    """expression := ['-'|'+'] term (('+'|'-') term)*; term := factor (('*'|'/'|'\\cdot'|'\\times') factor |
    factor)*; factor := '-' factor | power; power := atom ['^' exponent]; atom := number | letter | '\\pi' |
    '(' expression ')' | '{' expression '}' | '\\frac' group group | '\\sqrt' ['[' expression ']'] group.
    | '\\sin' ... '\\csc' argument. Raises ``_Unsupported`` on anything else and on forms whose reading is
    ambiguous (``2^3^2``, ``1/2x``, ``x^23``, ``\\sin 2x``, letters side by side, a number right after a number)."""

    def __init__(self, text: str) -> None:
        super().__init__(_TOKEN.findall(text))

    def parse(self) -> tuple:
        tree = self.expression()
        if self.position != len(self.tokens):
            raise _Unsupported
        return tree

    def expression(self) -> tuple:
        tree = self.term() if self._peek() not in ("+", "-") else self._signed()
        while self._peek() in ("+", "-"):
            operator = self._take()
            tree = ("add" if operator == "+" else "sub", tree, self.term())
        return tree

    def _signed(self) -> tuple:
        return ("neg", self.term()) if self._take() == "-" else self.term()

    def term(self) -> tuple:
        tree, previous = self.factor(), "start"
        while (token := self._peek()) is not None:
            if token in ("*", "\\cdot", "\\times", "/"):
                self._take()
                previous = "div" if token == "/" else "mul"
                tree = (previous, tree, self.factor())
            elif _STARTS_ATOM.match(token):
                if previous == "div":
                    raise _Unsupported  # 1/2x: read differently by different parsers
                before = self.tokens[self.position - 1]
                if _NUMBER.fullmatch(token) and (before[0].isdigit() or before[-1] in ".}"):
                    raise _Unsupported  # "2 3", "\frac{1}{2}3": a number right after a number
                if token.isalpha() and len(token) == 1 and before.isalpha() and len(before) == 1:
                    raise _Unsupported  # "pct", "ab": Math-Verify may read a word as anything from a product to nothing
                tree = ("mul", tree, self.factor())
            else:
                break
        return tree

    def factor(self) -> tuple:
        if self._peek() == "-":
            self._take()
            return ("neg", self.factor())
        return self.power()

    def power(self) -> tuple:
        base = self.atom()
        if self._peek() != "^":
            return base
        self._take()
        token = self._peek()
        if token == "{":
            exponent = self._group()
        elif token is not None and (token.isdigit() and len(token) == 1 or token.isalpha() and len(token) == 1):
            exponent = self.atom()
        else:
            raise _Unsupported  # x^23, x^\pi: ambiguous without braces
        if self._peek() == "^":
            raise _Unsupported  # 2^3^2: read left to right by Math-Verify
        return ("pow", base, exponent)

    def _group(self) -> tuple:
        self._take("{")
        tree = self.expression()
        self._take("}")
        return tree

    def _argument(self) -> tuple:
        """A function's argument: a bracketed expression, or one letter with nothing multiplied after it
        (``\\cot x``; ``\\sin 2x`` and ``\\sin^2 x`` are left to SymPy)."""
        token = self._peek()
        if token == "(":
            self._take("(")
            tree = self.expression()
            self._take(")")
            return tree
        if token == "{":
            return self._group()
        if token is None or not (token.isalpha() and len(token) == 1):
            raise _Unsupported
        tree = self.atom()
        following = self._peek()
        if following is not None and (following == "^" or _STARTS_ATOM.match(following)):
            raise _Unsupported
        return tree

    def atom(self) -> tuple:
        token = self._take()
        if _NUMBER.fullmatch(token):
            return ("number", float(token))
        if len(token) == 1 and token.isalpha():
            return ("constant", math.e) if token == "e" else ("unknown", token.lower())
        if token == "\\pi":
            return ("constant", math.pi)
        if token == "(":
            tree = self.expression()
            self._take(")")
            return tree
        if token == "{":
            self.position -= 1
            return self._group()
        if token == "\\frac":
            numerator = self._group()
            return ("div", numerator, self._group())
        if token in _FUNCTIONS:
            return ("call", token, self._argument())
        if token == "\\sqrt":
            degree = ("number", 2.0)
            if self._peek() == "[":
                self._take("[")
                degree = self.expression()
                self._take("]")
            return ("pow", self._group(), ("div", ("number", 1.0), degree))
        raise _Unsupported

