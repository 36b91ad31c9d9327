"""Specification of the verl adapters: ``verl_reward.compute_score`` and the ``asyppo_math`` reward manager."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest
import torch

from rewards.verl_reward import compute_score


def test_import_rewards_does_not_import_verl():
    code = "import sys, rewards; rewards.score('\\\\boxed{1}', '1'); print('verl' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_compute_score_returns_score_acc_and_pred():
    result = compute_score("math", r"so \boxed{\frac{1}{2}}", "0.5")
    assert result == {"score": 1.0, "acc": True, "pred": r"\frac{1}{2}"}
    assert compute_score("math", r"\boxed{3}", "4") == {"score": 0.0, "acc": False, "pred": "3"}


def test_compute_score_reward_values_come_from_reward_kwargs():
    values = {"correct_reward": 2.0, "incorrect_reward": -1.0, "no_answer_reward": -2.0}
    assert compute_score("math", r"\boxed{4}", "4", None, **values)["score"] == 2.0
    assert compute_score("math", r"\boxed{3}", "4", None, **values)["score"] == -1.0
    assert compute_score("math", "no idea", "4", None, **values) == {"score": -2.0, "acc": False, "pred": ""}


def test_compute_score_reads_unboxed_answers_unless_the_fallback_is_off():
    assert compute_score("math", "12 + 29 = 41", "41") == {"score": 1.0, "acc": True, "pred": "41"}
    assert compute_score("math", "12 + 29 = 41", "41", fallback=False) == {"score": 0.0, "acc": False, "pred": ""}


def test_manager_reports_where_the_answer_was_found_and_passes_the_fallback_option(tokenizer):
    results = [
        asyncio.run(_manager(tokenizer, **kwargs).run_single(_item(tokenizer, "12 + 29 = 41", "41")))
        for kwargs in ({}, {"fallback": False})
    ]
    assert [r["reward_extra_info"]["source"] for r in results] == ["fallback", ""]
    assert [r["reward_score"] for r in results] == [1.0, 0.0]


def test_compute_score_rejects_unknown_reward_kwargs():
    with pytest.raises(TypeError, match="correct_rewrd"):
        compute_score("math", r"\boxed{4}", "4", correct_rewrd=2.0)


def test_compute_score_works_from_an_executor_thread_like_verls_reward_loop():
    async def run():
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: compute_score("math", r"\boxed{\sqrt{117}}", r"3\sqrt{13}"))

    assert asyncio.run(run())["acc"] is True


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from recipe.asyppo.tools.tiny_models import build_tokenizer

    return build_tokenizer(tmp_path_factory.mktemp("tokenizer"))


def _item(tokenizer, response: str, gold: str):
    from verl import DataProto

    ids = tokenizer(response, add_special_tokens=False)["input_ids"]
    padded = ids + [tokenizer.pad_token_id] * 3
    prompt = [tokenizer.pad_token_id, 5]
    return DataProto.from_dict(
        tensors={
            "prompts": torch.tensor([prompt]),
            "responses": torch.tensor([padded]),
            "attention_mask": torch.tensor([[0, 1] + [1] * len(ids) + [0, 0, 0]]),
        },
        non_tensors={"reward_model": np.array([{"ground_truth": gold}], dtype=object)},
    )


def _manager(tokenizer, **reward_kwargs):
    from omegaconf import OmegaConf

    from rewards.verl_manager import AsyPPOMathRewardManager

    config = OmegaConf.create({"reward": {"reward_kwargs": reward_kwargs}})
    return AsyPPOMathRewardManager(config, tokenizer, compute_score=None)


def test_manager_is_registered_as_asyppo_math():
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls

    from rewards.verl_manager import AsyPPOMathRewardManager

    assert get_reward_manager_cls("asyppo_math") is AsyPPOMathRewardManager


def test_manager_scores_concurrent_responses_in_one_batch(tokenizer, monkeypatch):
    import rewards.verl_manager as module

    batches = []
    original = module.score_batch
    monkeypatch.setattr(module, "score_batch", lambda r, g, **kw: batches.append(len(r)) or original(r, g, **kw))
    manager = _manager(tokenizer, correct_reward=1.0, incorrect_reward=-0.5, no_answer_reward=-1.0, workers=1)
    items = [
        _item(tokenizer, r"The answer is \boxed{13}.", "13"),
        _item(tokenizer, r"The answer is \boxed{9}.", "13"),
        _item(tokenizer, "I am not sure, so", "13"),
    ]

    async def run():
        return await asyncio.gather(*(manager.run_single(item) for item in items))

    results = asyncio.run(run())
    assert [r["reward_score"] for r in results] == [1.0, -0.5, -1.0]
    assert [r["reward_extra_info"]["acc"] for r in results] == [True, False, False]
    assert [r["reward_extra_info"]["reason"] for r in results] == ["exact", "wrong", "no_answer"]
    assert batches == [3]


@pytest.mark.parametrize(
    ("reward_kwargs", "message"),
    [
        ({"correct_rewrd": 1.0}, "correct_rewrd"),
        ({"correct_reward": "high"}, "reward.reward_kwargs.correct_reward"),
        ({"workers": 0}, "reward.reward_kwargs.workers"),
        ({"timeout_s": "soon"}, "reward.reward_kwargs.timeout_s"),
        ({"fallback": "no"}, "reward.reward_kwargs.fallback"),
        ({"multi_box": 0}, "reward.reward_kwargs.multi_box"),
    ],
)
def test_manager_config_errors_name_the_key(tokenizer, reward_kwargs, message):
    with pytest.raises(ValueError, match=message):
        _manager(tokenizer, **reward_kwargs)


def test_verl_loads_function_and_manager_by_pkg_path():
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls
    from verl.utils.import_utils import load_extern_object

    assert load_extern_object("pkg://rewards.verl_reward", "compute_score") is compute_score
    manager_cls = load_extern_object("pkg://rewards.verl_manager", "AsyPPOMathRewardManager")
    assert manager_cls is get_reward_manager_cls("asyppo_math")
