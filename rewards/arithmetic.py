"""Exact evaluation of arithmetic on plain numbers written in LaTeX (``\\frac{4 \\cdot 999^{4}}{27}``, ``2^{10}-1``).

Used by the fast path so that unevaluated numeric answers need no SymPy. Anything beyond ``+ - * /``, ``\\cdot``,
``\\times``, ``\\frac``, integer powers and brackets (variables, roots, functions, implicit products) is not
evaluated. Sizes are capped so a hostile input cannot make it slow.
"""

from __future__ import annotations

import re
from fractions import Fraction

from rewards.normalize import to_number
from rewards.token_cursor import TokenCursor
from rewards.token_cursor import UnsupportedForm as _Unsupported

MAX_POWER = 64
"""Largest integer exponent evaluated (``2^{64}``)."""
MAX_BITS = 4096
"""Largest numerator/denominator size (bits) any intermediate result may reach."""

_TOKEN = re.compile(r"\d+(?:\.\d*)?|\.\d+|\\frac|\\cdot|\\times|[-+*/^(){}\[\]]")


def evaluate(text: str) -> Fraction | None:
    """The exact value of ``text`` (``key``-ed LaTeX, no whitespace), or None if it is not plain arithmetic."""
    plain = to_number(text)
    if plain is not None:
        return plain
    if len(text) > 200:
        return None
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        return None  # a character outside the arithmetic vocabulary
    parser = _Parser(tokens)
    try:
        value = parser.expression()
        if parser.position != len(tokens):
            return None
        return value
    except (_Unsupported, ZeroDivisionError, IndexError):
        return None


def _checked(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise _Unsupported
    return value


class _Parser(TokenCursor):
    """Recursive descent: expression := term (('+'|'-') term)*; term := unary (('*'|'/'|'\\cdot'|'\\times') unary)*;
    unary := ('+'|'-') unary | power; power := atom ('^' atom)?; atom := number | '(' expression ')' | '{' ... '}'
    | '\\frac' group group."""

    def expression(self) -> Fraction:
        value = self.term()
        while self._peek() in ("+", "-"):
            value = _checked(value + self.term() if self._take() == "+" else value - self.term())
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while self._peek() in ("*", "/", "\\cdot", "\\times"):
            operator = self._take()
            operand = self.unary()
            value = _checked(value / operand if operator == "/" else value * operand)
        return value

    def unary(self) -> Fraction:
        if self._peek() in ("+", "-"):
            return -self.unary() if self._take() == "-" else self.unary()
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self._peek() != "^":
            return base
        self._take("^")
        exponent = self.atom()
        if exponent.denominator != 1 or abs(exponent) > MAX_POWER:
            raise _Unsupported
        if base == 0 and exponent < 0:
            raise ZeroDivisionError
        return _checked(base ** int(exponent))

    def atom(self) -> Fraction:
        token = self._take()
        if token == "\\frac":
            numerator = self._group()
            return _checked(numerator / self._group())
        if token in ("(", "[", "{"):
            value = self.expression()
            self._take({"(": ")", "[": "]", "{": "}"}[token])
            return value
        if token[0].isdigit() or token[0] == ".":
            return Fraction(token)
        raise _Unsupported

    def _group(self) -> Fraction:
        """A ``\\frac`` argument: a braced expression or a single digit (``\\frac12``)."""
        if self._peek() == "{":
            self._take("{")
            value = self.expression()
            self._take("}")
            return value
        token = self._take()
        if len(token) == 1 and token.isdigit():
            return Fraction(token)
        raise _Unsupported
