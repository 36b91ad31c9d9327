"""``budget.wall_clock_s``: a real CPU run stops after the step that crosses the budget, validates, and exits cleanly,
for AsyPPO and for stock GRPO through the same entry point (tiny random models, synthetic arithmetic data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from verl_runs import ASYPPO, launch

from recipe.asyppo import main_asyppo
from recipe.asyppo.integration.history import read_metrics
from recipe.asyppo.integration.launch import BUDGET_MODULE, EXTERNAL_MODULES_ENV, prepare
from recipe.asyppo.tools.tiny_data import build_tiny_data

SIZES = {"train_batch_size": 4, "rollout_n": 2, "max_prompt_length": 128, "max_response_length": 8}
CONFIG_DIR = os.path.join(os.path.dirname(main_asyppo.__file__), "config")
GRPO = ("asyppo.enable=false", "algorithm.adv_estimator=grpo", "critic.enable=false")


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", [(), GRPO], ids=["asyppo", "grpo"])
def test_a_run_stops_after_the_step_that_crosses_the_budget_then_validates_and_exits(
        tmp_path: Path, tiny_models, algorithm):
    data = build_tiny_data(tmp_path / "data", num_train=16, num_val=4)
    # 1 s is over after the first step; 5 steps and a test_freq of 4 would otherwise run on and validate at step 4
    run = launch(ASYPPO, tmp_path / "run", tiny_models, data, 5, *algorithm, "budget.wall_clock_s=1",
                 "trainer.test_freq=4", sizes=SIZES)
    run.wait_ok()
    assert run.wait_session_gone() == []
    history = read_metrics(tmp_path / "run")
    assert sorted(history) == [1]
    step = history[1]
    assert step["budget/stopped"] == 1.0 and step["budget/elapsed_s"] >= 1.0
    assert any(key.startswith("val-core/tiny_arith/") for key in step)  # the final validation, logged at step 1
    assert "Final validation metrics" in run.log.read_text()


def _config(*overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base=None):
        return compose(config_name="asyppo_trainer", overrides=list(overrides))


def test_a_stock_run_with_a_budget_gets_the_budget_trainer_and_a_bad_budget_is_refused(monkeypatch):
    monkeypatch.delenv(EXTERNAL_MODULES_ENV, raising=False)
    config = _config(*GRPO, "budget.wall_clock_s=900")
    prepare(config)
    assert config.trainer.v1.trainer_mode == "sync_budget"
    # every Ray process imports the module that registers the budget trainer
    assert BUDGET_MODULE in os.environ[EXTERNAL_MODULES_ENV].split(",")
    assert _config(*GRPO).trainer.v1.trainer_mode == "sync"  # no budget: verl's own trainer
    for bad in ("0", "-5", "soon"):
        with pytest.raises(ValueError, match="budget.wall_clock_s must be a positive number"):
            prepare(_config(*GRPO, f"budget.wall_clock_s={bad}"))
