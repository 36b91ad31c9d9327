"""The benchmark registry: loaders, gold extraction, row counts and clear errors for bad input."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from eval.benchmarks import (
    BENCHMARKS,
    DATA_DIR,
    PAPER_SUITE,
    BenchmarkRowError,
    load_benchmark,
    resolve_benchmark_names,
)
from rewards.extract import last_boxed

EXPECTED_ROWS = {
    "aime24": 30, "aime25": 30, "math500": 500, "olympiadbench": 675, "minerva": 272, "amc23": 40, "gsm8k": 1319,
}


def test_shipped_files_are_the_ones_the_data_readme_lists_by_sha256():
    readme = (DATA_DIR / "README.md").read_text()
    listed = {path: digest for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, flags=re.MULTILINE)}
    shipped = {}
    for benchmark in BENCHMARKS.values():
        path = f"{benchmark.local_dir}/test.jsonl"
        shipped[path] = hashlib.sha256((DATA_DIR / path).read_bytes()).hexdigest()
    assert shipped == listed


def test_without_a_data_dir_the_shipped_files_are_read():
    assert load_benchmark("aime25") == load_benchmark("aime25", DATA_DIR)


def test_a_data_dir_and_the_hub_together_are_an_error():
    with pytest.raises(ValueError, match="not both"):
        load_benchmark("aime25", DATA_DIR, hub=True)


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_every_shipped_benchmark_loads_with_its_expected_row_count_and_unique_ids(name: str, benchmarks_dir: Path):
    problems = load_benchmark(name, benchmarks_dir)
    assert len(problems) == EXPECTED_ROWS[name] == BENCHMARKS[name].num_rows
    assert len({problem.id for problem in problems}) == len(problems)
    assert all(problem.problem and problem.gold for problem in problems)


def test_golds_are_read_from_each_sets_own_field_and_canonicalised(benchmarks_dir: Path):
    first = {name: load_benchmark(name, benchmarks_dir)[0] for name in EXPECTED_ROWS}
    assert first["aime24"].gold == "204"  # answer string
    assert first["aime25"].gold == "70"  # answer int
    assert first["amc23"].gold == "27"  # answer float 27.0
    assert first["math500"].gold == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert first["olympiadbench"].gold == "2"  # final_answer[0]
    assert first["minerva"].gold == "1.6"  # last \boxed{} of solution
    assert first["gsm8k"].gold == "18"  # text after ####


def test_zero_padded_aime24_answers_lose_their_leading_zeros(benchmarks_dir: Path):
    golds = {problem.gold for problem in load_benchmark("aime24", benchmarks_dir)}
    raw = [json.loads(line)["answer"] for line in (benchmarks_dir / "aime24" / "test.jsonl").open()]
    assert any(answer.startswith("0") for answer in raw)
    assert not any(gold.startswith("0") for gold in golds)


def test_olympiadbench_multi_answers_stay_one_string(benchmarks_dir: Path):
    golds = {problem.gold for problem in load_benchmark("olympiadbench", benchmarks_dir)}
    assert "$69$,$84$" in golds


def test_reference_solutions_exist_where_the_set_has_them(benchmarks_dir: Path):
    for name in ("aime24", "math500", "olympiadbench", "minerva", "gsm8k"):
        assert all(problem.reference_solution for problem in load_benchmark(name, benchmarks_dir)), name
    for name in ("aime25", "amc23"):
        assert all(problem.reference_solution is None for problem in load_benchmark(name, benchmarks_dir)), name


def test_last_boxed_handles_nested_braces_and_takes_the_last_box():
    assert last_boxed("first \\boxed{1} then \\boxed{\\frac{1}{2}} end") == "\\frac{1}{2}"
    assert last_boxed("no answer here") is None
    assert last_boxed("\\boxed{unclosed") is None


def test_paper_alias_expands_to_the_six_paper_benchmarks_in_order():
    assert resolve_benchmark_names("paper") == list(PAPER_SUITE)
    assert resolve_benchmark_names("gsm8k, paper ,aime24") == ["gsm8k", *PAPER_SUITE]


def test_unknown_benchmark_name_is_an_error_naming_it():
    with pytest.raises(ValueError, match="unknown benchmark 'aime2024'.*known benchmarks: aime24"):
        resolve_benchmark_names("aime24,aime2024")
    with pytest.raises(ValueError, match="unknown benchmark 'nope'"):
        load_benchmark("nope", "/nowhere")
    with pytest.raises(ValueError, match="no benchmark"):
        resolve_benchmark_names(" , ")


def test_missing_benchmark_file_is_an_error_naming_the_path(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"benchmark 'minerva'.*minerva_math/test\.jsonl"):
        load_benchmark("minerva", tmp_path)


def _write_aime25(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "aime25").mkdir()
    (tmp_path / "aime25" / "test.jsonl").write_text("\n".join(rows) + "\n")
    return tmp_path


def _good_rows(count: int) -> list[str]:
    return [json.dumps({"id": str(i), "problem": f"What is {i}?", "answer": i}) for i in range(count)]


def test_malformed_json_row_is_an_error_naming_file_and_line(tmp_path: Path):
    rows = _good_rows(30)
    rows[4] = '{"id": "4", "problem": "broken'
    with pytest.raises(BenchmarkRowError, match=r"aime25/test\.jsonl:5: invalid JSON"):
        load_benchmark("aime25", _write_aime25(tmp_path, rows))


def test_row_missing_its_gold_field_is_an_error_naming_the_field(tmp_path: Path):
    rows = _good_rows(30)
    rows[2] = json.dumps({"id": "2", "problem": "What is 2?"})
    with pytest.raises(BenchmarkRowError, match=r"test\.jsonl:3: field 'answer' is missing"):
        load_benchmark("aime25", _write_aime25(tmp_path, rows))


def test_wrong_row_count_is_an_error_with_expected_and_actual_counts(tmp_path: Path):
    with pytest.raises(BenchmarkRowError, match="has 29 rows, expected 30"):
        load_benchmark("aime25", _write_aime25(tmp_path, _good_rows(29)))


def test_duplicate_ids_are_an_error(tmp_path: Path):
    rows = _good_rows(30)
    rows[7] = json.dumps({"id": "3", "problem": "again", "answer": 3})
    with pytest.raises(BenchmarkRowError, match="duplicate id '3'"):
        load_benchmark("aime25", _write_aime25(tmp_path, rows))


def test_hub_loading_renames_columns_uses_the_hub_gold_rule_and_row_index_ids(monkeypatch):
    import datasets

    calls = []
    rows = [{"question": f"Q{i}", "answer": f"{i}.5"} for i in range(272)]

    def fake_load_dataset(path, name=None, split=None):
        calls.append((path, name, split))
        return rows

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    problems = load_benchmark("minerva", hub=True)
    assert calls == [("math-ai/minervamath", None, "test")]
    assert (problems[3].id, problems[3].problem, problems[3].gold) == ("3", "Q3", "3.5")


def test_hub_rows_missing_a_field_name_the_hub_dataset_and_row(monkeypatch):
    import datasets

    monkeypatch.setattr(datasets, "load_dataset", lambda path, name=None, split=None: [{"problem": "x", "id": 0}])
    with pytest.raises(BenchmarkRowError, match=r"hub:math-ai/aime25\[test\] row 0: field 'answer' is missing"):
        load_benchmark("aime25", hub=True)
