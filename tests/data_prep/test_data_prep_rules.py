"""The pure rules: text keys, single-answer detection, n-gram decontamination, gold self-check."""

from __future__ import annotations

import pytest

from data_prep.answer_check import SELF_CHECK_FAILED, UNPARSEABLE, check_golds
from data_prep.checkable import single_answer_problem
from data_prep.decontaminate import NgramIndex, ngrams
from data_prep.records import DataPrepError
from data_prep.text import exact_key, plain_words, strip_instruction, words

THIRTEEN = "one two three four five six seven eight nine ten eleven twelve thirteen"


def test_exact_key_collapses_whitespace_only():
    assert exact_key("  Find  $x$\n if x=1. ") == "Find $x$ if x=1."
    assert exact_key("Find $x$.") != exact_key("find $x$.")


def test_normalised_words_ignore_case_dollars_dfrac_and_sizing_macros():
    assert words("Find $\\dfrac{1}{2}$ of 10.") == ["find", "frac", "1", "2", "of", "10"]
    assert words("Find $\\left(\\tfrac{1}{2}\\right)$ of 10.") == words("find (\\frac{1}{2}) of 10")


def test_plain_words_keep_latex_macro_names():
    assert plain_words("$\\left\\{1\\right\\}$") == ["left", "1", "right"]


def test_strip_instruction_removes_known_wrappers_only():
    wrapped = "Find x. Let's think step by step and output the final answer within \\boxed{}."
    assert strip_instruction(wrapped) == "Find x."
    assert strip_instruction("  Find y.  ") == "Find y."


@pytest.mark.parametrize(
    ("problem", "answer", "expected"),
    [
        ("Prove that there are infinitely many primes.", "proof", "proof"),
        ("Show that $x^2 \\ge 0$ for real $x$.", "0", "proof"),
        ("Find the largest prime below 20.", "Proof", "proof"),
        ("(a) Find $x$. (b) Find $y$.", "3", "multi_part"),
        ("Compute the sum.", "(a) 3, (b) 5", "multi_part"),
        ("Find $f(a)+f(b)$ if $f(x)=x$ and $a=b=1$.", "2", None),
        ("Let $f$ satisfy (i) $f(1)=1$ and (ii) $f(2x)=2f(x)$. Find $f(8)$.", "8", None),
        ("Which is largest? (A) 1 (B) 2 (C) 3", "\\text{(C)}", None),
        ("If the census continues to show that the count drops, in what year is it half?", "2009", None),
    ],
)
def test_single_answer_problem(problem, answer, expected):
    assert single_answer_problem(problem, answer) == expected


def test_ngrams_of_a_short_text_is_the_whole_sequence():
    assert list(ngrams(["a", "b"], 3)) == [("a", "b")]
    assert list(ngrams(["a", "b", "c", "d"], 3)) == [("a", "b", "c"), ("b", "c", "d")]


def test_a_shared_13gram_marks_contamination_and_12_shared_words_do_not():
    index = NgramIndex({"bench": ["Intro: " + THIRTEEN + " end."]}, n=13)
    assert index.match("Other words then " + THIRTEEN.upper() + ", here.") == ("bench",)
    assert index.match("Other words then " + THIRTEEN.rsplit(" ", 1)[0] + " here.") == ()


def test_contamination_is_caught_under_either_tokenisation():
    bench = "the sum of the first $n$ terms in the infinite geometric sequence $\\left\\{1,\\frac{1}{4}\\right\\}$"
    index = NgramIndex({"math500": [bench]}, n=13)
    # Same run of plain words including the macro name "left", different numbers afterwards.
    assert index.match("The sum of the first $n$ terms in the infinite geometric sequence $\\left\\{1,3,9\\right\\}$") \
        == ("math500",)
    # \\dfrac against \\frac: only the normalised words share the 13-gram.
    index = NgramIndex({"aime": ["Let $x = \\frac{1}{2} + \\frac{3}{4} + \\frac{5}{6} + \\frac{7}{8}$ now"]}, n=13)
    assert index.match("Let $x = \\dfrac{1}{2} + \\dfrac{3}{4} + \\dfrac{5}{6} + \\dfrac{7}{8}$ now") == ("aime",)


def test_short_benchmark_problem_matches_only_a_word_for_word_copy():
    index = NgramIndex({"gsm8k": ["What is 2 plus 2?"]}, n=13)
    assert index.match("what is 2 plus 2") == ("gsm8k",)
    assert index.match("What is 2 plus 3?") == ()


def test_every_benchmark_sharing_an_ngram_is_reported_in_the_given_order():
    index = NgramIndex({"b1": [THIRTEEN], "b2": ["x " + THIRTEEN]}, n=13)
    assert index.match(THIRTEEN) == ("b1", "b2")


def test_boilerplate_ngrams_are_ignored_only_when_asked():
    boiler = "where m and n are relatively prime positive integers find m plus n now"
    benchmarks = {"aime": ["Alpha " + boiler, "Beta " + boiler]}
    assert NgramIndex(benchmarks, n=13).match("Gamma " + boiler) == ("aime",)
    relaxed = NgramIndex(benchmarks, n=13, boilerplate_problems=2)
    assert relaxed.match("Gamma " + boiler) == () and relaxed.boilerplate > 0
    assert relaxed.match("Alpha " + boiler) == ("aime",)


def test_bad_ngram_size_is_an_error_naming_the_option():
    with pytest.raises(DataPrepError, match="--ngram"):
        NgramIndex({}, n=0)


def test_gold_self_check_accepts_checkable_golds_and_names_the_failure():
    verdicts = check_golds(["\\frac{1}{2}", "42", "42", "(1, 2)", "", "\\frac{1}{"])
    assert verdicts["\\frac{1}{2}"] is None and verdicts["42"] is None and verdicts["(1, 2)"] is None
    assert verdicts[""] == UNPARSEABLE
    assert verdicts["\\frac{1}{"] in (UNPARSEABLE, SELF_CHECK_FAILED)
    assert len(verdicts) == 5
