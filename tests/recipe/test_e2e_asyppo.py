"""End-to-end AsyPPO runs through the real verl trainer on CPU (tiny random models, synthetic arithmetic data).

Each launch is a subprocess of ``python -m recipe.asyppo.main_asyppo`` (or stock ``python -m verl.trainer.main_ppo``)
with the CPU overrides of ``recipe.asyppo.cpu.overrides`` (see ``verl_runs``); metrics are read with
``recipe.asyppo.integration.history.read_metrics`` (``{step: {metric: value}}`` over all launches of a run).

The two-critic tests share one interrupted and resumed run (``interrupted_run``), the expensive part.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.distributed.tensor import DTensor
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer
from verl_runs import ASYPPO, STOCK_VERL, launch, probe_env

from recipe.asyppo.integration.greedy_validation import AGENT_LOOP_CONFIG, with_greedy_copies
from recipe.asyppo.integration.history import History, history_path, read_metrics, read_step_records
from recipe.asyppo.tools import study
from recipe.asyppo.tools.tiny_data import build_tiny_data

pytestmark = pytest.mark.slow

SIZES = {"train_batch_size": 4, "rollout_n": 2, "max_prompt_length": 128, "max_response_length": 16}
COMMON = (
    "trainer.test_freq=-1",
    "actor_rollout_ref.actor.entropy_coeff=0.01",
)
CRITICS = (0, 1)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> tuple[Path, Path]:
    return build_tiny_data(tmp_path_factory.mktemp("tiny_data"), num_train=16, num_val=4)


def _run(module: str, out_dir: Path, models: tuple[Path, Path], data: tuple[Path, Path], steps: int,
         *extra: str) -> History:
    """One launch of ``python -m module`` to the end; its metric history."""
    launch(module, out_dir, models, data, steps, *COMMON, *extra, sizes=SIZES).wait_ok()
    return read_metrics(out_dir)


def _value_model_checkpoint(critic_dir: Path, out_dir: Path) -> Path:
    """The critic base saved with a seeded value head, so every run loads the same critic weights."""
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(critic_dir, num_labels=1)
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(critic_dir).save_pretrained(out_dir)
    return out_dir


# ------------------------------------------------------------------------- one interrupted, resumed run
@dataclass
class InterruptedRun:
    """Launch 1 trains towards 4 steps (checkpoint every 2, ``critic_warmup=2``) and gets SIGTERM once step 3 is
    logged, i.e. during step 4; launch 2 (``trainer.resume_mode=auto``) resumes from ``global_step_2`` and trains
    step 3 again, the last one (so it saves ``global_step_3``). Launch 1's step 3 is the lost tail.

    A probe (``resume_probe``) saved each launch's state right after loading: ``probe/global_step_0`` (launch 1,
    fresh) and ``probe/global_step_2`` (launch 2, reloaded).
    """

    out: Path
    killed_returncode: int
    survivors: list[int]
    killed_metrics: History
    killed_shard_steps: list[int]

    def checkpoint(self, step: int) -> Path:
        return self.out / "checkpoints" / f"global_step_{step}"

    def probe(self, step: int) -> Path:
        return self.out / "probe" / f"global_step_{step}"


def _logged_steps(path: Path) -> set[int]:
    return {step for step, _ in read_step_records(path)}


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory, tiny_models, tiny_data) -> InterruptedRun:
    out = tmp_path_factory.mktemp("interrupted")
    shard_log = out / "shards.jsonl"
    args = (*COMMON, "asyppo.num_critics=2", "trainer.save_freq=2", "trainer.critic_warmup=2",
            f"asyppo.shard_log_path={shard_log}")
    env = probe_env(out / "probe")
    first = launch(ASYPPO, out, tiny_models, tiny_data, 4, *args, sizes=SIZES, env=env, log_name="launch_1.log")
    first.wait_until(lambda: 3 in _logged_steps(out / "metrics.jsonl"))
    first.terminate_driver()
    killed_returncode = first.wait(timeout=300)
    survivors = first.wait_session_gone()
    killed_metrics = read_metrics(out)
    killed_shard_steps = sorted({record["step"] for _, record in read_step_records(shard_log)})
    # The resumed launch also takes the other denominator option (masked tokens leave the actor loss).
    launch(ASYPPO, out, tiny_models, tiny_data, 3, *args, "trainer.resume_mode=auto",
           "asyppo.masked_tokens_in_denominator=false", sizes=SIZES, env=env, log_name="launch_2.log").wait_ok()
    return InterruptedRun(out, killed_returncode, survivors, killed_metrics, killed_shard_steps)


def _state(path: Path) -> dict[str, object]:
    """A verl checkpoint file (model, optimizer or extra state) flattened to ``{"a/b/0": value}``, DTensors local."""
    flat: dict[str, object] = {}

    def visit(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(f"{prefix}/{key}", item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(f"{prefix}/{index}", item)
        else:
            flat[prefix] = value.to_local() if isinstance(value, DTensor) else value

    visit("", torch.load(path, weights_only=False))
    return flat


def _differences(a: dict[str, object], b: dict[str, object]) -> list[str]:
    """Keys whose values differ (tensors compared exactly), or that only one side has."""
    different = sorted(set(a) ^ set(b))
    for key in set(a) & set(b):
        if isinstance(a[key], torch.Tensor):
            same = torch.equal(a[key], b[key])
        else:  # the RNG states hold numpy arrays
            same = np.array_equal(a[key], b[key]) if isinstance(a[key], np.ndarray) else a[key] == b[key]
        if not same:
            different.append(key)
    return different


MODEL = "model_world_size_1_rank_0.pt"
OPTIMIZER = "optim_world_size_1_rank_0.pt"
EXTRA = "extra_state_world_size_1_rank_0.pt"


def _critic_dir(folder: Path, critic: int) -> Path:
    return folder / "critic" / f"critic_{critic}"


def _optimizer_steps(folder: Path) -> set[float]:
    """The AdamW step counts of a checkpoint's optimizer (one per parameter; empty before the first step)."""
    return {float(value) for key, value in _state(folder / OPTIMIZER).items() if key.endswith("/step")}


