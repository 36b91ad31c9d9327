"""String clean-up of LaTeX answers and exact parsing of plain numbers (the fast path's building blocks)."""

from __future__ import annotations

import math
import re
from fractions import Fraction

MAX_EXPONENT = 400
"""Largest power of ten a plain number may carry (``1e400``); bigger ones are left to the symbolic path."""

UNIT_WORDS = (  # a regex alternation: the unit words removed after a number
    "degrees?|cents?|dollars?|units?|inch(?:es)?|feet|foot|ft|cm|mm|km|m|meters?|metres?|miles?|mph|hours?|"
    "minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|sq|square|cubic|kg|g|grams?|pounds?|lbs?|"
    "ounces?|oz|liters?|litres?|ml|L|gallons?|people|students?|ways|points?|percent|euros?|yards?|s"
)
_TRAILING_TEXT_UNIT = re.compile(r"(?<=\S)\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\}(?:\s*\^\s*\{?\d\}?)?\s*$")
_TRAILING_WORD_UNIT = re.compile(rf"(?<=[\d}}])\s+(?:(?:{UNIT_WORDS})(?:\s*\^\s*\{{?\d\}}?)?\s*)+$")
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|mathbf|mathit|operatorname|textrm)\s*\{([^{}]*)\}")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree")
# A command written with two backslashes (a twice-escaped string: "\\\\frac") is that command, not a line break
# followed by text; a real line break before a command has three ("\\\\\\frac").
_DOUBLE_ESCAPED = re.compile(
    r"(?<!\\)\\\\(?=(?:frac|dfrac|tfrac|sqrt|left|right|le|leq|ge|geq|lt|gt|cdot|times|pi|infty|in|text|mathrm)"
    r"(?![A-Za-z]))"
)
_THOUSANDS_SEPARATOR = re.compile(r"\s*\{\s*,\s*\}\s*|,\s*\\!\s*")  # 14{,}916, 14 {, }916, 10,\!080
_SPACING = re.compile(r"(?<!\\)\\[,;:> ]|~|\\quad|\\qquad")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d|[a-zA-Z])(?![a-zA-Z])")
_MEMBERSHIP = re.compile(r"^[a-zA-Z]\s*\\in\s*")

_INT = r"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)"  # a thousands separator never follows a lone 0 (0,111 is a decimal comma)
_DECIMAL = rf"(?:{_INT}(?:\.\d*)?|\.\d+)"
_TIMES_TEN = r"(?:\\times|\\cdot|\*|x)10\^(?:\{(?P<exp2>[+-]?\d+)\}|(?P<exp3>\d))"
_SCI = rf"(?P<mant>{_DECIMAL})(?:(?:e|E)(?P<exp1>[+-]?\d+)|{_TIMES_TEN})?"
_PLAIN_NUMBER = re.compile(rf"^(?P<sign>[+-]?){_SCI}$")
_FRACTION = re.compile(r"^(?P<sign>[+-]?)\\frac\{(?P<num>[^{}]+)\}\{(?P<den>[^{}]+)\}$")
_MIXED = re.compile(r"^(?P<sign>[+-]?)(?P<whole>\d+)\\frac\{(?P<num>\d+)\}\{(?P<den>\d+)\}$")
_SLASH = re.compile(r"^(?P<sign>[+-]?)(?P<num>[^/]+)/(?P<den>[^/]+)$")


def clean_latex(text: str) -> str:
    """Remove presentation-only LaTeX: math delimiters, ``\\left``/``\\right``, spacing, ``\\dfrac``, ``\\text``
    wrappers, degrees, trailing units, dollar and percent signs, a trailing period; whitespace collapsed.

    The result is still LaTeX (safe to hand to a LaTeX parser); ``key`` makes the comparison form.
    """
    text = _DOUBLE_ESCAPED.sub(r"\\", text.strip())
    text = text.replace("\\$", "").replace("$", "")
    text = text.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\displaystyle", "")
    text = _THOUSANDS_SEPARATOR.sub(",", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _SPACING.sub(" ", text.replace("\\!", ""))
    text = text.replace("\\%", "").replace("%", "")
    text = _DEGREES.sub("", text)
    text = _TRAILING_TEXT_UNIT.sub("", text)
    text = _TEXT_WRAPPER.sub(lambda m: m.group(1), text)
    text = _TRAILING_WORD_UNIT.sub("", text)
    text = _FRAC_SHORT.sub(lambda m: f"\\frac{_brace(m.group(1))}{_brace(m.group(2))}", text)
    text = _SQRT_SHORT.sub(lambda m: f"\\sqrt{{{m.group(1)}}}", text)
    text = _MEMBERSHIP.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.rstrip(".").strip()
    return text


def _brace(arg: str) -> str:
    return arg if arg.startswith("{") else "{" + arg + "}"


def key(text: str) -> str:
    """The comparison form of cleaned LaTeX: all whitespace removed."""
    return re.sub(r"\s+", "", text)


def to_number(text: str) -> Fraction | None:
    """The exact value of a plain number written in ``text`` (already ``key``-ed), or None.

    Accepted: integers (thousands commas, leading zeros), decimals (``.5``, ``27.0``), scientific notation
    (``4.5e33``, ``3\\times10^{12}``, exponents up to ``MAX_EXPONENT``), ``\\frac{a}{b}`` and ``a/b`` of such numbers,
    mixed numbers ``1\\frac{4}{5}``. Anything else (roots, pi, expressions) is None.
    """
    if len(text) > 200:
        return None
    match = _PLAIN_NUMBER.match(text)
    if match:
        exponent_text = match.group("exp1") or match.group("exp2") or match.group("exp3") or "0"
        exponent = int(exponent_text)
        if abs(exponent) > MAX_EXPONENT:
            return None
        mantissa = match.group("mant").replace(",", "")
        if mantissa in ("", "."):
            return None
        value = Fraction(mantissa) * Fraction(10) ** exponent
        return -value if match.group("sign") == "-" else value
    for pattern in (_MIXED, _FRACTION, _SLASH):
        match = pattern.match(text)
        if not match:
            continue
        numerator = to_number(match.group("num"))
        denominator = to_number(match.group("den"))
        if numerator is None or denominator is None or denominator == 0:
            return None
        value = numerator / denominator
        if pattern is _MIXED:
            value += int(match.group("whole"))
        return -value if match.group("sign") == "-" else value
    return None


def is_plain_number(text: str) -> bool:
    """Whether ``text`` (already ``key``-ed) writes a number in final form, with no computation left to do.

    Final forms: what ``to_number`` reads without arithmetic (integers, decimals, scientific notation) and fractions
    of integers in lowest terms with a denominator above 1 (``\\frac{1}{2}``, ``-3/4``; a mixed number's fraction
    part is also proper). ``348/2``, ``\\frac{174}{1}`` and ``1\\frac{6}{4}`` are unevaluated computations.
    """
    if to_number(text) is None:
        return False
    if _PLAIN_NUMBER.match(text):
        return True
    for pattern in (_MIXED, _FRACTION, _SLASH):
        match = pattern.match(text)
        if match:
            if not (re.fullmatch(r"\d+", match.group("num")) and re.fullmatch(r"\d+", match.group("den"))):
                return False
            numerator, denominator = int(match.group("num")), int(match.group("den"))
            proper = pattern is not _MIXED or numerator < denominator
            return denominator > 1 and math.gcd(numerator, denominator) == 1 and proper
    return False
