"""Specification of ``extract_answer``: which part of a response is its final answer."""

from __future__ import annotations

import pytest

from rewards import extract_answer


def test_last_boxed_wins_over_earlier_boxes():
    assert extract_answer(r"First \boxed{3}, then corrected: \boxed{4}.") == "4"


def test_nested_braces_inside_a_box_are_balanced():
    assert extract_answer(r"So $\boxed{\frac{1}{\sqrt{3}}}$.") == r"\frac{1}{\sqrt{3}}"


def test_fbox_counts_as_a_box():
    assert extract_answer(r"The result is \fbox{12}") == "12"


def test_boxed_without_braces_takes_one_token():
    assert extract_answer(r"hence $\boxed 5$ is the answer") == "5"


def test_escaped_braces_inside_a_box_do_not_close_it():
    assert extract_answer(r"\boxed{\{1, 2\}}") == r"\{1, 2\}"


def test_response_ending_mid_box_has_no_answer():
    assert extract_answer(r"We get \boxed{12} first, and finally \boxed{\frac{3}{4") is None


def test_empty_box_has_no_answer():
    assert extract_answer(r"\boxed{}") is None


def test_final_answer_is_phrase_without_box():
    assert extract_answer("Adding up, the final answer is $42$.\n") == "42"


def test_answer_colon_line_without_box_takes_the_last_one():
    assert extract_answer("Answer: 3\nWait, recheck.\nAnswer: \\(7\\)") == "7"


def test_box_is_preferred_over_answer_line():
    assert extract_answer("Answer: 3\nActually \\boxed{8}") == "8"


def test_text_without_any_marker_has_no_answer():
    assert extract_answer("I think it is 5.") is None


@pytest.mark.parametrize("response", [None, 5, 3.0, b"\\boxed{5}", ["\\boxed{5}"], {"a": 1}])
def test_non_strings_have_no_answer(response):
    assert extract_answer(response) is None


def test_a_megabyte_response_is_handled_quickly():
    import time

    response = "blah " * 200_000 + r"\boxed{17}"
    start = time.perf_counter()
    assert extract_answer(response) == "17"
    assert time.perf_counter() - start < 0.5


def test_escaped_dollar_does_not_close_inline_math():
    assert extract_answer("The final answer is $\\$36$.") == "\\$36"


def test_answer_line_with_several_math_pieces_keeps_them_all():
    assert extract_answer("The final answer is $(-6,6)$, $(2,6)$.") == "(-6,6), (2,6)"


def test_answer_line_stops_at_the_end_of_its_sentence():
    response = "Final Answer: The final answer is 2.5. I hope it is correct."
    assert extract_answer(response) == "2.5"


def test_a_line_opening_gsm8k_marker_gives_the_answer():
    assert extract_answer("She makes 9 * 2 = $18 every day.\n#### 18") == "18"


def test_a_gsm8k_marker_inside_a_line_is_not_an_answer():
    assert extract_answer("the string #### 5 appears mid-sentence") is None


def test_a_markdown_heading_is_not_a_gsm8k_answer():
    assert extract_answer("#### Step 1: set up\n#### 1. Solve for x") is None
