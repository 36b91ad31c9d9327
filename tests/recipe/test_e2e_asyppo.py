"""End-to-end AsyPPO runs through the real verl trainer on CPU (tiny random models, synthetic arithmetic data).

Each run is a subprocess of ``python -m recipe.asyppo.main_asyppo`` (or stock ``python -m verl.trainer.main_ppo``)
with the CPU overrides of ``recipe.asyppo.cpu.overrides``; metrics come from verl's file logger
(``metrics.jsonl``, one ``{"step": s, "data": {...}}`` line per step).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from recipe.asyppo.cpu.overrides import cpu_env, cpu_overrides
from recipe.asyppo.tiny_data import build_tiny_data

pytestmark = pytest.mark.slow

RUN_TIMEOUT_S = 900
SIZES = {"train_batch_size": 4, "rollout_n": 2, "max_prompt_length": 128, "max_response_length": 16}
COMMON = (
    "trainer.test_freq=-1",
    "actor_rollout_ref.actor.entropy_coeff=0.01",
)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> tuple[Path, Path]:
    return build_tiny_data(tmp_path_factory.mktemp("tiny_data"), num_train=16, num_val=4)


def _run(module: str, out_dir: Path, models: tuple[Path, Path], data: tuple[Path, Path], steps: int,
         *extra: str, sizes: dict[str, int] = SIZES) -> list[dict]:
    """Run ``python -m module`` with the CPU overrides plus ``extra``; return the logged metrics of each step."""
    out_dir.mkdir(parents=True, exist_ok=True)
    overrides = cpu_overrides(models[0], models[1], data[0], data[1], out_dir, steps=steps, **sizes)
    env = {**os.environ, **cpu_env(out_dir)}
    log = out_dir / "run.log"
    with open(log, "w") as f:
        result = subprocess.run([sys.executable, "-m", module, *overrides, *COMMON, *extra], env=env, stdout=f,
                                stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT_S, cwd=out_dir)
    if result.returncode != 0:
        tail = log.read_text()[-6000:]
        raise AssertionError(f"{module} exited with {result.returncode}; end of {log}:\n{tail}")
    lines = (out_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _value_model_checkpoint(critic_dir: Path, out_dir: Path) -> Path:
    """The critic base saved with a seeded value head, so every run loads the same critic weights."""
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(critic_dir, num_labels=1)
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(critic_dir).save_pretrained(out_dir)
    return out_dir


def test_two_critics_train_on_disjoint_shards_log_their_metrics_and_resume(tmp_path, tiny_models, tiny_data):
    shard_log = tmp_path / "shards.jsonl"
    first = tmp_path / "first"
    steps = _run("recipe.asyppo.main_asyppo", first, tiny_models, tiny_data, 2,
                 "asyppo.num_critics=2", "trainer.save_freq=1", f"asyppo.shard_log_path={shard_log}")

    assert [s["step"] for s in steps] == [1, 2]
    for step in steps:
        metrics = step["data"]
        for critic in (0, 1):
            assert metrics[f"asyppo/critic_{critic}/vf_loss"] >= 0.0
            assert metrics[f"asyppo/critic_{critic}/num_samples"] == 4.0
        # 8 responses of up to 16 tokens: floor(0.2 * n_valid) / n_valid is within 1/n_valid of 0.2
        assert metrics["asyppo/adv_mask/fraction"] == pytest.approx(0.2, abs=0.01)
        assert metrics["asyppo/entropy_filter/fraction"] == pytest.approx(0.2, abs=0.01)
        assert metrics["asyppo/adv_mask/degenerate"] == 0.0  # seeds differ, so the critics differ at step 1
        assert metrics["asyppo/std/p10"] <= metrics["asyppo/std/p50"] <= metrics["asyppo/std/p90"]
        assert {"asyppo/entropy/kept_mean", "asyppo/entropy/filtered_mean", "actor/pg_loss"} <= metrics.keys()

    records = [json.loads(line) for line in shard_log.read_text().splitlines()]
    for step in (1, 2):
        shards = [set(r["keys"]) for r in records if r["step"] == step]
        assert len(shards) == 2 and len(shards[0]) == len(shards[1]) == 4
        assert not shards[0] & shards[1], "critics trained on overlapping samples"
        prompts = [{key.rsplit("_", 2)[0] for key in shard} for shard in shards]
        assert prompts[0] == prompts[1], "response sharding gives each critic one response of every prompt"

    step_1 = (first / "checkpoints" / "global_step_1").resolve()
    assert (step_1 / "critic" / "critic_0").is_dir() and (step_1 / "critic" / "critic_1").is_dir()

    # The resumed run also takes the other denominator option (masked tokens leave the actor loss).
    resumed = _run("recipe.asyppo.main_asyppo", tmp_path / "resumed", tiny_models, tiny_data, 2,
                   "asyppo.num_critics=2", "trainer.resume_mode=resume_path",
                   f"trainer.resume_from_path={step_1}", "asyppo.masked_tokens_in_denominator=false")
    assert [s["step"] for s in resumed] == [2]
    assert resumed[0]["data"]["asyppo/critic_1/vf_loss"] >= 0.0
    log = (tmp_path / "resumed" / "run.log").read_text()
    assert f"Resuming from {step_1}" in log
    for critic in (0, 1):  # verl's engine logs each restored part of each critic
        for part in ("model", "optimizer", "lr_scheduler"):
            assert f"Loaded {part} from {step_1}/critic/critic_{critic}/" in log, (critic, part)


COMPARED = (
    "actor/pg_loss", "actor/entropy_loss", "actor/loss", "actor/grad_norm", "critic/vf_loss", "critic/grad_norm",
    "critic/advantages/mean", "critic/advantages/max", "critic/advantages/min",
    "critic/returns/mean", "critic/values/mean", "critic/values/max", "critic/score/mean", "response_length/mean",
    "rollout_corr/rollout_log_ppl",
)


# A full batch (4 prompts x 2 responses): the hf_cpu server seeds each request from the prompt and its occurrence in
# the step, so both runs sample the same set of responses to each prompt. Which copy of a prompt gets which response
# may follow request arrival order, which only permutes rows of the batch; every compared metric is invariant to
# that: means and extremes over the batch, and losses and gradient norms of a single mini-batch and micro-batch (the
# whole batch; sums over its tokens). actor/pg_loss is ~0 in any first update (whitened advantages, ratio 1), so
# the actor side is checked mainly by actor/grad_norm and actor/entropy_loss.


def test_one_critic_without_masks_reproduces_a_stock_verl_ppo_step(tmp_path, tiny_models, tiny_data):
    critic = _value_model_checkpoint(tiny_models[1], tmp_path / "critic_with_head")
    models = (tiny_models[0], critic)
    stock = _run("verl.trainer.main_ppo", tmp_path / "stock", models, tiny_data, 1)
    ours = _run("recipe.asyppo.main_asyppo", tmp_path / "asyppo", models, tiny_data, 1,
                "asyppo.num_critics=1", "asyppo.adv_mask=false", "asyppo.entropy_filter=false")
    assert len(stock) == len(ours) == 1
    stock_metrics, our_metrics = stock[0]["data"], ours[0]["data"]
    assert our_metrics["asyppo/critic_0/vf_loss"] == our_metrics["critic/vf_loss"]
    assert our_metrics["asyppo/critic_0/num_samples"] == 8.0
    for key in COMPARED:
        assert our_metrics[key] == pytest.approx(stock_metrics[key], rel=1e-4, abs=1e-6), key
