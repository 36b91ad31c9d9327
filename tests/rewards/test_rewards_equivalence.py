"""Specification of answer equivalence: labelled (gold, answer) pairs with the verdict and reason each must get."""

from __future__ import annotations

import pytest

from rewards import Verdict, is_equivalent, score

# (gold, answer, correct, reason), each checked by hand.
FAST_PATH_CASES = [
    # normalised strings
    (r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})", True, "exact"),
    (r"\dfrac{17}{50}", r"\frac{17}{50}", True, "exact"),
    (r"\frac 59", r"\frac{5}{9}", True, "exact"),
    (r"11\sqrt2", r"11\sqrt{2}", True, "exact"),
    (r"90^\circ", "90", True, "exact"),
    (r"145^\circ", r"145^{\circ}", True, "exact"),
    (r"\$32,\!348", "32348", True, "numeric"),
    (r"\$18.90", r"\$18.9", True, "numeric"),
    (r"864 \mbox{ inches}^2", "864", True, "exact"),
    (r"5.4 \text{ cents}", "5.4 cents", True, "exact"),
    (r"\frac{270}7\text{ degrees}", r"\frac{270}{7}", True, "exact"),
    ("27", "27 miles", True, "exact"),
    (r"20\%", "20", True, "exact"),
    (r"x \in [-2,7]", "[-2, 7]", True, "exact"),
    # integers: separators, zero padding, AMC floats
    ("025", "25", True, "numeric"),
    ("27.0", "27", True, "numeric"),
    ("3159.0", "3,159", True, "numeric"),
    (r"10,\!080", "10080", True, "numeric"),
    (r"11,\! 111,\! 111,\! 100", "11111111100", True, "numeric"),
    ("58,500", "58500", True, "numeric"),
    ("1,600", "1600", True, "numeric"),
    ("25", "26", False, "wrong"),
    ("27.0", "27.5", False, "wrong"),
    # decimals vs fractions, mixed numbers, scientific notation
    ("0.15", r"\frac{3}{20}", True, "numeric"),
    ("1.25", "5/4", True, "numeric"),
    (".0000672", "6.72e-5", True, "numeric"),
    (r"1\frac{4}{5}", "1.8", True, "numeric"),
    ("4.5e33", r"4.5 \times 10^{33}", True, "numeric"),
    ("-\\frac{35}{9}", "\\frac{-35}{9}", True, "numeric"),
    ("0.333", r"\frac{1}{3}", False, "wrong"),
    # a decimal for a value without a finite decimal form is within a relative 5e-7; a finite one must be exact
    (r"\frac{1}{12}", "0.0833333333333333", True, "approximate"),
    (r"\frac{1}{12}", "0.0833333", True, "approximate"),
    (r"\frac{1}{12}", "0.08333", False, "wrong"),
    (r"\frac{1}{3}", "0.333333", False, "inexact"),
    (r"\frac{1}{8}", "0.12500001", False, "inexact"),
    ("0.0215", "0.02150001", False, "inexact"),
    # exact arithmetic on plain numbers
    ("147556443852", r"\frac{4 \cdot 999^{4}}{27}", True, "numeric"),
    ("1023", "2^{10}-1", True, "numeric"),
    (r"\frac{1996}{1997}", r"1 - \frac{1}{1997}", True, "numeric"),
    ("1024", "2^{10}-1", False, "wrong"),
    # choice letters and text answers
    (r"\text{(C)}", "C", True, "exact"),
    (r"\text{(C)}", r"\textbf{(C)}", True, "exact"),
    (r"\text{(C)}", "(C) 12", True, "exact"),
    (r"\text{(E)}", "(B)", False, "wrong"),
    (r"\text{Evelyn}", "evelyn", True, "exact"),
    (r"\text{east}", "west", False, "wrong"),
    # number-base subscripts: base and digits both count
    ("40_9", "40_2", False, "wrong"),
    ("1011_2", "1011_{2}", True, "exact"),
    ("4210_{5}", "4210_5", True, "exact"),
    ("52_8", "52", True, "exact"),
    ("52_8", "42", False, "wrong"),
    ("2516_8", "2516_{10}", False, "wrong"),
    # multi-answers compare as sets
    ("$69$,$84$", "84, 69", True, "exact"),
    ("$69$,$84$", "69", False, "wrong"),
    ("$69$,$84$", "69, 84, 85", False, "wrong"),
    ("1,-2", "-2, 1", True, "exact"),
    ("3, 5, 7", "7,5,3", True, "exact"),
    (r"1 \pm \sqrt{19}", r"1-\sqrt{19}, 1+\sqrt{19}", True, "exact"),
    (r"\{1\pm\sqrt{5},-2\}", r"\{-2, 1+\sqrt5, 1-\sqrt 5\}", True, "exact"),
    (r"3 \pm 2 \sqrt{2}", r"3+2\sqrt{2}", False, "wrong"),
    ("$(3,2),(-3,2),(3,-2),(-3,-2)$", "(-3,-2),(3,2),(3,-2),(-3,2)", True, "exact"),
    (r"$f(x)=-1$,$f(x)=x+1$", "f(x)=x+1, f(x)=-1", True, "exact"),
    # ordered tuples and intervals compare exactly (order and bracket kind)
    ("(6,31,-1)", "(6, 31, -1)", True, "exact"),
    ("(6,31,-1)", "(31,6,-1)", False, "wrong"),
    ("(15,-29)", "(15.0, -29)", True, "numeric"),
    ("(3,4]", "(3,4)", False, "wrong"),
    ("(3,4]", "[3,4]", False, "wrong"),
    (r"(-\infty, 0]", r"(-\infty,0]", True, "exact"),
    (r"(0,9) \cup (9,36)", r"(9,36)\cup(0,9)", True, "exact"),
    (r"(0,9) \cup (9,36)", r"(0,9]\cup(9,36)", False, "wrong"),
    # matrices compare cell by cell
    (
        r"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}",
        r"\begin{bmatrix} -\frac13 \\ \frac23 \\ \frac53 \end{bmatrix}",
        True,
        "numeric",
    ),
    (
        r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}",
        r"\begin{pmatrix} -1 & 0 \\ 0 & 1 \end{pmatrix}",
        False,
        "wrong",
    ),
    (
        r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}",
        r"\begin{pmatrix} -1 & 0 & 0 \\ 0 & -1 & 0 \end{pmatrix}",
        False,
        "wrong",
    ),
    (  # a sum of matrices is no one matrix: the symbolic path adds them
        r"\begin{pmatrix} 6 & 8 \\ 10 & 12 \end{pmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} + \begin{pmatrix} 5 & 6 \\ 7 & 8 \end{pmatrix}",
        True,
        "symbolic",
    ),
    (
        r"\begin{pmatrix} 6 & 8 \\ 10 & 12 \end{pmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} + \begin{pmatrix} 5 & 6 \\ 7 & 9 \end{pmatrix}",
        False,
        "wrong",
    ),
    # assignments: "x = 5" and "5" say the same
    ("x=5", "5", True, "exact"),
    ("5", "x = 5", True, "exact"),
    (r"k = \frac{-33}{2}", "-16.5", True, "numeric"),
    ("y = 2x + 3", "2x+3", True, "exact"),
]

