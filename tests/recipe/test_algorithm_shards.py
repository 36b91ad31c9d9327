"""Critic shards: which mini-critic trains on which sample of the rollout batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recipe.asyppo.core.algorithm import critic_shard_ids


def test_response_shard_deals_each_prompts_responses_by_index_mod_m():
    ids = ["a", "a", "a", "a", "b", "b", "b", "b"]
    response_index = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    assert critic_shard_ids(ids, response_index, 2).tolist() == [0, 1, 0, 1, 1, 0, 1, 0]


def test_response_shard_with_three_critics_gives_each_two_of_six():
    ids = ["p"] * 6 + ["q"] * 6
    response_index = torch.tensor([0, 1, 2, 3, 4, 5] * 2)
    shards = critic_shard_ids(ids, response_index, 3)
    assert shards.tolist() == [0, 1, 2, 0, 1, 2] * 2
    assert torch.bincount(shards).tolist() == [4, 4, 4]


def test_one_critic_trains_on_everything():
    assert critic_shard_ids(["a", "a", "b"], torch.tensor([0, 1, 0]), 1).tolist() == [0, 0, 0]
    assert critic_shard_ids(["a", "b", "c"], torch.tensor([0, 0, 0]), 1, mode="prompt").tolist() == [0, 0, 0]


def test_response_shard_rejects_groups_that_do_not_split_evenly():
    ids = ["a"] * 4 + ["b"] * 4
    with pytest.raises(ValueError, match=r"asyppo.critic_shard.*num_critics=3.*rollout.n.*prompt 'a' has 4"):
        critic_shard_ids(ids, torch.tensor([0, 1, 2, 3] * 2), 3)


def test_response_shard_rejects_duplicate_indices_that_unbalance_a_group():
    with pytest.raises(ValueError, match=r"response_index \[0, 0, 1, 2\]"):
        critic_shard_ids(["a"] * 4, torch.tensor([0, 2, 0, 1]), 2)


def test_prompt_shard_deals_prompts_round_robin_in_order_of_first_appearance():
    ids = ["b", "b", "a", "a", "c", "c", "d", "d"]
    response_index = torch.tensor([0, 1] * 4)
    assert critic_shard_ids(ids, response_index, 2, mode="prompt").tolist() == [0, 0, 1, 1, 0, 0, 1, 1]


def test_prompt_shard_rejects_prompt_count_not_divisible_by_critics():
    with pytest.raises(ValueError, match=r"number of prompts in a batch \(3\).*asyppo.num_critics=2"):
        critic_shard_ids(["a", "b", "c"], torch.tensor([0, 0, 0]), 2, mode="prompt")


def test_padding_samples_get_minus_one_and_skip_the_checks():
    # verl's padding samples share one uid with session ids 0..pad-1; here 1 padding sample would break the split
    ids = ["a", "a", "b", "b", "pad"]
    response_index = torch.tensor([0, 1, 1, 0, 0])
    sample_mask = torch.tensor([True, True, True, True, False])
    assert critic_shard_ids(ids, response_index, 2, sample_mask=sample_mask).tolist() == [0, 1, 1, 0, -1]
    assert critic_shard_ids(ids, response_index, 2, "prompt", sample_mask).tolist() == [0, 0, 1, 1, -1]
    with pytest.raises(ValueError, match="prompt 'pad' has 1 responses"):
        critic_shard_ids(ids, response_index, 2)


def test_prompt_ids_may_be_a_numpy_object_array_or_a_tensor():
    response_index = torch.tensor([0, 1, 0, 1])
    uids = np.array(["u1", "u1", "u2", "u2"], dtype=object)
    assert critic_shard_ids(uids, response_index, 2, mode="prompt").tolist() == [0, 0, 1, 1]
    assert critic_shard_ids(torch.tensor([7, 7, 9, 9]), response_index, 2, mode="prompt").tolist() == [0, 0, 1, 1]


def test_every_real_sample_belongs_to_exactly_one_equal_shard():
    ids = [f"p{i // 8}" for i in range(64)]
    response_index = torch.arange(64) % 8
    for mode in ("response", "prompt"):
        shards = critic_shard_ids(ids, response_index, 4, mode=mode)
        assert torch.bincount(shards, minlength=4).tolist() == [16, 16, 16, 16]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "token"}, r"asyppo.critic_shard must be one of \('response', 'prompt'\)"),
        ({"num_critics": 0}, "asyppo.num_critics must be >= 1"),
        ({"response_index": torch.tensor([0, 1, 2])}, r"response_index has shape \(3,\), expected \(2,\)"),
        ({"response_index": torch.tensor([0.0, 1.0])}, "non-negative integers"),
        ({"response_index": torch.tensor([0, -1])}, "non-negative integers"),
        ({"sample_mask": torch.tensor([True])}, r"sample_mask has shape \(1,\), expected \(2,\)"),
    ],
)
def test_bad_arguments_are_rejected_by_name(kwargs, message):
    args = {"prompt_ids": ["a", "a"], "response_index": torch.tensor([0, 1]), "num_critics": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        critic_shard_ids(**args)