def test_sigterm_stops_the_driver_and_its_ray_cluster_during_step_4(interrupted_run):
    assert interrupted_run.killed_returncode != 0
    assert interrupted_run.survivors == []  # within a minute of the driver's exit
    assert list(interrupted_run.killed_metrics) == [1, 2, 3]
    assert not interrupted_run.checkpoint(4).exists()


def test_resumed_run_reaches_global_step_3_with_every_step_of_its_metric_history_once(interrupted_run):
    out = interrupted_run.out
    history = read_metrics(out)
    assert list(history) == [1, 2, 3]
    assert history[3]["training/global_step"] == 3
    assert (out / "checkpoints" / "latest_checkpointed_iteration.txt").read_text() == "3"
    # verl's file logger kept only launch 2's step; launch 1's steps up to its checkpoint live on in the history
    # file, and its step 3 (trained after global_step_2, lost with the kill) is replaced by launch 2's.
    assert _logged_steps(out / "metrics.jsonl") == {3}
    assert _logged_steps(history_path(out / "metrics.jsonl")) == {1, 2}
    assert history[1] == interrupted_run.killed_metrics[1] and history[2] == interrupted_run.killed_metrics[2]
    launch_2_step_3 = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])["data"]
    assert history[3] == launch_2_step_3


def test_resume_reloads_each_critics_weights_optimizer_and_schedule_exactly_as_saved(interrupted_run):
    saved, reloaded = interrupted_run.checkpoint(2), interrupted_run.probe(2)
    for critic in CRITICS:
        for part in (MODEL, OPTIMIZER, EXTRA):
            saved_state = _state(_critic_dir(saved, critic) / part)
            reloaded_state = _state(_critic_dir(reloaded, critic) / part)
            assert saved_state, (critic, part)
            assert _differences(saved_state, reloaded_state) == [], (critic, part)
    assert _differences(_state(saved / "actor" / MODEL), _state(reloaded / "actor" / MODEL)) == []


def test_optimizer_steps_and_lr_schedule_continue_across_the_restart(interrupted_run):
    for critic in CRITICS:  # one critic mini-batch per step
        assert _optimizer_steps(_critic_dir(interrupted_run.checkpoint(2), critic)) == {2.0}
        assert _optimizer_steps(_critic_dir(interrupted_run.checkpoint(3), critic)) == {3.0}
        schedule = _state(_critic_dir(interrupted_run.checkpoint(3), critic) / EXTRA)
        assert schedule["/lr_scheduler/last_epoch"] == 3
    assert _optimizer_steps(interrupted_run.checkpoint(2) / "actor") == set()  # critic warmup: no actor step yet
    assert _optimizer_steps(interrupted_run.checkpoint(3) / "actor") == {1.0}


def test_critic_warmup_keeps_the_actor_fixed_while_every_critic_trains(interrupted_run):
    # critic_warmup=2: steps 1 and 2 train only the critics; the actor first moves at step 3.
    initial, after_2, after_3 = interrupted_run.probe(0), interrupted_run.checkpoint(2), interrupted_run.checkpoint(3)
    assert _differences(_state(initial / "actor" / MODEL), _state(after_2 / "actor" / MODEL)) == []
    for critic in CRITICS:
        before, after = _critic_dir(initial, critic) / MODEL, _critic_dir(after_2, critic) / MODEL
        assert "/score.weight" in _differences(_state(before), _state(after)), critic
    assert _differences(_state(after_2 / "actor" / MODEL), _state(after_3 / "actor" / MODEL)) != []
    history = read_metrics(interrupted_run.out)
    assert ["actor/pg_loss" in history[step] for step in (1, 2, 3)] == [False, False, True]


