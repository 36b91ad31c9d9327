"""Refuse before SymPy what it cannot evaluate in time: answers nested too deep, or naming numbers too large to build.

A policy in training writes power towers (``9^{9^{9^{9}}}``), huge factorials (``(10^{10^{10}})!``), sums to
``10^{12}`` and thousands of nested brackets. SymPy would spend the worker's whole time limit on each; ``too_large``
spots them in microseconds by bounding, without evaluating anything, the size of each exponent, factorial argument
and series length. A size is ``|log10|`` of a magnitude, so roughly a digit count; the bound is coarse but safe: an
unknown or a constant counts as size 1 (below 10), sizes add under products and quotients, a sum of k terms is at
most k times its largest, and ``a^b`` has at most ``size(a) * 10**size(b)``. The hard time limit of ``rewards.pool``
stays the last resort.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

MAX_NESTING = 50
"""Deepest bracket nesting (``(``, ``[``, ``{``) an answer may have."""
LARGEST_EXPONENT = 10**100
"""Largest exponent of a number (SymPy keeps ``2^{10^{10}}`` unevaluated and compares it in milliseconds; towers such
as ``9^{9^{9^{9}}}`` or ``3^{10^{10^{3}}}`` take it seconds to hours)."""
LARGEST_SYMBOLIC_EXPONENT = 10**4
"""Largest exponent of an expression with unknowns (``x^{2016}`` passes; ``(x+1)^{10^{6}}`` would be expanded)."""
LARGEST_FACTORIAL = 10**6
"""Largest factorial argument, and the largest lower index of a binomial coefficient (``(10^{6})!`` passes)."""
MAX_TERMS = 10**5
"""Most terms a ``\\sum`` or ``\\prod`` with a numeric upper bound may have (SymPy adds them one by one when it finds no
closed form: ``\\sum_{n=1}^{10^{12}} n^{n}``)."""

_TOKEN = re.compile(r"\d+(?:\.\d*)?|\.\d+|\\[A-Za-z]+|\\.|\S", re.DOTALL)
_SEPARATORS = frozenset("+-,;=<>|&") | {"\\pm", "\\mp", "\\le", "\\ge", "\\leq", "\\geq", "\\ne", "\\neq", "\\\\"}
_PRODUCTS = frozenset({"*", "\\cdot", "\\times"})
_QUOTIENTS = frozenset({"/", "\\div"})
_OPERATORS = _SEPARATORS | _PRODUCTS | _QUOTIENTS
_CLOSERS = frozenset(")]}")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_STOPS = {opener: frozenset(closer) for opener, closer in _OPENERS.items()}
_SYMBOL_SIZE = 1.0
"""The size counted for an unknown, a constant (``\\pi``, ``e``) or any other symbol."""


class _TooLarge(Exception):
    pass


class _Bound(NamedTuple):
    """An upper bound on the size of a part of an expression, and whether that part has unknowns."""

    size: float
    symbolic: bool


_SYMBOL = _Bound(1.0, True)
"""An unknown (size 1: below 10 at any sample point)."""
_CONSTANT = _Bound(1.0, False)
"""A named constant (``\\pi``, ``e``) or any other symbol without a value of its own."""
_NOTHING = _Bound(0.0, False)
_ROUNDING = 1 + 1e-9
"""Slack for float rounding, so that a value exactly at a limit (``10^{100}``) passes it."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of ``text`` (escaped braces count as brackets too)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(0, depth - 1)
    return deepest


def too_large(text: str) -> bool:
    """Whether the cleaned LaTeX ``text`` is nested deeper than ``MAX_NESTING`` or passes one of the limits above."""
    if nesting_depth(text) > MAX_NESTING:
        return True
    try:
        _Estimator(_TOKEN.findall(text)).expression(stop=frozenset())
    except _TooLarge:
        return True
    return False


def _value_bound(size: float) -> float:
    """An upper bound on a value of size ``size`` (``10 ** size``)."""
    return math.inf if size > 300 else 10.0**size


def _number_size(token: str) -> float:
    """The size of a written number: ``|log10|`` of its value (``100`` and ``0.01`` are 2), 0 for 0."""
    whole = token.split(".")[0].lstrip("0")
    if len(whole) > 300:
        return float(len(whole))
    value = float(token if token[0] != "." else "0" + token)
    return abs(math.log10(value)) if value > 0 else 0.0


def _either(first: _Bound, second: _Bound, size: float) -> _Bound:
    return _Bound(size, first.symbolic or second.symbolic)


class _Estimator:
    """Bounds each part of an expression (see the module docstring); raises ``_TooLarge`` as soon as a limit is
    passed. Never fails on odd input: unknown tokens are symbols, unbalanced brackets end at the text's end."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self, stop: frozenset[str]) -> _Bound:
        largest, terms = _NOTHING, 0
        while (token := self._peek()) is not None and token not in stop:
            if token in _SEPARATORS or token in _CLOSERS:
                self.position += 1
                continue
            term = self.term(stop)
            largest, terms = _either(largest, term, max(largest.size, term.size)), terms + 1
        return largest._replace(size=largest.size + math.log10(max(terms, 1)))

    def term(self, stop: frozenset[str]) -> _Bound:
        bound = self.power()
        while (token := self._peek()) is not None and token not in stop:
            if token in _SEPARATORS or token in _CLOSERS:
                break
            if token in _PRODUCTS or token in _QUOTIENTS:
                self.position += 1
                if self._peek() is None:
                    break
            factor = self.power()
            bound = _either(bound, factor, bound.size + factor.size)
        return bound

    def power(self) -> _Bound:
        base = self.atom()
        while self._peek() in ("!", "^", "_", "'"):
            token = self.tokens[self.position]
            self.position += 1
            if token == "!":
                base = self._factorial(base)
            elif token == "^":
                base = self._power(base, self.atom())
            elif token == "_":
                self.atom()  # a subscript names a symbol; it is still checked
        return base

    def _power(self, base: _Bound, exponent: _Bound) -> _Bound:
        largest = _value_bound(exponent.size)
        limit = LARGEST_SYMBOLIC_EXPONENT if base.symbolic or exponent.symbolic else LARGEST_EXPONENT
        if largest > limit * _ROUNDING:
            raise _TooLarge
        return _either(base, exponent, base.size * largest)

    def _factorial(self, argument: _Bound) -> _Bound:
        largest = _value_bound(argument.size)
        if largest > LARGEST_FACTORIAL * _ROUNDING:
            raise _TooLarge
        return argument._replace(size=largest * math.log10(max(largest, 2.0)))

    def atom(self) -> _Bound:
        token = self._peek()
        if token is None:
            return _NOTHING
        self.position += 1
        if token[0].isdigit() or token[0] == ".":
            return _Bound(_number_size(token), False)
        if token in _OPENERS:
            bound = self.expression(stop=_STOPS[token])
            if self._peek() == _OPENERS[token]:
                self.position += 1
            return bound
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            numerator, denominator = self.atom(), self.atom()
            return _either(numerator, denominator, numerator.size + denominator.size)
        if token == "\\binom":
            top, bottom = self.atom(), self.atom()
            smaller = min(_value_bound(top.size), _value_bound(bottom.size))
            if smaller > LARGEST_FACTORIAL * _ROUNDING:
                raise _TooLarge
            return _either(top, bottom, smaller * max(top.size, 1.0))
        if token in ("\\sum", "\\prod"):
            return self._series()
        if token == "\\exp":
            return self._power(_CONSTANT, self.power())
        if len(token) == 1 and token.isalpha():
            return _SYMBOL
        named = token.startswith("\\") and len(token) > 2 and token not in _OPERATORS
        if named and self._peek() not in (None, "^", "_", "!", "'"):
            argument = self.power()  # \sqrt{2}, \sin x, \log(2), \text{cm}: bounded by the argument
            return argument._replace(size=max(argument.size, 1.0))
        return _CONSTANT

    def _series(self) -> _Bound:
        """``\\sum_{n=1}^{N} term``: at most N terms, each bounded like ``term``."""
        upper = _CONSTANT
        while self._peek() in ("_", "^"):
            limit = self.tokens[self.position]
            self.position += 1
            bound = self.atom()
            if limit == "^":
                upper = bound
        terms = _value_bound(upper.size)
        if not upper.symbolic and terms > MAX_TERMS * _ROUNDING:
            raise _TooLarge
        term = self.power()
        return _either(upper, term, term.size + math.log10(max(terms, 1.0)))
