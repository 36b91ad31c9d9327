"""Specification of exactness: tiny and huge exact quantities are compared exactly, decimals within a relative
tolerance, whichever path (fast rules, our symbolic path, Math-Verify) reaches the pair."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards import Verdict, score

# (gold, answer, reason): different quantities, each within an absolute 1e-6 of the other or equal to 20+ digits.
NEAR_MISSES = [
    (r"\frac{1}{100!}", r"\frac{1}{101!}", "inexact"),
    (r"3^{-200}", r"2^{-200}", "inexact"),
    (r"e^{-50}", r"e^{-51}", "inexact"),
    (r"\frac{1}{3^{101}}", r"\frac{1}{3^{100}}", "inexact"),
    (r"10^{-40}", r"10^{-41}", "inexact"),  # the fast path's exact arithmetic
    (r"\sqrt{2}", r"\sqrt{2} + 10^{-30}", "inexact"),
    (r"\pi", r"\pi + 10^{-20}", "inexact"),
    (r"100!", r"101!", "wrong"),
    (r"2^{100}", r"2^{100}+1", "inexact"),
    (r"10^{40}", r"10^{40}+1", "inexact"),
    (r"2^{10^{10}}", r"2^{10^{10}}+1", "inexact"),  # never expanded: evaluated to 30 digits of the difference
    ("262537412640768744", r"e^{\pi\sqrt{163}}", "inexact"),  # equal to 29 digits, not equal
    (r"\frac{1}{100!}", "0", "inexact"),
    (r"\frac{1}{100!}", "0.0000001", "inexact"),  # a decimal: relative tolerance, not rounding to 6 places
    (r"e^{-50}", "0.0", "inexact"),
    ("x^2", r"x^2 + 10^{-30}", "inexact"),  # unknowns: Math-Verify says equal, the exact check refutes it
    ("2x = 10^{-40}", "2x = 10^{-41}", "inexact"),  # equations: the sides differ by a nonzero number
    ("x < 10^{-40}", "x < 10^{-41}", "inexact"),  # inequalities compare as intervals
    ("x < 10^{-40}", r"10^{-41} > x", "inexact"),
    (r"2x \le 10^{-40}", r"2x \le 10^{-41}", "inexact"),  # not a bound on one unknown: the symbolic path
]
EQUAL_FORMS = [
    (r"\frac{1}{100!}", r"\frac{1}{100\cdot 99!}", "symbolic"),
    (r"2^{-200}", r"\frac{1}{2^{200}}", "symbolic"),
    (r"e^{-50}", r"\frac{1}{e^{50}}", "symbolic"),
    (r"\frac{1}{3^{101}}", r"3^{-101}", "symbolic"),
    (r"100!", r"100 \cdot 99!", "symbolic"),
    (r"2^{100}+1", "1267650600228229401496703205377", "symbolic"),
    (r"10^{40}+1", "10000000000000000000000000000000000000001", "numeric"),
    (r"10^{-40}", r"\frac{1}{10^{40}}", "numeric"),
    (r"\sqrt{5+2\sqrt{6}}", r"\sqrt{2}+\sqrt{3}", "symbolic"),
    (r"\frac{\log 2}{\log 3}", r"\log_3 2", "symbolic"),
    ("x < 10^{-40}", r"10^{-40} > x", "exact"),
    (r"2x \le 10^{-40}", r"10^{-40} \ge 2x", "symbolic"),
]


@pytest.mark.parametrize(("gold", "answer", "reason"), NEAR_MISSES)
def test_near_misses_of_tiny_or_huge_quantities_are_rejected(gold, answer, reason):
    assert score(rf"\boxed{{{answer}}}", gold) == Verdict(False, answer, reason, "boxed")


@pytest.mark.parametrize(("gold", "answer", "reason"), EQUAL_FORMS)
def test_equal_quantities_written_differently_are_accepted(gold, answer, reason):
    assert score(rf"\boxed{{{answer}}}", gold) == Verdict(True, answer, reason, "boxed")


def test_the_exact_check_overrules_math_verify():
    from math_verify import parse, verify

    assert verify(parse(r"$\frac{1}{100!}$"), parse(r"$\frac{1}{101!}$"))  # Math-Verify's absolute tolerance
    verdict = score(r"\boxed{\frac{1}{101!}}", r"\frac{1}{100!}")
    assert verdict == Verdict(False, r"\frac{1}{101!}", "inexact", "boxed")


@pytest.mark.parametrize(
    ("gold", "answer", "verdict"),
    [
        (r"\sqrt{2}", "1.4142136", (True, "approximate")),
        (r"\sqrt{2}", "1.414214", (True, "approximate")),
        (r"1000\sqrt{2}", "1414.21356", (True, "approximate")),  # relative: 6 decimals are not needed when large
        (r"\pi", "3.1415927", (True, "approximate")),
        (r"\sqrt{2}", "1.41421", (False, "wrong")),
        (r"\pi", "3.14", (False, "wrong")),
        (r"\pi", "3.14159", (False, "inexact")),
        (r"\frac{\sqrt{2}}{1000}", "0.001414", (False, "inexact")),  # rounding to 6 places would accept it
        (r"\frac{1}{3}", "0.3333", (False, "wrong")),  # plain numbers compare exactly, as before
        (r"\frac{1}{3}", "0.333333", (False, "inexact")),
        ("0.5x", r"\frac{x}{2}", (True, "symbolic")),  # 0.5 is exactly 1/2
        (r"\frac{\sqrt{2}}{2}", r"0.5\sqrt{2}", (True, "symbolic")),
        (r"\frac{x}{3}", "0.3333333x", (False, "wrong")),  # with unknowns, Math-Verify compares decimals exactly
        (r"0.3333333x", r"\frac{x}{3}", (False, "wrong")),
    ],
)
def test_decimals_are_compared_with_a_relative_tolerance(gold, answer, verdict):
    correct, reason = verdict
    assert score(rf"\boxed{{{answer}}}", gold) == Verdict(correct, answer, reason, "boxed")


_ATOMS = st.one_of(
    st.integers(2, 60).map(lambda n: rf"\sqrt{{{n}}}"),
    st.integers(1, 30).map(lambda n: f"e^{{{n}}}"),
    st.integers(1, 60).map(lambda n: f"e^{{-{n}}}"),
    st.integers(5, 120).map(lambda n: f"{n}!"),
    st.integers(5, 120).map(lambda n: rf"\frac{{1}}{{{n}!}}"),
    st.tuples(st.integers(2, 9), st.integers(-300, 300)).map(lambda p: f"{p[0]}^{{{p[1]}}}"),
    st.just(r"\pi"),
    st.integers(1, 10**12).map(str),
)
_EXPRESSIONS = st.recursive(
    _ATOMS,
    lambda inner: st.tuples(inner, st.sampled_from(["+", r"\cdot", "/"]), inner).map(
        lambda t: rf"\frac{{{t[0]}}}{{{t[2]}}}" if t[1] == "/" else f"{t[0]} {t[1]} {t[2]}"
    ),
    max_leaves=3,
)
_FACTORS = st.one_of(
    st.fractions(min_value=Fraction(-1000), max_value=Fraction(1000), max_denominator=1000),
    st.integers(20, 60).map(lambda k: 1 + Fraction(1, 10**k)),  # within 1e-20 of 1
    st.integers(20, 60).map(lambda k: 1 - Fraction(1, 10**k)),
).filter(lambda c: c != 1)


def _times(factor: Fraction, expression: str) -> str:
    return rf"\frac{{{factor.numerator}}}{{{factor.denominator}}} \cdot \left({expression}\right)"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=_EXPRESSIONS, factor=_FACTORS)
def test_a_rational_multiple_other_than_one_is_never_accepted(expression, factor):
    verdict = score(rf"\boxed{{{_times(factor, expression)}}}", expression)
    assert not verdict.correct, verdict


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=_EXPRESSIONS, size=st.integers(2, 10**6))
def test_the_same_expression_times_one_is_accepted(expression, size):
    answer = rf"\frac{{{size}}}{{{size}}} \cdot \left({expression}\right)"
    verdict = score(rf"\boxed{{{answer}}}", expression)
    assert verdict.correct, verdict
