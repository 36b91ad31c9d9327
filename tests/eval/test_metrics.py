"""avg@k, unbiased pass@k and maj@k against hand-computed values."""

from __future__ import annotations

import pytest

from eval.metrics import (
    ScoredSample,
    benchmark_metrics,
    default_pass_ks,
    majority_vote_correct,
    overall_metrics,
    pass_at_k,
)


def _samples(answers_and_verdicts: list[tuple[str | None, bool]], truncated: tuple[int, ...] = ()) -> list:
    return [
        ScoredSample(i, answer, correct, "length" if i in truncated else "stop")
        for i, (answer, correct) in enumerate(answers_and_verdicts)
    ]


def test_pass_at_k_is_the_unbiased_estimator():
    # 1 - C(n-c, k) / C(n, k)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)
    assert pass_at_k(5, 2, 3) == pytest.approx(1 - 1 / 10)
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)


def test_pass_at_k_is_one_when_too_few_wrong_samples_to_fill_k_and_zero_without_correct_ones():
    assert pass_at_k(4, 3, 2) == 1.0
    assert pass_at_k(4, 0, 4) == 0.0
    assert pass_at_k(4, 1, 4) == 1.0


def test_pass_at_k_rejects_k_larger_than_n():
    with pytest.raises(ValueError, match="k=5, n=4"):
        pass_at_k(4, 1, 5)


def test_majority_vote_picks_the_most_frequent_answer():
    assert majority_vote_correct(_samples([("3", False), ("7", True), ("7", True), ("2", False)]))
    assert not majority_vote_correct(_samples([("3", False), ("3", False), ("7", True), ("2", False)]))


def test_majority_vote_tie_goes_to_the_answer_seen_first():
    tied = _samples([("3", False), ("5", True), ("3", False), ("5", True)])
    assert not majority_vote_correct(tied)
    assert majority_vote_correct(list(reversed(_samples([("5", True), ("3", False), ("3", False), ("5", True)]))))


def test_samples_without_an_answer_do_not_vote_and_no_answers_at_all_is_wrong():
    assert majority_vote_correct(_samples([(None, False), ("", False), (None, False), ("7", True)]))
    assert not majority_vote_correct(_samples([(None, False), (None, False)]))


def test_default_pass_ks_are_one_powers_of_two_and_n():
    assert default_pass_ks(1) == [1]
    assert default_pass_ks(4) == [1, 2, 4]
    assert default_pass_ks(6) == [1, 2, 4, 6]


def test_benchmark_metrics_average_every_sample_not_just_the_first():
    problems = {
        "a": _samples([("1", False), ("2", True), ("2", True), ("9", False)], truncated=(3,)),
        "b": _samples([(None, False), ("4", False), ("4", False), ("5", True)]),
    }
    metrics = benchmark_metrics(problems)
    assert metrics.k == 4 and metrics.num_problems == 2 and metrics.num_samples == 8
    assert metrics.avg_at_k == pytest.approx(3 / 8)  # first-sample accuracy would be 0
    assert metrics.pass_at[1] == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert metrics.pass_at[2] == pytest.approx(((1 - 1 / 6) + (1 - 3 / 6)) / 2)
    assert metrics.pass_at[4] == 1.0
    assert metrics.maj_at_k == pytest.approx(0.5)  # a: "2" wins (correct); b: "4" wins (wrong)
    assert metrics.no_answer == 1 and metrics.truncated == 1
    assert metrics.to_json()["avg@4"] == pytest.approx(0.375)


def test_benchmark_metrics_reject_problems_with_different_sample_counts():
    with pytest.raises(ValueError, match="'a' has 2, 'b' has 1"):
        benchmark_metrics({"a": _samples([("1", True), ("1", True)]), "b": _samples([("1", True)])})


def test_overall_metrics_are_the_unweighted_mean_over_benchmarks():
    small = benchmark_metrics({"p": _samples([("1", True), ("1", True)])})
    large = benchmark_metrics({str(i): _samples([("1", False), ("1", False)]) for i in range(9)})
    overall = overall_metrics({"small": small, "large": large})
    assert overall["avg@2"] == pytest.approx(0.5)
    assert overall["num_problems"] == 10 and overall["num_samples"] == 20


def test_answers_read_by_the_fallback_are_counted_per_benchmark():
    samples = [ScoredSample(0, "41", True, answer_source="fallback"), ScoredSample(1, "4", False,
                                                                                answer_source="boxed")]
    assert benchmark_metrics({"0": samples}).to_json()["fallback_answers"] == 1