# How answers are stated: each accepted form next to its wrong near misses.
STATEMENT_CASES = [
    # a comma with a space, or a group of other than three digits, makes a list, not a thousands separator
    ("32349", "32,349", True, "numeric"),
    ("32349", "32, 349", False, "wrong"),
    ("32349", "3,2349", False, "wrong"),
    ("1,600", "1, 600", False, "wrong"),
    ("14{,}916", "14916", True, "numeric"),
    ("14 {, }916", "14916", True, "numeric"),
    ("14916", "14{,}916", True, "numeric"),
    ("14{,}916", "14917", False, "wrong"),
    ("14{,}916", "14, 916", False, "wrong"),
    # a decimal comma reads as a point only against a decimal gold, and never before a group of three digits
    ("3.5", "3,5", True, "numeric"),
    ("0.25", "0,25", True, "numeric"),
    ("3.5", "3,6", False, "wrong"),
    ("3.142", "3,142", False, "wrong"),
    ("35", "3,5", False, "wrong"),
    ("1,22", "1.22", True, "numeric"),  # either side may carry the decimal comma
    ("0,111", "0.111", True, "numeric"),  # 0,111 cannot be thousands
    ("0,111", "111", False, "wrong"),
    # the answer's left side is dropped only when the gold has no "="; equations compare as equations
    ("5", "z = 5", True, "exact"),
    ("x+y=5", "z=5", False, "wrong"),
    ("2x+4y-3=0", r"y=-\frac12x+\frac34", True, "symbolic"),
    ("2x+4y-3=0", r"y=-\frac12x+\frac35", False, "wrong"),
    # a gold tuple of unknowns: the tuple, or each unknown assigned once
    ("(p,q)=(3,2)", "(3,2)", True, "exact"),
    ("(p,q)=(3,2)", "q=2, p=3", True, "exact"),
    ("(p,q)=(3,2)", "(2,3)", False, "wrong"),
    ("(p,q)=(3,2)", "p=2, q=3", False, "wrong"),
    ("(p,q)=(3,2)", "p=3, r=2", False, "wrong"),
    # a set answer may repeat an element written the same way; a gold that repeats one (a multiset) may not
    ("(1,2),(3,4)", "(3, 4), (1,2), (3,4)", True, "exact"),
    ("2, 2, 3", "2, 3", False, "wrong"),
    ("(1,2),(3,4)", "(1,2), (1,2)", False, "wrong"),
    # tuples may separate their entries with semicolons
    ("(0;-2;6)", "(0, -2, 6)", True, "exact"),
    ("(0;-2;6)", "(0, 6, -2)", False, "wrong"),
    # plain braces around a list make a set
    ("{-2021, 2021}", r"\pm 2021", True, "numeric"),
    (r"\pm 2021", "{2021, -2021}", True, "numeric"),
    ("{-2021, 2021}", "2021", False, "wrong"),
    ("{-2021, 2021}", r"\pm 2020", False, "wrong"),
    # an inequality on one unknown is an interval
    ("(0,1)", "0<f(x)<1", True, "exact"),
    ("0<f(x)<1", "(0,1)", True, "exact"),
    (r"[2, \infty)", r"x \ge 2", True, "exact"),
    (r"(-\infty,0)\cup(1,\infty)", r"x<0 \text{ or } x>1", True, "exact"),
    ("(0,1)", r"0 \le f(x) < 1", False, "wrong"),
    ("(0,1]", "0<x<1", False, "wrong"),
    ("(0,1)", "0<x<2", False, "wrong"),
    ("(3,2)", "2<x<3", False, "wrong"),  # a point, not an interval
    ("x > 3", "y > 3", False, "wrong"),
    ("x < 1", "-x > -1", True, "symbolic"),  # not a bound on the unknown itself: compared as relations
    ("x < 1", "-x > 1", False, "wrong"),
    (r"(-\infty,0)\cup(1,\infty)", r"x<0 \text{ or } x>2", False, "wrong"),
    # lists joined by "and", "or" or ";" are sets; a hedge between two answers is a wrong list
    ("2, 3", r"2 \text{ and } 3", True, "exact"),
    ("2, 3", "2; 3", True, "exact"),
    ("2, 3", r"x=2 \text{ or } x=3", True, "exact"),
    ("3", "2 or 3", False, "wrong"),
    ("2, 3", "2 and 4", False, "wrong"),
    ("2, 3", "2 and 3 and 4", False, "wrong"),
]

