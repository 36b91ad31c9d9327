"""Specification of the limits that refuse, before SymPy, what it cannot evaluate in time (``rewards.limits``)."""

from __future__ import annotations

import pytest

from rewards.limits import LARGEST_EXPONENT, MAX_NESTING, too_large


@pytest.mark.parametrize(
    "answer",
    [
        r"2^{2011}",  # olympiad-sized powers
        r"2^{10^{10}}+1",  # SymPy keeps it unevaluated
        r"10^{10^{99}}",
        r"3^{3^{3^{3}}}",  # 3^(7.6e12): still a small exponent's tower
        r"\frac{1}{101!}",
        r"(10^{6})!",
        r"\binom{10^{100}}{3}",
        r"x^{10^4}",
        r"\sum_{k=1}^{100} k^2",
        r"\sum_{n=1}^{\infty} \frac{1}{n^2}",  # a symbolic bound is not counted
        r"\prod_{k=1}^{n} k",
        r"e^{\pi \sqrt{163}}",
        "(" * MAX_NESTING + "1" + ")" * MAX_NESTING,
    ],
)
def test_answers_within_the_limits_pass(answer):
    assert not too_large(answer)


@pytest.mark.parametrize(
    ("answer", "limit"),
    [
        ("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), "nesting"),
        (r"10^{10^{101}}", "exponent above 10**100"),
        (r"9^{9^{9^{9}}}", "a tower: 9^9^9 has 369,693,100 digits"),
        (r"3^{10^{10^{3}}}", "exponent 10**1000"),
        (r"x^{10001}", "exponent of an unknown above 10**4"),
        (r"(x+1)^{10^{6}}", "exponent of an unknown above 10**4"),
        (r"(10^{7})!", "factorial above 10**6"),
        (r"((10^{100})!)!", "factorial above 10**6"),
        (r"\binom{10^{100}}{10^{50}}", "both indices above 10**6"),
        (r"\sum_{n=1}^{10^{12}} n^{n}", "more than 10**5 terms"),
        (r"\prod_{n=1}^{200000} n", "more than 10**5 terms"),
        (r"\exp(10^{101})", "exponent above 10**100"),
    ],
)
def test_answers_past_a_limit_are_too_large(answer, limit):
    assert too_large(answer), limit


def test_limits_are_checked_inside_every_part():
    assert too_large(r"\frac{1}{2} + \sqrt{(10^{7})!}")
    assert too_large(r"x_{(10^{7})!}")  # a subscript is checked too
    assert not too_large(r"\frac{1}{2} + \sqrt{(10^{6})!}")


def test_exponent_limit_is_the_documented_one():
    assert LARGEST_EXPONENT == 10**100
    assert not too_large("2^{10^{100}}")
    assert too_large("2^{10^{101}}")


@pytest.mark.parametrize("text", ["((((", "}}}}", r"\frac{", r"^^^", r"\sum_", "!!!", r"\binom{", ""])
def test_odd_input_is_never_an_error(text):
    assert too_large(text) in (True, False)