def test_two_critics_train_on_disjoint_shards_and_log_their_metrics_every_step(interrupted_run):
    for step, metrics in read_metrics(interrupted_run.out).items():
        for critic in CRITICS:
            assert metrics[f"asyppo/critic_{critic}/vf_loss"] >= 0.0, step
            assert metrics[f"asyppo/critic_{critic}/num_samples"] == 4.0, step
            assert metrics[f"asyppo/critic_{critic}/vf_clipfrac"] == 0.0, step  # asyppo.critic_loss=mse: no clipping
        # 8 responses of up to 16 tokens: floor(0.2 * n_valid) / n_valid is within 1/n_valid of 0.2
        assert metrics["asyppo/adv_mask/fraction"] == pytest.approx(0.2, abs=0.01)
        assert metrics["asyppo/entropy_filter/fraction"] == pytest.approx(0.2, abs=0.01)
        assert metrics["asyppo/adv_mask/degenerate"] == 0.0  # seeds differ, so the critics differ at step 1
        assert metrics["asyppo/std/p10"] <= metrics["asyppo/std/p50"] <= metrics["asyppo/std/p90"]
        assert {"asyppo/entropy/kept_mean", "asyppo/entropy/filtered_mean"} <= metrics.keys()

    records = [record for _, record in read_step_records(interrupted_run.out / "shards.jsonl")]
    assert 3 in interrupted_run.killed_shard_steps  # launch 1 had logged step 3's shards before the kill
    assert [(r["step"], r["critic"]) for r in records] == [(s, c) for s in (1, 2, 3) for c in CRITICS]
    for step in (1, 2, 3):
        shards = [set(r["keys"]) for r in records if r["step"] == step]
        assert len(shards[0]) == len(shards[1]) == 4
        assert not shards[0] & shards[1], "critics trained on overlapping samples"
        prompts = [{key.rsplit("_", 2)[0] for key in shard} for shard in shards]
        assert prompts[0] == prompts[1], "response sharding gives each critic one response of every prompt"


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
    stock = _run(STOCK_VERL, tmp_path / "stock", models, tiny_data, 1)
    ours = _run(ASYPPO, tmp_path / "asyppo", models, tiny_data, 1,
                "asyppo.num_critics=1", "asyppo.adv_mask=false", "asyppo.entropy_filter=false")
    assert list(stock) == list(ours) == [1]
    stock_metrics, our_metrics = stock[1], ours[1]
    assert our_metrics["asyppo/critic_0/vf_loss"] == our_metrics["critic/vf_loss"]
    assert our_metrics["asyppo/critic_0/num_samples"] == 8.0
    for key in COMPARED:
        assert our_metrics[key] == pytest.approx(stock_metrics[key], rel=1e-4, abs=1e-6), key


def test_a_study_run_validates_greedy_and_sampled_and_leaves_its_actor_as_a_model_eval_reads(tmp_path, tiny_models,
                                                                                             tiny_data):
    val = tmp_path / "val_greedy_sampled.parquet"
    with_greedy_copies(tiny_data[1], val)
    out = tmp_path / "asyppo" / "seed0"
    extra = ("asyppo.num_critics=2", "trainer.save_freq=1", "trainer.test_freq=1", study.SAVE_HF_MODEL,
             f"actor_rollout_ref.rollout.agent.agent_loop_config_path={AGENT_LOOP_CONFIG}")
    study.start(out, "asyppo", 0, 1, 0, 0.0, list(extra))
    _run(ASYPPO, out, tiny_models, (tiny_data[0], val), 1, *extra)
    summary = study.finish(out)
    assert summary["steps"] == 1 and summary["val_greedy_after"] is not None
    assert summary["val_sampled_after"] is not None and summary["hf_actor"] == str(out / study.HF_ACTOR)
    assert not (out / "checkpoints").exists()
    exported = AutoModelForCausalLM.from_pretrained(summary["hf_actor"], dtype="auto")
    assert exported.dtype == torch.float32  # the weights the run validated with, not a bfloat16 rounding
    metrics = read_metrics(out)[1]
    assert {"asyppo/std/error_corr", "asyppo/adv_mask/share_digit", "asyppo/adv_mask/rate_last"} <= set(metrics)
    eval_out = tmp_path / "eval"
    subprocess.run([sys.executable, "-m", "eval", "run", "--model", summary["hf_actor"], "--benchmarks", "math500",
                    "--limit", "2", "--n", "1", "--max-tokens", "8", "--backend", "hf", "--out", str(eval_out)],
                   check=True, capture_output=True, text=True)
    assert any(eval_out.rglob("*.json"))
