"""Specification of the quick float refutation (``rewards.sampling``): it finds plainly different expressions
different without SymPy, reaching the verdict the symbolic path reaches, and never decides anything else."""

from __future__ import annotations

import pytest

from rewards.compare import Outcome, compare
from rewards.sampling import certain_difference
from rewards.symbolic import judge

PLAINLY_DIFFERENT = [
    ("p - q", "p - q + 1"),
    (r"3\sqrt{13}", r"3\sqrt{13} + 1"),
    ("6 - 5i", "6 - 5i + 1"),  # i is an unknown, as Math-Verify reads it
    (r"-\frac{\pi}{6}", r"-\frac{\pi}{6} + 1"),
    ("x^5 - x^4 + x^3 - x^2 + x - 1", "x^5 - x^4 + x^3 - x^2 + x - 1 + 1"),
    ("(a+5)(b+2)", "(a+5)(b+2) + 1"),
    (r"\frac{11+9a}{20}", r"\frac{11+9a}{20} + 1"),
    (r"\cot x", r"\cot x + 1"),
    ("3R^2", "3r^2 + 1"),  # R and r are one unknown
    (r"\sqrt[3]{2}", r"\sqrt[3]{3}"),
    (r"\frac{20000}{\pi}", r"\frac{20000}{\pi} + 1"),
    (r"2\sqrt{2}", "x + 1"),  # a number against an expression that varies
]


@pytest.mark.parametrize(("gold", "answer"), PLAINLY_DIFFERENT)
def test_plainly_different_expressions_are_wrong_without_sympy(gold, answer):
    assert compare(gold, answer) == Outcome(False, "wrong")  # decided in the parent (no symbolic callback)
    assert judge(gold, answer) == Outcome(False, "wrong")  # the worker agrees


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        (r"\frac{\sqrt{3}}{3}", r"\frac{1}{\sqrt{3}}"),  # equal: only SymPy may say so
        ("(a+5)(b+2)", "(b+2)(a+5)"),
        (r"\sqrt{2}", r"\sqrt{2} + 10^{-30}"),  # a gap below rounding error: the exact path decides (inexact)
        (r"\sqrt{2}", "1.414214"),  # a decimal within the tolerance
        ("x", "y"),  # different unknowns
        ("ab", "ab + 1"),  # letters side by side: a word or a product, depending on the parser
        ("28", "28 pct"),
        ("2^3^2", "64"),  # read left to right by Math-Verify
        ("1/2x", "x/2"),
        (r"\sin 2x", r"\sin 2x + 1"),
        (r"\sqrt{2}", r"\sqrt{2} + 0.000001"),  # near the inexact boundary: left to the exact path
    ],
)
def test_what_floats_cannot_settle_is_left_to_sympy(gold, answer):
    assert certain_difference(gold, answer) is None
    assert compare(gold, answer).correct is None


def test_refutation_never_claims_equality():
    assert certain_difference("x + 1", "1 + x") is None
    assert certain_difference(r"\pi", r"\pi") is None


@pytest.mark.parametrize("text", ["(", "\\frac{", ".", "x^", "\\sqrt[", "1 2", "+", ""])
def test_odd_input_is_never_an_error(text):
    assert certain_difference(text, "1") is None
