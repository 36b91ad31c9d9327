"""Specification of answer forms real model output uses (from Math-Verify's test tables): each acceptance with the
near misses that must stay wrong (a false positive is a reward hole)."""

from __future__ import annotations

import pytest

from rewards import Verdict, score
from rewards.extract import extract


def test_final_answer_after_an_earlier_box_is_the_answer():
    response = (
        r"so $0.05 \cdot 10,200 / 2 = \boxed{255}$ and $10,200 + 255 = 10,455$. "
        r"Final Answer: The final answer is $10,455$."
    )
    assert score(response, "10455") == Verdict(True, "10,455", "numeric", "answer_phrase")


@pytest.mark.parametrize(
    "response",
    [
        r"Candidate: \boxed{4}. Final answer: 5",
        r"The answer is not \boxed{4}. Final answer: 5",
        r"\boxed{4}. The final answer is $5$.",
        r"\boxed{4}. Final answer: not 4, it is 5",  # a qualified final statement leaves no answer, not the box
    ],
)
def test_earlier_box_is_not_final_when_a_final_answer_follows(response):
    assert not score(response, "4").correct


@pytest.mark.parametrize(
    ("response", "source"),
    [
        (r"\boxed{5}. I am sure the answer is correct.", "boxed"),  # a remark, not a final-answer phrase
        (r"\boxed{5}. Final answer: see above.", "boxed"),  # states no math: the box stands
        (r"\boxed{5}. Final Answer: The final answer is $5$.", "boxed"),  # restates the box
        (r"Final Answer: \boxed{5}", "boxed"),
    ],
)
def test_box_stands_when_no_other_final_answer_follows(response, source):
    assert score(response, "5") == Verdict(True, "5", "exact", source)


def test_a_hedged_final_answer_earns_nothing():
    assert not score(r"\boxed{4}. Final answer: 5 or 6", "5").correct


@pytest.mark.parametrize("response", ["the number is not 10 which is 1,000.99€", "not it's not 10 it's 1,000.99m²"])
def test_number_restated_after_a_qualifier_with_currency_or_unit_is_the_answer(response):
    assert score(response, "1000.99") == Verdict(True, "1,000.99", "numeric", "fallback")


@pytest.mark.parametrize(
    "response",
    [
        "it is not 10, it is not 1,000.99€",  # qualified after the restatement
        "the number is 10 which is at least 1,000.99€",
        "not 10 which is 1,000.99€ or 5",  # a hedge
        "not 10 which is 1,000.99€ more than 5",
        "The answer is not 1,000.99, which is 12 dollars.",  # after a comma, "which" describes the qualified number
    ],
)
def test_qualified_numbers_stay_unanswered(response):
    assert extract(response).answer is None or not score(response, "1000.99").correct


def test_a_gold_written_as_a_solution_is_its_final_answer():
    gold = r"It keeps $90\%$ then $80\%$ of that. Final Answer: The final answer is $28 \%$. I hope it is correct."
    assert score(r"a total loss of $\boxed{28\%}$.", gold) == Verdict(True, r"28\%", "exact", "boxed")
    assert not score(r"a total loss of $\boxed{72\%}$.", gold).correct


@pytest.mark.parametrize(
    ("gold", "answer", "correct"),
    [
        ("p=5,q=2;p=7,q=2", "(5,2),(7,2)", True),  # assignments grouped by ";" are a set of tuples
        ("p=5,q=2;p=7,q=2", "(7,2),(5,2)", True),
        ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
        ("p=5,q=2;p=7,q=2", "(5,2),(7,3)", False),
        ("p=5,q=2;p=7,q=2", "(5,2)", False),
        ("p=5,q=2;p=7,q=2", "(2,5),(2,7)", False),  # in the order the variables are written
        ("p=5,q=2;q=2,p=7", "(5,2),(2,7)", False),  # groups assigning in different orders are not read as tuples
        ("(11,7)or(7,11)", r"(7,11),\ (11,7)", True),  # "or" between brackets without spaces separates
        ("(11,7)or(7,11)", "(7,11)", False),
        ("(11,7)or(7,11)", "(7,11),(11,8)", False),
        (r"W(n) = 1 \text{ and } W(n) = -1", "W(x)=1orW(x)=-1", True),  # the argument's name is a dummy
        (r"W(n) = 1 \text{ and } W(n) = -1", "W(x)=1orW(x)=-2", False),
        (r"W(n) = 1 \text{ and } W(n) = -1", "V(x)=1orV(x)=-1", False),  # a different function
        (r"W(n) = 1 \text{ and } W(n) = -1", "W(x)=1", False),
        (r"W(n) = 1 \text{ and } W(n) = -1", "W(x)=1orW(x)=-1orW(x)=0", False),
        ("f(n) = n", "f(x) = n", False),  # right sides with letters keep their variables
        (r"1 \leq |z| \leq \frac{3}{2}", r"z \in \left[-\frac{3}{2}, -1\right] \cup \left[1, \frac{3}{2}\right]", True),
        (r"1 \leq |z| \leq \frac{3}{2}", r"\left[-\frac{3}{2}, -1\right) \cup \left[1, \frac{3}{2}\right]", False),
        (r"1 \leq |z| \leq \frac{3}{2}", r"\left[1, \frac{3}{2}\right]", False),
        (r"1 \leq |z| \leq \frac{3}{2}", r"\left[-\frac{3}{2}, \frac{3}{2}\right]", False),
        (r"|x| < 3", "(-3, 3)", True),
        (r"|x| < 3", "[-3, 3]", False),
        (r"|x| \ge 1", r"(-\infty, -1] \cup [1, \infty)", True),
        (r"|x| \ge 1", r"(-\infty, -1) \cup (1, \infty)", False),
        ("E", "E'", False),  # a prime or accent is part of the answer
        ("E'", "E", False),
        (r"\bar{x}", "x", False),
        ("f'(x)", "f''(x)", False),
    ],
)
def test_sets_assignments_and_absolute_values(gold, answer, correct):
    assert score(rf"\boxed{{{answer}}}", gold).correct is correct


def test_a_hedge_earns_nothing_for_a_one_answer_gold():
    assert not score(r"\boxed{5 or 6}", "5").correct
    assert not score(r"\boxed{5or6}", "5").correct