SYMBOLIC_CASES = [
    (r"3\sqrt{13}", r"\sqrt{117}", True, "symbolic"),
    (r"\frac{\sqrt{3}}{3}", r"\frac{1}{\sqrt{3}}", True, "symbolic"),
    ("(a+5)(b+2)", "(b+2)(a+5)", True, "symbolic"),
    ("6 - 5i", "-5i+6", True, "symbolic"),
    ("2k+2", "2(k+1)", True, "symbolic"),
    (r"\cot x", r"\frac{\cos x}{\sin x}", True, "symbolic"),
    ("5x - 7y + 11z + 4 = 0", "-5x+7y-11z-4=0", True, "symbolic"),
    (r"3\sqrt{13}", r"3\sqrt{12}", False, "wrong"),
    (r"\pi", "3.14", False, "wrong"),
    (r"\frac{\pi}{2}", "90", False, "wrong"),
    ("x^3+3x-6", "x^3+3x+6", False, "wrong"),
]


@pytest.mark.parametrize(("gold", "answer", "correct", "reason"), FAST_PATH_CASES + STATEMENT_CASES + SYMBOLIC_CASES)
def test_labelled_pair_gets_its_verdict(gold, answer, correct, reason):
    assert score(f"The answer is $\\boxed{{{answer}}}$.", gold) == Verdict(correct, answer, reason, "boxed")


def test_is_equivalent_takes_a_bare_answer_not_a_response():
    assert is_equivalent("40_9", "40_9")
    assert not is_equivalent("40_9", "40_2")
    assert is_equivalent(r"\frac{1}{2}", "0.5")


