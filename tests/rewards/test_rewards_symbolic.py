"""Specification of the symbolic path (run in-process here; in production it runs in the worker processes)."""

from __future__ import annotations

import pytest

from rewards.symbolic import symbolic_outcome


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        (r"(t + \frac{1}{2} \sin{2t}) u(t)", r"(t + \frac{1}{2} \sin{2t}) u(t) + 1"),  # undefined function u
        ("x^5 - x^4 + x^3 - x^2 + x - 1", "x^5 - x^4 + x^3 - x^2 + x"),
        (r"\frac{1}{2a}(e^{at} - e^{-at})", r"\frac{1}{2a}(e^{at} + e^{-at})"),
    ],
)
def test_plainly_different_expressions_are_unequal(gold, answer):
    assert symbolic_outcome(gold, answer).correct is False


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("2k+2", "2(k+1)"),
        (r"\cot x", r"\frac{\cos x}{\sin x}"),
        ("0.5x", r"\frac{x}{2}"),
        (r"\sqrt{2}", "1.4142136"),  # constants keep Math-Verify's rounding to 6 decimals
    ],
)
def test_equal_expressions_stay_equal(gold, answer):
    assert symbolic_outcome(gold, answer).correct is True


def test_unparseable_answer_is_none():
    assert symbolic_outcome("5", "\\\\") is None
