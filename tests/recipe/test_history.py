"""The metric history of a run across launches: what is kept, what is dropped, how it is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from recipe.asyppo.integration.history import (
    file_logger_path,
    history_path,
    keep_steps_up_to,
    metric_curve,
    read_metrics,
    resume_step,
    start_launch,
)


def write_log(path: Path, steps: dict[int, dict]) -> Path:
    """A verl file-logger file, one ``{"step", "data"}`` line per step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"step": s, "data": d}) + "\n" for s, d in steps.items()))
    return path


def test_a_launch_resumed_from_step_2_keeps_steps_1_and_2_and_drops_the_lost_tail(tmp_path):
    metrics = write_log(tmp_path / "metrics.jsonl", {1: {"loss": 1.0}, 2: {"loss": 0.9}, 3: {"loss": 0.8}})
    dropped = start_launch(metrics, resumed_step=2)
    write_log(metrics, {3: {"loss": 0.7}, 4: {"loss": 0.6}})  # the resumed launch, as verl's file logger writes it
    assert dropped == [3]
    assert read_metrics(tmp_path) == {1: {"loss": 1.0}, 2: {"loss": 0.9}, 3: {"loss": 0.7}, 4: {"loss": 0.6}}


def test_three_launches_give_one_history_with_each_step_once(tmp_path):
    metrics = write_log(tmp_path / "metrics.jsonl", {1: {"x": 1}, 2: {"x": 2}})
    start_launch(metrics, resumed_step=2)
    write_log(metrics, {3: {"x": 3}, 4: {"x": 4}, 5: {"x": 5}})
    start_launch(metrics, resumed_step=4)
    write_log(metrics, {5: {"x": 50}})
    assert read_metrics(metrics) == {1: {"x": 1}, 2: {"x": 2}, 3: {"x": 3}, 4: {"x": 4}, 5: {"x": 50}}


def test_a_launch_that_does_not_resume_starts_a_new_history(tmp_path):
    metrics = write_log(tmp_path / "metrics.jsonl", {0: {"val": 0.1}, 1: {"x": 1}})
    start_launch(metrics, resumed_step=None)
    assert not metrics.exists() and not history_path(metrics).exists()


def test_start_launch_twice_changes_nothing_more(tmp_path):
    metrics = write_log(tmp_path / "metrics.jsonl", {1: {"x": 1}, 2: {"x": 2}, 3: {"x": 3}})
    start_launch(metrics, resumed_step=2)
    first = history_path(metrics).read_text()
    assert start_launch(metrics, resumed_step=2) == []
    assert history_path(metrics).read_text() == first


def test_validation_logged_at_the_resumed_step_joins_that_steps_training_metrics(tmp_path):
    # verl's val_before_train logs at the step the launch resumes from, which the earlier launch trained
    metrics = write_log(tmp_path / "metrics.jsonl", {2: {"loss": 0.9, "val-core/acc": 0.1}})
    start_launch(metrics, resumed_step=2)
    write_log(metrics, {2: {"val-core/acc": 0.2}})
    assert read_metrics(tmp_path) == {2: {"loss": 0.9, "val-core/acc": 0.2}}


def test_history_path_sits_beside_the_metrics_file():
    assert history_path(Path("/runs/a/metrics.jsonl")) == Path("/runs/a/metrics.history.jsonl")
    assert history_path(Path("/runs/proj/exp.jsonl")) == Path("/runs/proj/exp.history.jsonl")


def test_an_incomplete_last_line_from_a_killed_writer_is_skipped(tmp_path):
    metrics = write_log(tmp_path / "metrics.jsonl", {1: {"x": 1}})
    with open(metrics, "a") as f:
        f.write('{"step": 2, "data": {"x"')
    assert read_metrics(tmp_path) == {1: {"x": 1}}


def test_a_bad_line_elsewhere_is_an_error_naming_file_and_line(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text('{"step": 1, "data": {}}\nnot json\n{"step": 3, "data": {}}\n')
    with pytest.raises(ValueError, match=r"metrics.jsonl:2: invalid JSON"):
        read_metrics(tmp_path)
    metrics.write_text('{"step": "1", "data": {}}\n')
    with pytest.raises(ValueError, match=r"metrics.jsonl:1: expected an integer 'step'"):
        read_metrics(tmp_path)


def test_read_metrics_without_any_metrics_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.jsonl"):
        read_metrics(tmp_path)


def test_metric_curve_lists_the_steps_that_logged_the_metric(tmp_path):
    history = {0: {"val": 0.1}, 1: {"loss": 2.0}, 2: {"loss": 1.5, "val": 0.3}}
    assert metric_curve(history, "loss") == ([1, 2], [2.0, 1.5])
    assert metric_curve(history, "val") == ([0, 2], [0.1, 0.3])


def test_keep_steps_up_to_drops_the_shard_log_lines_after_the_checkpoint(tmp_path):
    log = tmp_path / "shards.jsonl"
    log.write_text("".join(json.dumps({"step": s, "critic": c, "keys": []}) + "\n" for s in (1, 2, 3) for c in (0, 1)))
    assert keep_steps_up_to(log, 2) == [3]
    assert [(r["step"], r["critic"]) for r in map(json.loads, log.read_text().splitlines())] == [
        (1, 0), (1, 1), (2, 0), (2, 1)]
    assert keep_steps_up_to(log, 2) == []
    assert keep_steps_up_to(tmp_path / "absent.jsonl", 0) == []


def run_config(tmp_path: Path, **trainer) -> dict:
    return {"trainer": {"logger": ["console", "file"], "project_name": "p", "experiment_name": "e",
                        "resume_mode": "auto", "default_local_dir": str(tmp_path / "ckpt"), **trainer}}


def test_file_logger_path_takes_the_ray_runtime_env_over_the_environment(tmp_path):
    config = run_config(tmp_path)
    assert file_logger_path(config, environ={"VERL_FILE_LOGGER_PATH": "/a/m.jsonl"}) == Path("/a/m.jsonl")
    config["ray_kwargs"] = {"ray_init": {"runtime_env": {"env_vars": {"VERL_FILE_LOGGER_PATH": "/b/m.jsonl"}}}}
    assert file_logger_path(config, environ={"VERL_FILE_LOGGER_PATH": "/a/m.jsonl"}) == Path("/b/m.jsonl")


def test_file_logger_path_defaults_like_verl_and_is_none_without_the_file_logger(tmp_path):
    assert file_logger_path(run_config(tmp_path), environ={"VERL_FILE_LOGGER_ROOT": "/logs"}) == Path(
        "/logs/p/e.jsonl")
    assert file_logger_path(run_config(tmp_path, logger="console"), environ={}) is None


def test_resume_step_follows_verls_resume_modes(tmp_path):
    assert resume_step(run_config(tmp_path)) is None  # auto, no checkpoint yet
    (tmp_path / "ckpt" / "global_step_4").mkdir(parents=True)
    (tmp_path / "ckpt" / "latest_checkpointed_iteration.txt").write_text("4")
    assert resume_step(OmegaConf.create(run_config(tmp_path))) == 4
    assert resume_step(run_config(tmp_path, resume_mode="disable")) is None
    path = str(tmp_path / "other" / "global_step_7")
    assert resume_step(run_config(tmp_path, resume_mode="resume_path", resume_from_path=path)) == 7
