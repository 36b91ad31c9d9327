"""``plain_number``: for a plain-number gold, restating the computation is not an answer.

For RL on arithmetic ("What is 87 * 2?") the default rules leave a reward hole: "87 * 2" evaluates to the gold 174
and is accepted as ``numeric``. Near miss kept: "30 x 3 = 90" is rejected too (the extraction reads "x" as a variable).
"""

from __future__ import annotations

import pytest

from rewards import score
from rewards.cli import main
from rewards.verl_reward import compute_score


@pytest.mark.parametrize("response", [
    "87 * 2",
    "The answer is 87 * 2.",
    "\\boxed{87 \\times 2}",
    "2 * 87",
    "170 + 4",
    "348/2 - 0",
    "348/2",  # a fraction that is not in lowest terms is a division left to do
    "\\frac{348}{2}",
    "\\boxed{\\dfrac{174}{1}}",
    "173\\frac{2}{2}",  # a mixed number whose fraction part is not proper
])
def test_an_unevaluated_computation_is_wrong_with_plain_number_and_numeric_without(response):
    assert score(response, "174", plain_number=True).correct is False
    assert score(response, "174").correct is True  # the default rules evaluate arithmetic on numbers


@pytest.mark.parametrize(("response", "gold"), [
    ("87 * 2 = 174", "174"),  # the stated result counts
    ("The answer is 174.", "174"),
    ("1,600", "1600"),
    ("0.5", "\\frac{1}{2}"),  # a fraction gold is a plain number; a decimal answer is one too
    ("-12", "-12"),
    ("\\frac{1}{2}", "0.5"),  # a fraction in lowest terms is a final form
    ("-3/4", "-0.75"),
    ("1\\frac{4}{5}", "1.8"),
    ("1.74 \\times 10^2", "174"),
])
def test_plain_numbers_stay_correct(response, gold):
    assert score(response, gold, plain_number=True).correct is True


def test_x_for_times_is_read_as_a_variable_so_the_equation_is_no_plain_number():
    assert score("30 x 3 = 90.", "90").correct is True
    assert score("30 x 3 = 90.", "90", plain_number=True).correct is False


def test_golds_that_are_no_plain_number_are_judged_as_before():
    assert score("1 + x", "x+1", plain_number=True).correct is True
    assert score("2\\sqrt{3}", "\\sqrt{12}", plain_number=True).correct is True


def test_the_option_reaches_verl_and_the_cli(capsys):
    assert compute_score("arith_mul21", "87 * 2", "174", plain_number=True)["score"] == 0.0
    assert compute_score("arith_mul21", "87 * 2", "174")["score"] == 1.0
    assert main(["check", "--plain-number", "174", "87 * 2"]) == 0
    assert capsys.readouterr().out.startswith("incorrect (wrong)")
