"""Every gold of the evaluation benchmarks is judged correct against a response ending in ``\\boxed{gold}``,
and golds that are numbers are also judged correct against their plain integer form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewards import extract_answer, score_batch


def _rows(data_dir: Path, name: str) -> list[dict]:
    path = data_dir / name / "test.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_golds(data_dir: Path) -> dict[str, list]:
    """Gold answers per benchmark, read where ``eval/data/README.md`` says each benchmark keeps them."""
    return {
        "math500": [row["answer"] for row in _rows(data_dir, "math500")],
        "aime24": [row["answer"] for row in _rows(data_dir, "aime24")],
        "aime25": [row["answer"] for row in _rows(data_dir, "aime25")],
        "amc23": [row["answer"] for row in _rows(data_dir, "amc23")],
        # includes the two malformed upstream golds (ids 1970, 2349): they must still match themselves
        "olympiadbench": [row["final_answer"][0] for row in _rows(data_dir, "olympiadbench")],
        "minerva_math": [extract_answer(row["solution"]) for row in _rows(data_dir, "minerva_math")],
        "gsm8k": [row["answer"].split("####")[-1].strip() for row in _rows(data_dir, "gsm8k")],
    }


@pytest.fixture(scope="module")
def golds(benchmarks_dir: Path) -> dict[str, list]:
    return read_golds(benchmarks_dir)


def test_gold_files_have_the_documented_row_counts(golds):
    counts = {name: len(values) for name, values in golds.items()}
    assert counts == {
        "math500": 500,
        "aime24": 30,
        "aime25": 30,
        "amc23": 40,
        "olympiadbench": 675,
        "minerva_math": 272,
        "gsm8k": 1319,
    }
    assert all(gold is not None for gold in golds["minerva_math"])


@pytest.mark.parametrize("name", ["math500", "aime24", "aime25", "amc23", "olympiadbench", "minerva_math", "gsm8k"])
def test_every_gold_is_correct_against_its_own_boxed_form(golds, name):
    values = golds[name]
    responses = [f"Putting everything together, the answer is $\\boxed{{{gold}}}$." for gold in values]
    verdicts = score_batch(responses, values, workers=2)
    failures = [(gold, v) for gold, v in zip(values, verdicts, strict=True) if not v.correct]
    assert failures == []


@pytest.mark.parametrize("name", ["aime24", "aime25", "amc23"])
def test_number_golds_accept_the_plain_integer(golds, name):
    values = golds[name]
    responses = [f"\\boxed{{{int(float(gold))}}}" for gold in values]
    verdicts = score_batch(responses, values)
    assert [v.correct for v in verdicts] == [True] * len(values)


def test_base_n_golds_of_math500_reject_another_base(golds):
    base_n = [gold for gold in golds["math500"] if "_" in gold and gold.split("_")[0].isdigit()]
    assert base_n == ["52_8", "40_9", "2516_8", "4210_{5}", "204_5", "4343_6"]
    digits = [gold.split("_")[0] for gold in base_n]
    verdicts = score_batch([f"\\boxed{{{d}_{{11}}}}" for d in digits], base_n)
    assert [v.reason for v in verdicts] == ["wrong"] * 6
