"""Run tables and comparisons: percentages, each run's own k, and no overall row across different suites."""

from __future__ import annotations

from eval.metrics import ScoredSample, benchmark_metrics
from eval.records import SampleRecord
from eval.report import comparison_table, compute_results, results_table


def _record(benchmark: str, problem: str, index: int, correct: bool) -> SampleRecord:
    return SampleRecord(benchmark, problem, index, "p", "r", "stop", "1", "1" if correct else "2", correct, "r")


def _results(benchmarks: dict[str, list[bool]]) -> dict:
    records = [
        _record(name, "0", index, correct) for name, verdicts in benchmarks.items() for index, correct in
        enumerate(verdicts)
    ]
    return compute_results(records, {"benchmarks": list(benchmarks)})


def test_results_table_shows_percentages_per_benchmark_and_overall():
    table = results_table(_results({"aime24": [True, False, False, False], "amc23": [True, True, True, False]}))
    header = ("| benchmark | problems | samples | avg@4 | pass@1 | pass@2 | pass@4 | maj@4 | no answer | truncated "
              "| fallback answers |")
    assert header in table
    assert "| aime24 | 1 | 4 | 25.0 | 25.0 | 50.0 | 100.0 | 0.0 | 0 | 0 | 0 |" in table
    assert "| overall | 2 | 8 | 50.0 |" in table


def test_comparison_uses_each_runs_own_k_and_shows_missing_benchmarks_as_dashes():
    four = _results({"aime24": [True, False, False, False], "amc23": [True, True, True, True]})
    one = _results({"aime24": [True]})
    table = comparison_table([("n4", four), ("n1", one)])
    assert "| aime24 | 25.0 | 100.0 |" in table and "| amc23 | 100.0 | - |" in table
    assert "| overall |" not in table and "different benchmarks" in table


def test_comparison_of_runs_over_the_same_suite_has_an_overall_row():
    first = _results({"aime24": [True, False], "amc23": [True, True]})
    second = _results({"aime24": [False, False], "amc23": [True, False]})
    assert "| overall | 75.0 | 25.0 |" in comparison_table([("a", first), ("b", second)])


def test_maj_metric_is_selectable_by_name():
    results = _results({"aime24": [True, True, False]})
    assert "| aime24 | 100.0 |" in comparison_table([("run", results)], metric="maj")
    assert benchmark_metrics({"0": [ScoredSample(0, "1", True)]}).maj_at_k == 1.0
