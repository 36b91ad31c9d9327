"""The default build from a real pool (400 rows of MATH train, ``tests/data``): size, schema, determinism,
decontamination, counts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data_prep.records import DataPrepError
from data_prep.sources import FieldMap, load_source
from eval.benchmarks import load_benchmark
from eval.prompts import DEFAULT_TEMPLATE, get_template


def test_build_writes_the_asked_train_and_disjoint_val_rows(math_build):
    out, manifest = math_build
    train = pq.read_table(out / "train.parquet").to_pylist()
    val = pq.read_table(out / "val.parquet").to_pylist()
    assert (len(train), len(val)) == (300, 50)
    assert manifest["counts"]["train"] == 300 and manifest["counts"]["val"] == 50
    assert not {row["extra_info"]["index"] for row in train} & {row["extra_info"]["index"] for row in val}


def test_rows_follow_verl_rl_schema(math_build):
    out, _ = math_build
    row = pq.read_table(out / "train.parquet").slice(0, 1).to_pylist()[0]
    assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert row["data_source"] == "DigitalLearningGmbH/MATH-lighteval"
    assert row["ability"] == "math"
    assert row["reward_model"]["style"] == "rule" and row["reward_model"]["ground_truth"]
    assert row["prompt"] == get_template(DEFAULT_TEMPLATE).messages(row["extra_info"]["problem"])
    assert row["extra_info"]["split"] == "train" and isinstance(row["extra_info"]["index"], int)


def test_original_problem_has_the_pool_instruction_stripped(math_build, math_pool):
    out, _ = math_build
    row = pq.read_table(out / "train.parquet").slice(0, 1).to_pylist()[0]
    # verl-schema pools keep their own extra_info.index (the sample's rows keep their MATH row numbers)
    index = row["extra_info"]["index"]
    (source,) = [r for r in pq.read_table(math_pool).to_pylist() if r["extra_info"]["index"] == index]
    content = source["prompt"][0]["content"]
    assert content == row["extra_info"]["problem"] + " Let's think step by step and output the final answer within " \
        "\\boxed{}."
    assert row["reward_model"]["ground_truth"] == source["reward_model"]["ground_truth"]


def _plain_13grams(text: str) -> set[tuple[str, ...]]:
    """13-grams of lower-cased alphanumeric runs: a tokenisation independent of data_prep's own."""
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return set(zip(*(tokens[i:] for i in range(13)), strict=False))


def test_no_train_or_val_problem_shares_a_13gram_with_math500(math_build):
    out, manifest = math_build
    benchmark = load_benchmark("math500")
    math500 = set().union(*(_plain_13grams(item.problem) for item in benchmark))
    for name in ("train.parquet", "val.parquet"):
        for row in pq.read_table(out / name).to_pylist():
            assert math500.isdisjoint(_plain_13grams(row["extra_info"]["problem"])), row["extra_info"]["index"]
    # The MATH train pool holds near-copies of MATH test problems: they are counted, not silently kept
    # (16 of the sample's 20 contaminated rows share a 13-gram with MATH-500).
    assert manifest["decontamination"]["removed_sharing_ngram_with"]["math500"] == 16


def test_manifest_records_inputs_options_every_filter_and_distribution(math_build, math_pool):
    out, manifest = math_build
    assert json.loads((out / "manifest.json").read_text()) == manifest
    (source,) = manifest["inputs"]
    pool_sha256 = hashlib.sha256(Path(math_pool).read_bytes()).hexdigest()
    assert source["files"][0] == {"path": str(math_pool), "sha256": pool_sha256}
    assert manifest["options"]["seed"] == 0 and manifest["options"]["n"] == 300
    counts = manifest["counts"]
    assert counts["rows_read"] == 400
    assert counts["rows_read"] - counts["removed_total"] == counts["pool_after_filters"]
    # Two MATH rows have an empty ground truth; they are dropped as invalid rows, not crashes.
    assert counts["removed"]["invalid_row"] == 2
    assert counts["removed"]["contaminated"] == 20 and counts["removed"]["near_duplicate"] == 3
    assert counts["removed"]["exact_duplicate"] == 1 and counts["removed"]["problem_too_long"] == 2
    assert sum(manifest["outputs"]["train.parquet"]["distribution"]["data_source"].values()) == 300
    assert set(manifest["outputs"]["train.parquet"]["distribution"]["difficulty"]) >= {"1", "2", "3", "4", "5"}


def test_damaged_rows_of_the_math_pool_are_counted_and_a_truncated_file_is_a_clear_error(math_pool, tmp_path):
    rows = pq.read_table(math_pool).slice(0, 40).to_pylist()
    rows[3]["reward_model"]["ground_truth"] = None
    rows[5]["prompt"][0]["content"] = 123
    del rows[7]["reward_model"]
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(json.dumps(row) + "\n" for row in rows))
    loaded = load_source(str(damaged), FieldMap())
    assert [(d.row, d.detail) for d in loaded.dropped] == [
        (3, "field 'reward_model.ground_truth': answer is missing"),
        (5, "field 'prompt': problem must be a string, got int 123"),
        (7, "field 'reward_model.ground_truth': answer is missing"),
    ]
    assert len(loaded.problems) == 37
    truncated = tmp_path / "truncated.parquet"
    pool_bytes = Path(math_pool).read_bytes()
    truncated.write_bytes(pool_bytes[: len(pool_bytes) // 2])
    with pytest.raises(DataPrepError, match=r"truncated.parquet: cannot read as parquet"):
        load_source(str(truncated), FieldMap())


def test_same_inputs_and_seed_give_byte_identical_parquet_even_in_another_process(
    math_build, math_pool, tmp_path
):
    out, manifest = math_build
    command = [
        sys.executable, "-m", "data_prep", "build", "--source", str(math_pool), "--out", str(tmp_path),
        "--n", "300", "--val-n", "50", "--no-progress",
    ]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(command, cwd=Path(__file__).resolve().parents[2], env=env, check=True, capture_output=True)
    for name in ("train.parquet", "val.parquet"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()
        assert manifest["outputs"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
