"""Whole builds on small hand-made pools: filter counts, difficulty range, mixing, CLI, inspect, verl reading."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from omegaconf import OmegaConf

from data_prep.__main__ import main
from data_prep.build import BuildOptions, build
from data_prep.filters import FilterOptions
from data_prep.records import DataPrepError
from data_prep.sources import FieldMap


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _good_rows(count: int, start: int = 0) -> list[dict]:
    return [
        {"problem": f"Compute ${k} \\times {k + 1}$ and report the product {k}.", "answer": str(k * (k + 1)),
         "level": k % 5 + 1}
        for k in range(start, start + count)
    ]


def test_every_filter_counts_what_it_removes(tmp_path, benchmarks_dir):
    math500_problem = json.loads((benchmarks_dir / "math500/test.jsonl").read_text().splitlines()[0])
    rows = _good_rows(6) + [
        {"problem": "", "answer": "1"},  # empty_problem
        {"problem": "x" * 3001, "answer": "1"},  # problem_too_long (default limit 3000 characters)
        {"problem": "Prove that $2$ is prime.", "answer": "proof"},  # no_single_answer
        {"problem": "Find the value of $q$.", "answer": "\\frac{1}{"},  # unparseable gold
        {"problem": "Compute $0 \\times 1$ and report the product 0.", "answer": "0"},  # exact duplicate of row 0
        {"problem": "compute $0\\times 1$ and report the product 0", "answer": "0"},  # near duplicate of row 0
        {"problem": math500_problem["problem"], "answer": math500_problem["answer"]},  # contaminated
        {"problem": "No answer here."},  # invalid_row
    ]
    pool = _write_jsonl(tmp_path / "pool.jsonl", rows)
    manifest = build(BuildOptions(
        out=tmp_path / "out", sources=(str(pool),), n=4, val_n=2,
    ))
    removed = manifest["counts"]["removed"]
    assert removed["invalid_row"] == 1
    assert removed["empty_problem"] == 1 and removed["problem_too_long"] == 1 and removed["no_single_answer"] == 1
    assert removed["answer_unparseable"] + removed["answer_self_check_failed"] == 1
    assert removed["exact_duplicate"] == 1 and removed["near_duplicate"] == 1
    assert removed["contaminated"] == 1
    assert manifest["decontamination"]["removed_sharing_ngram_with"]["math500"] == 1
    assert manifest["counts"]["pool_after_filters"] == 6
    assert manifest["removed_examples"]["invalid_row"] == [
        {"source": str(pool), "row": 13, "detail": "field 'answer': answer is missing"}
    ]


def test_difficulty_range_keeps_rows_without_difficulty_and_counts_them(tmp_path):
    pool = _write_jsonl(tmp_path / "pool.jsonl", _good_rows(10) + [{"problem": "Find $7-2$.", "answer": "5"}])
    manifest = build(BuildOptions(
        out=tmp_path / "out", sources=(str(pool),), n=4, val_n=1, decontaminate=False,
        fields=FieldMap(difficulty="level"), filters=FilterOptions(min_difficulty=2, max_difficulty=3),
    ))
    assert manifest["counts"]["removed"]["difficulty_out_of_range"] == 6
    assert manifest["counts"]["difficulty_unknown_kept"] == 1
    kept = {row["extra_info"]["difficulty"] for row in pq.read_table(tmp_path / "out/train.parquet").to_pylist()}
    assert kept <= {2.0, 3.0, None}


def test_two_sources_mix_and_stratify_by_source(tmp_path):
    first = _write_jsonl(tmp_path / "first.jsonl", _good_rows(20))
    second = _write_jsonl(tmp_path / "second.jsonl", _good_rows(20, start=100))
    manifest = build(BuildOptions(
        out=tmp_path / "out", sources=(str(first), str(second)), n=10, val_n=4, decontaminate=False,
        stratify=("source",),
    ))
    assert manifest["outputs"]["train.parquet"]["distribution"]["data_source"] == {"first": 5, "second": 5}
    assert [item["source"] for item in manifest["inputs"]] == [str(first), str(second)]


def test_too_few_problems_after_filters_is_a_clear_error(tmp_path):
    pool = _write_jsonl(tmp_path / "pool.jsonl", _good_rows(5))
    with pytest.raises(DataPrepError, match="only 5 problems are left after filtering"):
        build(BuildOptions(out=tmp_path / "out", sources=(str(pool),), n=5, val_n=1, decontaminate=False))


def test_bad_options_fail_before_any_pool_is_read(tmp_path):
    unread = ("missing.jsonl",)
    with pytest.raises(DataPrepError, match="--template: unknown prompt template 'fancy'"):
        build(BuildOptions(out=tmp_path, sources=unread, template="fancy"))
    with pytest.raises(DataPrepError, match="--stratify: unknown"):
        build(BuildOptions(out=tmp_path, sources=unread, stratify=("topic",)))
    with pytest.raises(DataPrepError, match="--n must be positive"):
        build(BuildOptions(out=tmp_path, sources=unread, n=0))
    with pytest.raises(DataPrepError, match="--ngram must be at least 1"):
        build(BuildOptions(out=tmp_path, sources=unread, ngram=0))
    with pytest.raises(DataPrepError, match="cannot load benchmark 'aime24' from --benchmark-dir"):
        build(BuildOptions(out=tmp_path, sources=unread, benchmark_dir=tmp_path, benchmarks=("aime24",)))


def test_cli_build_then_inspect_prints_counts_and_rows(tmp_path, benchmarks_dir, capsys):
    pool = _write_jsonl(tmp_path / "pool.jsonl", _good_rows(12))
    out = tmp_path / "out"
    code = main(["build", "--source", str(pool), "--n", "8", "--val-n", "2", "--seed", "1", "--out", str(out),
                 "--benchmark-dir", str(benchmarks_dir), "--no-progress"])
    assert code == 0
    assert "wrote 8 train and 2 val problems" in capsys.readouterr().out
    assert main(["inspect", str(out), "--rows", "2"]) == 0
    printed = capsys.readouterr().out
    assert "rows read: 12; removed: 0" in printed and "train.parquet: 8 rows" in printed
    assert printed.count("ground truth:") == 2


def test_cli_reports_bad_input_as_an_error_line_and_exit_code_2(tmp_path, capsys):
    broken = tmp_path / "pool.jsonl"
    broken.write_text("{not json}\n")
    assert main(["build", "--source", str(broken), "--out", str(tmp_path / "out"), "--no-decontaminate"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {broken}:1: invalid JSON")


def test_verl_rlhf_dataset_reads_the_built_train_set(math_build, tmp_path):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from recipe.asyppo.tools.tiny_models import build_tokenizer

    out, _ = math_build
    tokenizer = build_tokenizer(tmp_path / "tokenizer")
    config = OmegaConf.create({
        "prompt_key": "prompt", "max_prompt_length": 4096, "filter_overlong_prompts": False,
        "cache_dir": str(tmp_path / "cache"),
    })
    dataset = RLHFDataset(str(out / "train.parquet"), tokenizer, config)
    assert len(dataset) == 300
    item = dataset[0]
    first = pq.read_table(out / "train.parquet").slice(0, 1).to_pylist()[0]
    assert item["raw_prompt"] == first["prompt"]
    assert item["reward_model"]["ground_truth"] == first["reward_model"]["ground_truth"]
    assert item["index"] == first["extra_info"]["index"] and item["data_source"] == first["data_source"]
