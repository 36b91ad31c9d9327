"""The study's bookkeeping: a run's summary from its metrics, the code version, and the CSV files of finished runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from recipe.asyppo.tools import study
from recipe.asyppo.tools.study import (
    FINISHED,
    SAVE_HF_MODEL,
    SUMMARY,
    StudyVersionError,
    collect,
    export_actor,
    last_actor_checkpoint,
    publish,
    start,
    summarize_run,
    val_accuracies,
)


@pytest.fixture(autouse=True)
def _committed_code(monkeypatch):
    monkeypatch.setattr(study, "code_version", lambda repo: ("a" * 40, False))


def _val(greedy: float, sampled: float) -> dict[str, float]:
    return {"val-core/greedy_arith_add1/acc/mean@1": greedy, "val-core/greedy_arith_mul1/acc/mean@1": greedy,
            "val-core/arith_add1/acc/mean@1": sampled, "val-core/arith_mul1/acc/mean@1": sampled,
            "val-aux/arith_add1/acc/std@1": 0.5}


def _write_run(run_dir: Path, arm: str, seed: int, steps: dict[int, dict], warmup: int = 0) -> Path:
    start(run_dir, arm, seed, max(steps), warmup, 0.0, ["asyppo.enable=true"])
    lines = [json.dumps({"step": step, "data": data}) for step, data in steps.items()]
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def _step(seconds: float, reward: float, ev: float, **extra: float) -> dict[str, float]:
    return {"timing_s/step": seconds, "timing_s/gen": seconds / 2, "critic/score/mean": reward,
            "critic/vf_explained_var": ev, **extra}


def test_greedy_and_sampled_accuracy_are_told_apart_by_the_data_source_prefix():
    assert val_accuracies(_val(0.5, 0.25)) == (50.0, 25.0)
    assert val_accuracies({"critic/score/mean": 1.0}) == (None, None)


def test_a_run_summary_reads_before_after_gains_steps_and_diagnostics(tmp_path):
    run = _write_run(tmp_path / "asyppo" / "seed0", "asyppo_warmup", 0, {
        0: _val(0.2, 0.1),
        1: _step(10, 0.1, -0.5, **{"asyppo/std/error_corr": 0.2, "asyppo/critic_0/explained_var": -1.0,
                                   "asyppo/critic_1/explained_var": 0.0}),
        2: _step(30, 0.3, 0.1, **{"asyppo/std/error_corr": float("nan"), "asyppo/critic_0/explained_var": None}),
        3: {**_step(20, 0.5, 0.3, **{"asyppo/std/error_corr": 0.4}), **_val(0.5, 0.3)},
    }, warmup=1)
    row = summarize_run(run)
    assert (row["steps"], row["actor_steps"]) == (3, 2)
    assert (row["val_greedy_before"], row["val_greedy_after"], row["val_greedy_gain"]) == (20.0, 50.0, 30.0)
    assert row["val_sampled_gain"] == pytest.approx(20.0)
    assert row["step_time_s"] == 20 and row["phase_gen_s"] == 10
    assert (row["ev_value_first"], row["ev_value_last"]) == (-0.5, 0.3)
    assert row["ev_value_mean"] == pytest.approx(-0.1 / 3)
    assert row["ev_value_actor_mean"] == pytest.approx(0.2)  # the warm-up step (step 1) is left out
    assert row["ev_critics_mean"] == -0.5
    assert row["sigma_error_corr"] == pytest.approx(0.3)  # the NaN step is skipped, as is a null explained variance
    assert row["reward_first3"] == pytest.approx(0.3) and row["peak_pss_gib"] is None
    assert row["commit"] == "a" * 40 and row["dirty"] is False


def test_a_run_that_stopped_before_its_last_validation_has_no_after(tmp_path):
    run = _write_run(tmp_path / "r", "ppo", 1, {0: _val(0.2, 0.1), 1: _step(10, 0.1, 0.0), 2: _step(10, 0.2, 0.1)})
    row = summarize_run(run)
    assert row["val_greedy_before"] == 20.0 and row["val_greedy_after"] is None and row["val_greedy_gain"] is None


def test_collect_writes_one_row_per_finished_run_sorted_by_arm_and_seed_and_the_curves(tmp_path):
    for arm, seed in (("ppo", 10), ("asyppo", 1), ("ppo", 2), ("asyppo", 0)):
        run = _write_run(tmp_path / arm / f"seed{seed}", arm, seed, {0: _val(0.2, 0.1), 1: _step(1, 0.1, 0.0)})
        (run / SUMMARY).write_text(json.dumps(summarize_run(run)))
        (run / FINISHED).touch()
    _write_run(tmp_path / "grpo" / "seed0", "grpo", 0, {0: _val(0.2, 0.1)})  # unfinished: not collected
    study, curves = collect(tmp_path, tmp_path / "results")
    assert study == tmp_path / "results" / "cpu_study.csv"
    rows = list(csv.DictReader(study.open()))
    assert [(r["arm"], r["seed"]) for r in rows] == [("asyppo", "0"), ("asyppo", "1"), ("ppo", "2"), ("ppo", "10")]
    assert rows[0]["val_greedy_before"] == "20" and rows[0]["val_greedy_after"] == ""
    curve_rows = list(csv.DictReader(curves.open()))
    assert len(curve_rows) == 8 and curve_rows[0]["val_greedy"] == "20" and curve_rows[1]["reward"] == "0.1"


def test_collect_fills_a_field_the_stored_summary_lacks_from_the_records_and_keeps_the_stored_ones(tmp_path):
    run = _write_run(tmp_path / "asyppo_warmup" / "seed0", "asyppo_warmup", 0,
                     {0: _val(0.2, 0.1), 1: _step(1, 0.1, -3.0), 2: _step(1, 0.2, 0.5)}, warmup=1)
    written_by_an_older_version = {k: v for k, v in summarize_run(run).items() if k != "ev_value_actor_mean"}
    (run / SUMMARY).write_text(json.dumps({**written_by_an_older_version, "step_time_s": 99.0}))
    (run / FINISHED).touch()
    study, _ = collect(tmp_path)
    (row,) = csv.DictReader(study.open())
    assert row["ev_value_actor_mean"] == "0.5" and row["step_time_s"] == "99"


def test_the_last_actor_checkpoint_is_the_highest_step_and_a_missing_one_names_the_directory(tmp_path):
    for step in (2, 10, 9):
        (tmp_path / "checkpoints" / f"global_step_{step}" / "actor").mkdir(parents=True)
    assert last_actor_checkpoint(tmp_path).parent.name == "global_step_10"
    with pytest.raises(FileNotFoundError, match="empty/checkpoints: no global_step"):
        last_actor_checkpoint(tmp_path / "empty")


def test_the_exported_actor_is_the_checkpoints_float32_weights_with_its_tokenizer(tmp_path, tiny_models):
    saved = tmp_path / "global_step_3" / "actor" / "huggingface"
    trained = AutoModelForCausalLM.from_pretrained(tiny_models[0], dtype=torch.float32)  # random float32 weights:
    trained.save_pretrained(saved)  # a bfloat16 rounding of them would not be equal
    AutoTokenizer.from_pretrained(tiny_models[0]).save_pretrained(saved)
    export_actor(saved.parent, tmp_path / "hf_actor")
    exported = AutoModelForCausalLM.from_pretrained(tmp_path / "hf_actor", dtype="auto")
    assert exported.dtype == torch.float32
    for (name, want), got in zip(trained.state_dict().items(), exported.state_dict().values(), strict=True):
        assert torch.equal(want, got), name
    assert AutoTokenizer.from_pretrained(tmp_path / "hf_actor").get_vocab() == AutoTokenizer.from_pretrained(
        tiny_models[0]).get_vocab()


def test_a_checkpoint_without_hugging_face_weights_names_the_override_the_run_needs(tmp_path):
    (tmp_path / "actor" / "huggingface").mkdir(parents=True)  # verl writes config and tokenizer here regardless
    with pytest.raises(FileNotFoundError, match=r"actor/huggingface: no model weights; run the training with "
                                                r"actor_rollout_ref\.actor\.checkpoint\.save_contents=\[.*hf_model\]"):
        export_actor(tmp_path / "actor", tmp_path / "hf_actor")


def test_the_learning_script_saves_the_actor_as_a_hugging_face_model_with_its_checkpoints():
    script = Path(study.__file__).resolve().parents[1] / "run_learning_cpu.sh"
    assert f'"{SAVE_HF_MODEL}"' in script.read_text()


def test_a_run_at_another_commit_or_with_uncommitted_changes_cannot_join_the_study(tmp_path, monkeypatch):
    _write_run(tmp_path / "asyppo" / "seed0", "asyppo", 0, {0: _val(0.2, 0.1)})
    _write_run(tmp_path / "ppo" / "seed0", "ppo", 0, {0: _val(0.2, 0.1)})  # same commit: fine
    _write_run(tmp_path / "asyppo" / "seed0", "asyppo", 0, {0: _val(0.2, 0.1)})  # a restart replaces itself
    monkeypatch.setattr(study, "code_version", lambda repo: ("b" * 40, False))
    with pytest.raises(StudyVersionError, match="asyppo/seed0 ran at a{40}; this checkout is b{40}"):
        _write_run(tmp_path / "grpo" / "seed0", "grpo", 0, {0: _val(0.2, 0.1)})
    monkeypatch.setattr(study, "code_version", lambda repo: ("a" * 40, True))
    with pytest.raises(StudyVersionError, match="with uncommitted changes"):
        _write_run(tmp_path / "grpo" / "seed0", "grpo", 0, {0: _val(0.2, 0.1)})


def test_publish_copies_the_records_of_finished_runs_and_the_copies_rebuild_the_same_csv(tmp_path):
    run = _write_run(tmp_path / "work" / "asyppo" / "seed0", "asyppo", 0, {0: _val(0.2, 0.1), 1: _step(1, 0.1, 0.0)})
    (run / SUMMARY).write_text(json.dumps(summarize_run(run)))
    (run / FINISHED).touch()
    (run / "hf_actor").mkdir()
    (run / "run.log").write_text("log")
    _write_run(tmp_path / "work" / "ppo" / "seed0", "ppo", 0, {0: _val(0.2, 0.1)})  # unfinished
    (copy,) = publish(tmp_path / "work", tmp_path / "results")
    assert copy == tmp_path / "results" / "cpu_study_runs" / "asyppo" / "seed0"
    assert sorted(p.name for p in copy.iterdir()) == ["finished", "metrics.jsonl", "run_info.json", "summary.json"]
    published = (tmp_path / "results" / "cpu_study.csv").read_text()
    study, _ = collect(tmp_path / "work", tmp_path / "again")
    assert study.read_text() == published
