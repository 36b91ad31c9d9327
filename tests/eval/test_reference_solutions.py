"""Loaders, gold extraction and the verifier agree: each benchmark's reference solutions score >= 99%.

What each set offers as a "reference response":
- math500, minerva: the ``solution`` field (ends in a ``\\boxed{}`` answer).
- aime24: the ``solution`` field; one of 30 (id 60) states its answer only in prose, so like every reference
  solution without a boxed answer (or GSM8K ``####`` line) it gets "The final answer is $\\boxed{gold}$." appended.
- olympiadbench: ``solution[0]`` never boxes a final answer (0 of 675), so all get the boxed gold appended (with
  ``$`` removed: ``$69$,$84$`` -> ``\\boxed{69,84}``); this checks the gold parsing of multi-answers, not extraction.
- aime25, amc23: no solution field; the response is "The final answer is $\\boxed{gold}$." (a gold round trip).
- gsm8k: the ``answer`` text itself, ending in ``#### 18``.
"""

from __future__ import annotations

import json

import pytest

from eval.benchmarks import BENCHMARKS, BenchmarkProblem, load_benchmark
from eval.cli import main
from rewards.extract import last_boxed


def reference_response(problem: BenchmarkProblem) -> str:
    boxed_gold = f"The final answer is $\\boxed{{{problem.gold.replace('$', '')}}}$."
    if problem.reference_solution is None:
        return boxed_gold
    if "####" not in problem.reference_solution and last_boxed(problem.reference_solution) is None:
        return f"{problem.reference_solution}\n\n{boxed_gold}"
    return problem.reference_solution


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[dict]]:
    """Scores every reference solution through ``python -m eval score`` with the shipped benchmark files (the default
    when no ``--data-dir`` is given)."""
    work = tmp_path_factory.mktemp("reference_scoring")
    responses = work / "references.jsonl"
    with responses.open("w") as handle:
        for name in BENCHMARKS:
            for problem in load_benchmark(name):
                row = {"benchmark": name, "problem_id": problem.id, "response": reference_response(problem)}
                handle.write(json.dumps(row) + "\n")
    code = main([
        "score", "--responses", str(responses), "--benchmark-field", "benchmark", "--id-field", "problem_id",
        "--out", str(work / "out"), "--workers", "2", "--no-progress",
    ])
    assert code == 0
    results = json.loads((work / "out" / "results.json").read_text())
    samples = [json.loads(line) for line in (work / "out" / "samples.jsonl").open()]
    return results, samples


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_reference_solutions_score_at_least_99_percent(name: str, scored: tuple[dict, list[dict]]):
    results, samples = scored
    metrics = results["benchmarks"][name]
    failures = [
        (s["problem_id"], s["gold"], s["answer"], s["reason"]) for s in samples if s["benchmark"] == name
        and not s["correct"]
    ]
    assert metrics["num_problems"] == BENCHMARKS[name].num_rows
    assert metrics["avg@1"] >= 0.99, f"{name}: {len(failures)} failing (id, gold, answer, reason): {failures[:20]}"
