"""Specification of ``extract_answer``: which part of a response is its final answer."""

from __future__ import annotations

import pytest

from rewards import extract_answer
from rewards.extract import NO_ANSWER, Extraction, all_boxed, extract


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


def test_without_any_marker_the_last_number_of_the_last_sentence_is_the_fallback():
    assert extract("I think it is 5.") == Extraction("5", "fallback")
    assert extract("First 3 apples.\n12 + 29 = 41") == Extraction("41", "fallback")
    assert extract("So the total is 1,600 dollars.") == Extraction("1,600", "fallback")
    assert extract("we get 12-3 = 9") == Extraction("9", "fallback")  # "-3" is a difference, not a sign
    assert extract("so x = -5") == Extraction("-5", "fallback")


def test_the_fallback_takes_the_result_of_a_final_computation():
    assert extract("Adding, $12 + 29 = 41$.") == Extraction("41", "fallback")
    assert extract("Adding: 12 + 29 = 41") == Extraction("41", "fallback")
    assert extract(r"Hence $x = \frac{3}{4}$") == Extraction(r"x = \frac{3}{4}", "fallback")  # x = is kept
    assert extract(r"Thus $2x + 4y - 3 = 0$") == Extraction("2x + 4y - 3 = 0", "fallback")  # not "0"


def test_the_fallback_reads_final_math_whole_not_its_last_number():
    assert extract("So the value is\n\\[\n\\frac{10}{9}\n\\]") == Extraction(r"\frac{10}{9}", "fallback")
    assert extract(r"-\frac{10}{9}") == Extraction(r"-\frac{10}{9}", "fallback")
    assert extract("1, 2, 3") == Extraction("1, 2, 3", "fallback")
    assert extract("The roots are 1, 2 and 3.") == Extraction("1, 2, 3", "fallback")  # a list, never just its "3"
    assert extract(r"Therefore $x \geq 5$ is the solution.") == Extraction(r"x \geq 5", "fallback")


def test_the_fallback_passes_over_closing_sentences_without_numbers():
    assert extract("It is 5. I hope it is correct.") == Extraction("5", "fallback")
    assert extract("It is 5. One. Two. Three. Four.") == NO_ANSWER  # more than three closing sentences


def test_the_fallback_finds_nothing_without_a_number():
    assert extract("I do not know. Hope this helps!") == NO_ANSWER


def test_inline_math_does_not_span_lines():
    assert extract("It costs $5 today.\nTomorrow it costs $7.") == Extraction("$7", "fallback")
    assert extract("Answer $ \n 9 \n $") == NO_ANSWER  # math that never closed on its line
    assert extract("Answer \\( \n 9 \n \\)") == NO_ANSWER
    assert extract("Answer \\[ \n 9 \n \\]") == Extraction("9", "fallback")  # display math may span lines


def test_fallback_numbers_keep_their_separators_and_units_do_not_cut_them():
    assert extract("so the number is 10 which is 1,000.99m²") == Extraction("1,000.99", "fallback")
    assert extract("Soucis : 2,74 $ a..") == Extraction("2,74", "fallback")  # a decimal comma
    assert extract("It is .4") == Extraction(".4", "fallback")


def test_numbers_glued_to_letters_are_not_numbers():
    assert extract("AZYUK2A") == NO_ANSWER
    assert extract("the x2 term") == NO_ANSWER


def test_a_chat_template_token_ends_the_response():
    assert extract("The probability is 2/3. <|im_start|>user\nWhat is 5?") == Extraction("2/3", "fallback")
    assert extract("So it is 7.<|im_end|>\\boxed{8}") == Extraction("7", "fallback")


def test_the_fallback_ignores_a_last_sentence_that_qualifies_its_number():
    assert extract("So she has 5 more apples than Tom.") == NO_ANSWER
    assert extract("It is not 5.") == NO_ANSWER


def test_the_fallback_can_be_switched_off():
    assert extract("I think it is 5.", fallback=False) == NO_ANSWER
    assert extract_answer("12 + 29 = 41", fallback=False) is None


def test_precedence_is_box_then_answer_phrase_then_gsm8k_marker_then_fallback():
    assert extract("\\boxed{6}. The answer is 7.\n#### 8\nSo 9") == Extraction("6", "boxed")
    assert extract("The answer is 7.\n#### 8\nSo 9") == Extraction("7", "answer_phrase")
    assert extract("Total 9 * 2 = 18.\n#### 18\nSo 9") == Extraction("18", "gsm8k_marker")
    assert extract("Total 9 * 2 = 18.\nSo 9") == Extraction("9", "fallback")


@pytest.mark.parametrize(
    ("response", "answer"),
    [
        ("The answer is 4.", "4"),
        ("The answer is -50.", "-50"),
        ("So, the answer is 1600.", "1600"),
        ("The answer is: 12", "12"),
        ("**Answer:** 5", "5"),
        ("Answer:\n\n 42\n", "42"),
        ("so the answer = 7", "7"),
        ("The answer is x = 5.", "x = 5"),
        ("The answer is (C).", "(C)"),
        ("The answer is Evelyn.", "Evelyn"),
        ("The answer is \\(7\\)", "7"),
    ],
)
def test_an_answer_phrase_without_a_box_gives_the_stated_answer(response, answer):
    assert extract(response) == Extraction(answer, "answer_phrase")


@pytest.mark.parametrize(
    ("response", "answer"),
    [
        ("Final Answer: The largest $n$ is 34.", "34"),
        ("Final Answer: The largest $n$ is $34$.", "34"),
        ("The answer is the sum of 12 and 29, which is 41.", "41"),
        ("The answers are $5$ and $6$.", "5, 6"),
        ("The answer is either 5 or 6.", "5, 6"),  # a hedge stays a list of two, which no one-answer gold accepts
    ],
)
def test_a_stated_answer_in_prose_is_the_math_at_its_end(response, answer):
    assert extract(response) == Extraction(answer, "answer_phrase")


@pytest.mark.parametrize(
    "response", ["The answer is not 5.", "The answer is at least 5.", "The answer is 41, which is 12 more than 29."]
)
def test_a_qualified_number_at_the_end_of_an_answer_phrase_is_no_answer(response):
    assert extract(response) == NO_ANSWER


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
    assert extract("the string #### 5 appears mid-sentence", fallback=False) == NO_ANSWER
    assert extract("the string #### 5 appears mid-sentence").source == "fallback"


def test_a_markdown_heading_is_not_a_gsm8k_answer():
    assert extract("#### Step 1: set up\n#### 1. Solve for x", fallback=False) == NO_ANSWER


def test_all_boxed_lists_every_closed_top_level_box_in_order():
    text = r"a \boxed{1} b \boxed{\frac{1}{2}} c \boxed{} \boxed{\boxed{3}} \boxed{4"
    assert all_boxed(text) == ["1", r"\frac{1}{2}", r"\boxed{3}"]


@pytest.mark.parametrize(
    "response",
    [
        "The answer is " + "the " * 250_000 + "5",
        "The answer is " + "1,2" * 300_000,
        "The answer is " + "$1$ and " * 100_000,
        "1,1" * 500_000,
        "\\(" * 500_000,
    ],
)
def test_a_megabyte_statement_or_fallback_is_read_quickly(response):
    import time

    start = time.perf_counter()
    extract(response)
    assert time.perf_counter() - start < 1.0
