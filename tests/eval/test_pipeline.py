"""The whole `python -m eval run` pipeline on CPU: tiny local model, HF backend, the benchmark files shipped in
``eval/data`` (no ``--data-dir``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.cli import build_parser, main
from eval.generation import MAX_RESPONSE_TOKENS, SamplingConfig
from eval.records import SampleRecord

RUN_ARGS = [
    "--benchmarks", "aime25,amc23", "--limit", "2", "--n", "2", "--max-tokens", "8", "--backend", "hf",
    "--batch-size", "4", "--workers", "1", "--no-progress",
]


@pytest.fixture(scope="module")
def run_dir(tiny_actor: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pipeline") / "run"
    args = ["run", "--model", str(tiny_actor), "--out", str(out), *RUN_ARGS]
    assert main(args) == 0
    return out


def test_run_writes_one_scored_record_per_problem_and_sample(run_dir: Path):
    rows = [json.loads(line) for line in (run_dir / "samples.jsonl").open()]
    assert set(rows[0]) == set(SampleRecord.__dataclass_fields__)
    keys = {(row["benchmark"], row["problem_id"], row["sample_index"]) for row in rows}
    assert keys == {(b, p, i) for b in ("aime25", "amc23") for p in ("0", "1") for i in (0, 1)}
    assert {row["finish_reason"] for row in rows} <= {"stop", "length"}
    assert {row["answer_source"] for row in rows} <= {None, "boxed", "boxes", "answer_phrase", "gsm8k_marker",
                                                     "fallback"}
    assert all(row["prompt"].startswith("<|im_start|>user\n") for row in rows)  # chat template on by default
    assert {row["gold"] for row in rows if row["benchmark"] == "amc23"} == {"27", "36"}


def test_run_writes_results_json_markdown_table_and_chart(run_dir: Path):
    results = json.loads((run_dir / "results.json").read_text())
    assert list(results["benchmarks"]) == ["aime25", "amc23"]
    for metrics in (*results["benchmarks"].values(), results["overall"]):
        assert {"avg@2", "pass@1", "pass@2", "maj@2", "no_answer", "truncated", "fallback_answers"} <= set(metrics)
        assert 0.0 <= metrics["avg@2"] <= 1.0
    assert results["benchmarks"]["aime25"]["num_samples"] == 4
    assert results["run"]["sampling"]["n"] == 2 and results["run"]["chat_template"] is True
    table = (run_dir / "results.md").read_text()
    assert "| aime25 | 2 | 4 |" in table and "| overall |" in table
    assert (run_dir / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerunning_a_finished_run_generates_nothing_and_keeps_results(run_dir: Path, tiny_actor: Path):
    before = (run_dir / "samples.jsonl").read_bytes()
    results = json.loads((run_dir / "results.json").read_text())
    args = ["run", "--model", str(tiny_actor), "--out", str(run_dir), *RUN_ARGS]
    assert main(args) == 0
    assert (run_dir / "samples.jsonl").read_bytes() == before
    assert json.loads((run_dir / "results.json").read_text()) == results


def test_rerun_with_different_settings_is_refused_naming_the_setting(run_dir: Path, tiny_actor: Path, capsys):
    args = ["run", "--model", str(tiny_actor), "--out", str(run_dir), *RUN_ARGS]
    args[args.index("--n") + 1] = "3"
    assert main(args) == 2
    assert "sampling.n: stored 2, now 3" in capsys.readouterr().err


def test_paper_suite_runs_from_the_shipped_files_without_touching_the_hub(
    tiny_actor: Path, tmp_path: Path, monkeypatch
):
    import datasets

    def no_hub(*args, **kwargs):
        raise AssertionError("the Hub was asked for a benchmark")

    monkeypatch.setattr(datasets, "load_dataset", no_hub)
    args = ["run", "--model", str(tiny_actor), "--benchmarks", "paper", "--limit", "1", "--n", "1", "--max-tokens",
            "2", "--backend", "hf", "--workers", "1", "--no-progress", "--out", str(tmp_path / "paper")]
    assert main(args) == 0
    results = json.loads((tmp_path / "paper" / "results.json").read_text())
    assert list(results["benchmarks"]) == ["aime24", "aime25", "math500", "olympiadbench", "minerva", "amc23"]
    assert results["run"]["data_dir"] is None and results["run"]["hub"] is False


def test_data_dir_and_hub_are_alternatives(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--model", "m", "--out", str(tmp_path), "--data-dir", "D", "--hub"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_compare_prints_runs_side_by_side_and_writes_a_chart(run_dir: Path, tmp_path: Path, capsys):
    assert main(["compare", str(run_dir), str(run_dir), "--png", str(tmp_path / "cmp.png")]) == 0
    out = capsys.readouterr().out
    assert "| benchmark |" in out and "| aime25 |" in out and "| overall |" in out
    assert (tmp_path / "cmp.png").stat().st_size > 0


def test_score_rescoring_a_runs_samples_gives_the_same_metrics(run_dir: Path, tmp_path: Path):
    args = [
        "score", "--responses", str(run_dir / "samples.jsonl"), "--benchmark-field", "benchmark",
        "--id-field", "problem_id", "--sample-field", "sample_index", "--gold-field", "gold", "--out",
        str(tmp_path / "rescored"), "--workers", "1", "--no-progress",
    ]
    assert main(args) == 0
    rescored = json.loads((tmp_path / "rescored" / "results.json").read_text())
    original = json.loads((run_dir / "results.json").read_text())
    assert rescored["benchmarks"] == original["benchmarks"]


def test_paper_suite_script_runs_the_six_paper_benchmarks_with_avg_at_4_and_passes_extra_args(tmp_path: Path):
    script = Path(__file__).resolve().parents[2] / "eval" / "run_paper_suite.sh"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").write_text('#!/bin/sh\necho "$@"\n')
    (fake_bin / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(script), "MODEL", "OUT", "--data-dir", "D", "--limit", "5"], env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == [
        "-m", "eval", "run", "--model", "MODEL", "--benchmarks", "paper", "--n", "4", "--out", "OUT",
        "--data-dir", "D", "--limit", "5",
    ]
    usage = subprocess.run(["bash", str(script), "MODEL"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_eval_cuts_responses_at_the_training_response_length_by_default():
    # 8192, the launch scripts' MAX_RESPONSE_LENGTH (tests/recipe/test_scripts.py checks common.sh against it)
    args = build_parser().parse_args(["run", "--model", "m", "--out", "o"])
    assert args.max_tokens == SamplingConfig().max_tokens == MAX_RESPONSE_TOKENS == 8192
    run_help = subprocess.run([sys.executable, "-m", "eval", "run", "--help"], capture_output=True, text=True,
                              check=True, env={**os.environ, "COLUMNS": "200"}).stdout
    assert f"most new tokens per sample (default {MAX_RESPONSE_TOKENS}" in run_help
