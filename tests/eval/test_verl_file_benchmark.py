"""A verl RL-schema file (data_prep's train/val parquet, or the same rows as JSONL) evaluates like a benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_prep.arithmetic import build_arithmetic
from eval.benchmarks import BenchmarkRowError, load_benchmark, resolve_benchmark_names
from eval.cli import main


@pytest.fixture(scope="module")
def val_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, val = build_arithmetic(tmp_path_factory.mktemp("arith"), num_train=4, num_val=3, levels=("add1", "mul1"))
    return val


def test_rows_become_problems_with_question_gold_and_source_index_id(val_parquet: Path):
    rows = pq.read_table(val_parquet).to_pylist()
    problems = load_benchmark(str(val_parquet))
    assert [p.id for p in problems] == [f"{r['data_source']}/{r['extra_info']['index']}" for r in rows]
    first = problems[0]
    assert first.problem == rows[0]["extra_info"]["problem"]  # the bare question: the run applies its template
    assert first.gold == rows[0]["reward_model"]["ground_truth"] and first.reference_solution is None


def test_jsonl_rows_in_the_same_schema_load_the_same(val_parquet: Path, tmp_path: Path):
    jsonl = tmp_path / "val.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in pq.read_table(val_parquet).to_pylist()))
    assert load_benchmark(str(jsonl)) == load_benchmark(str(val_parquet))


def test_a_row_without_its_gold_is_an_error_naming_file_line_and_field(tmp_path: Path):
    jsonl = tmp_path / "bad.jsonl"
    row = {"data_source": "arith", "extra_info": {"index": 0, "problem": "What is 1 + 1?"}, "reward_model": {}}
    jsonl.write_text(json.dumps(row) + "\n")
    with pytest.raises(BenchmarkRowError, match=r"bad.jsonl:1: field 'reward_model.ground_truth' is missing"):
        load_benchmark(str(jsonl))


def test_file_paths_mix_with_registry_names_and_other_names_still_fail(val_parquet: Path):
    assert resolve_benchmark_names(f"gsm8k,{val_parquet}") == ["gsm8k", str(val_parquet)]
    with pytest.raises(ValueError, match="unknown benchmark 'arith'"):
        resolve_benchmark_names("arith")
    with pytest.raises(FileNotFoundError, match="missing.parquet not found"):
        load_benchmark("missing.parquet")


def test_eval_run_scores_a_parquet_benchmark_with_its_template(val_parquet: Path, tiny_actor: Path, tmp_path: Path):
    out = tmp_path / "run"
    args = ["run", "--model", str(tiny_actor), "--benchmarks", str(val_parquet), "--template", "short_answer",
            "--n", "1", "--max-tokens", "2", "--backend", "hf", "--workers", "1", "--no-progress", "--out", str(out)]
    assert main(args) == 0
    rows = [json.loads(line) for line in (out / "samples.jsonl").open()]
    assert len(rows) == 3 and {row["benchmark"] for row in rows} == {str(val_parquet)}
    assert all("Respond with just the number, no explanation." in row["prompt"] for row in rows)