def test_numeric_golds_are_accepted_as_numbers():
    assert score(r"\boxed{27}", 27.0) == Verdict(True, "27", "numeric", "boxed")
    assert score(r"\boxed{25}", "025") == Verdict(True, "25", "numeric", "boxed")
    assert score(r"\boxed{588}", 588) == Verdict(True, "588", "exact", "boxed")


def test_numpy_golds_from_parquet_rows_are_read():
    import numpy as np

    assert score(r"\boxed{25}", np.int64(25)).correct
    assert score(r"\boxed{27}", np.float64(27.0)).correct
    assert score(r"\boxed{84, 69}", np.array(["$69$", "$84$"], dtype=object)).correct


def test_a_gold_list_is_a_set_of_answers():
    assert score(r"\boxed{84, 69}", ["$69$", "$84$"]).correct


def test_a_boxed_gold_is_reduced_to_its_content():
    assert score(r"\boxed{12}", r"so \boxed{12}") == Verdict(True, "12", "exact", "boxed")


def test_missing_answer_is_no_answer():
    assert score("I give up.", "5") == Verdict(False, None, "no_answer", None)


@pytest.mark.parametrize("gold", [None, "", "   ", float("nan"), True, object(), [], ["5", None]])
def test_missing_or_unreadable_gold_is_a_parse_error(gold):
    assert score(r"\boxed{5}", gold) == Verdict(False, "5", "parse_error", "boxed")


def test_several_boxes_answer_a_gold_with_several_answers():
    assert score(r"So $\boxed{2}$ and $\boxed{3}$.", "2, 3") == Verdict(True, "2, 3", "exact", "boxes")
    assert score(r"\boxed{2}, then \boxed{3}, i.e. \boxed{3}", "3, 2") == Verdict(True, "2, 3", "exact", "boxes")


def test_several_boxes_that_differ_from_the_gold_set_are_wrong():
    assert score(r"\boxed{2} and \boxed{4}", "2, 3") == Verdict(False, "2, 4", "wrong", "boxes")
    assert score(r"\boxed{2}, \boxed{3}, \boxed{4}", "2, 3") == Verdict(False, "2, 3, 4", "wrong", "boxes")


def test_a_last_box_holding_every_answer_is_the_answer():
    assert score(r"First \boxed{5}, finally \boxed{2, 3}", "2, 3") == Verdict(True, "2, 3", "exact", "boxed")


def test_the_last_box_wins_for_a_one_answer_gold():
    assert score(r"\boxed{2} then \boxed{3}", "2") == Verdict(False, "3", "wrong", "boxed")
    assert score(r"\boxed{2} then \boxed{3}", "3") == Verdict(True, "3", "exact", "boxed")


def test_multi_box_off_keeps_the_last_box():
    assert score(r"\boxed{2} and \boxed{3}", "2, 3", multi_box=False) == Verdict(False, "3", "wrong", "boxed")


def test_an_unboxed_statement_is_judged_with_its_source():
    assert score("So, the answer is 1600.", "1600") == Verdict(True, "1600", "exact", "answer_phrase")
    assert score("12 + 29 = 41", "41") == Verdict(True, "41", "exact", "fallback")
    assert score("12 + 29 = 41", "41", fallback=False) == Verdict(False, None, "no_answer", None)
    assert score("The answer is $5$ or $6$.", "6") == Verdict(False, "5, 6", "wrong", "answer_phrase")


def test_a_twice_escaped_command_is_the_command():
    assert score(r"\boxed{(\frac{1}{5}, \frac{1}{6})}", r"\\left(\\frac{1}{5},\\frac{1}{6}\\right)").correct
    assert not score(r"\boxed{(\frac{1}{5}, \frac{1}{7})}", r"\\left(\\frac{1}{5},\\frac{1}{6}\\right)").correct


def test_boxes_listed_together_in_a_gold_are_its_answers():
    assert score(r"\boxed{1, 2}", r"\boxed{1} papers and \boxed{2} bins").correct
    assert score(r"\boxed{-2, 1}", r"\(\boxed{1}\) and \(\boxed{-2}\).").correct
    assert not score(r"\boxed{1}", r"\boxed{1} papers and \boxed{2} bins").correct


def test_a_gold_box_far_from_the_next_is_an_intermediate_result():
    assert score(r"\boxed{2}", r"\boxed{1} no no no no no \boxed{2}").correct
    assert not score(r"\boxed{1, 2}", r"\boxed{1} no no no no no \boxed{2}").correct
