"""Trainer plumbing that needs no Ray: critic shards from verl's sample keys, per-step metrics, metric names."""

from __future__ import annotations

import math

import pytest
import torch

from recipe.asyppo.core.algorithm import QuantileMask
from recipe.asyppo.core.metrics import (
    critic_update_metrics,
    critic_value_metrics,
    entropy_split_metrics,
    explained_variance,
    quantile_mask_metrics,
    std_metrics,
)
from recipe.asyppo.integration.trainer import mean_over_critics, shard_keys
from recipe.asyppo.verl_compat.copies import reduce_critic_update_metrics

# verl keys: {uid}_{session_id}_{turn}; two prompts with four responses each
KEYS = [f"{uid}_{session}_0" for uid in ("p-a", "p-b") for session in range(4)]
TAGS = [{} for _ in KEYS]


def test_response_shards_give_each_critic_alternate_responses_of_every_prompt():
    shards = shard_keys(KEYS, TAGS, num_critics=2, mode="response")
    assert shards == [["p-a_0_0", "p-a_2_0", "p-b_0_0", "p-b_2_0"], ["p-a_1_0", "p-a_3_0", "p-b_1_0", "p-b_3_0"]]


def test_prompt_shards_give_each_critic_whole_prompts():
    shards = shard_keys(KEYS, TAGS, num_critics=2, mode="prompt")
    assert shards == [[f"p-a_{s}_0" for s in range(4)], [f"p-b_{s}_0" for s in range(4)]]


def test_padding_samples_are_dealt_round_robin_after_the_real_ones():
    keys = [*KEYS, "padabc_0_0", "padabc_1_0"]
    tags = [*TAGS, {"is_padding": True}, {"is_padding": True}]
    shards = shard_keys(keys, tags, num_critics=2, mode="response")
    assert shards[0][-1] == "padabc_0_0" and shards[1][-1] == "padabc_1_0"
    assert sorted(shards[0] + shards[1]) == sorted(keys)


def test_uneven_response_shards_are_an_error_naming_the_key():
    with pytest.raises(ValueError, match="asyppo.critic_shard='response'"):
        shard_keys(KEYS[:3], TAGS[:3], num_critics=2, mode="response")


def test_explained_variance_is_one_minus_residual_over_target_variance():
    returns = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    values = torch.tensor([[1.0, 2.0, 4.0, -5.0]])
    valid = torch.tensor([[True, True, True, False]])
    # targets 1, 2, 3 (var 2/3); residuals 0, 0, -1 (var 2/9): 1 - (2/9) / (2/3) = 2/3
    assert explained_variance(values, returns, valid) == pytest.approx(2 / 3)
    assert math.isnan(explained_variance(values, torch.zeros(1, 4), valid))  # constant targets


def test_critic_value_metrics_name_each_critic():
    values = torch.tensor([[[1.0, 2.0]], [[3.0, 6.0]]])  # (M=2, B=1, T=2)
    metrics = critic_value_metrics(values, torch.tensor([[1.0, 2.0]]), torch.ones(1, 2, dtype=torch.bool))
    assert metrics["asyppo/critic_0/explained_var"] == pytest.approx(1.0)
    assert metrics["asyppo/critic_1/value_mean"] == pytest.approx(4.5)


def test_std_percentiles_interpolate_over_valid_tokens_only():
    std = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0, 99.0]])
    valid = torch.tensor([[True, True, True, True, True, False]])
    metrics = std_metrics(std, valid)
    assert metrics == pytest.approx({"asyppo/std/mean": 2.0, "asyppo/std/p10": 0.4, "asyppo/std/p50": 2.0,
                                     "asyppo/std/p90": 3.6, "asyppo/std/tie_fraction": 0.0})


def test_std_tie_fraction_counts_valid_tokens_sharing_their_std_with_another():
    std = torch.tensor([[0.5, 0.5, 1.0, 2.0, 2.0, 2.0, 7.0, 7.0]])
    valid = torch.tensor([[True, True, True, True, True, True, True, False]])  # 7.0 is tied only with padding
    assert std_metrics(std, valid)["asyppo/std/tie_fraction"] == pytest.approx(5 / 7)


def test_mask_metrics_report_the_selected_fraction_and_the_degenerate_flag():
    selection = QuantileMask(mask=torch.zeros(1, 1, dtype=torch.bool), num_selected=2, num_valid=10,
                             degenerate=False)
    assert quantile_mask_metrics("adv_mask", selection) == {"asyppo/adv_mask/fraction": 0.2,
                                                            "asyppo/adv_mask/degenerate": 0.0}
    degenerate = QuantileMask(mask=torch.zeros(1, 1, dtype=torch.bool), num_selected=0, num_valid=10,
                              degenerate=True)
    assert quantile_mask_metrics("entropy_filter", degenerate)["asyppo/entropy_filter/degenerate"] == 1.0


def test_entropy_is_split_into_kept_and_filtered_tokens():
    entropy = torch.tensor([[1.0, 2.0, 3.0, 7.0]])
    valid = torch.tensor([[True, True, True, False]])
    filtered = torch.tensor([[False, False, True, True]])
    assert entropy_split_metrics(entropy, valid, filtered) == {"asyppo/entropy/kept_mean": 1.5,
                                                               "asyppo/entropy/filtered_mean": 3.0}


def test_critic_update_metrics_are_renamed_per_critic_and_averaged_under_verl_names():
    first = critic_update_metrics(0, {"critic/vf_loss": 1.0, "critic/grad_norm": 2.0}, num_samples=4, seconds=0.5)
    second = critic_update_metrics(1, {"critic/vf_loss": 3.0, "critic/grad_norm": 4.0}, num_samples=4, seconds=1.5)
    assert first == {"asyppo/critic_0/vf_loss": 1.0, "asyppo/critic_0/grad_norm": 2.0,
                     "asyppo/critic_0/num_samples": 4.0, "asyppo/critic_0/update_time_s": 0.5}
    assert mean_over_critics([first, second]) == {"critic/vf_loss": 2.0, "critic/grad_norm": 3.0,
                                                  "critic/num_samples": 4.0, "critic/update_time_s": 1.0}


def test_critic_mfu_is_logged_under_verls_name_perf_mfu_critic():
    # verl's _update_critic logs the critic's MFU as perf/mfu/critic, not critic/mfu
    # (its memory stays under critic/: critic/perf/max_memory_allocated_gb)
    outputs = [{"metrics": {"mfu": [mfu], "vf_loss": [1.0], "perf/max_memory_allocated_gb": [2.0]}}
               for mfu in (0.2, 0.4)]
    per_critic = [critic_update_metrics(i, reduce_critic_update_metrics(output), num_samples=4, seconds=1.0)
                  for i, output in enumerate(outputs)]
    assert per_critic[0]["asyppo/critic_0/perf/mfu/critic"] == 0.2
    averaged = mean_over_critics(per_critic)
    assert averaged["perf/mfu/critic"] == pytest.approx(0.3) and "critic/mfu" not in averaged
    assert averaged["critic/perf/max_memory_allocated_gb"] == 2.0 and "perf/max_memory_allocated_gb" not in averaged



def test_verls_private_step_methods_run_the_trainers_public_steps_in_algorithm_order():
    from recipe.asyppo.integration.trainer import AsyPPOTrainer
    from recipe.asyppo.verl_compat.trainer_hooks import CriticEnsembleTrainerHooks

    calls = []

    class Probe(CriticEnsembleTrainerHooks):
        def compute_values(self, batch, metrics):
            calls.append("compute_values")
            return batch

        def compute_advantages(self, batch, metrics):
            calls.append("compute_advantages")
            return batch

        def update_critics(self, batch, metrics):
            calls.append("update_critics")
            return batch

        def update_actor(self, batch, metrics):
            calls.append("update_actor")
            return batch

    probe = object.__new__(Probe)  # no verl set-up: only the routing is under test
    for private in ("_compute_values", "_compute_advantage", "_update_critic", "_update_actor"):
        assert getattr(probe, private)("batch", {}) == "batch"
    assert calls == ["compute_values", "compute_advantages", "update_critics", "update_actor"]
    assert all(getattr(AsyPPOTrainer, name) is getattr(CriticEnsembleTrainerHooks, name)
               for name in ("_compute_values", "_compute_advantage", "_update_critic", "_update_actor"))


def test_budget_metrics_are_logged_with_the_step_through_verls_sync_metrics_once():
    from recipe.asyppo.integration.budget import BudgetPPOTrainerSync

    trainer = object.__new__(BudgetPPOTrainerSync)
    trainer._budget_metrics = {"budget/elapsed_s": 12.5, "budget/stopped": 1.0}
    assert trainer._consume_sync_metrics() == {"budget/elapsed_s": 12.5, "budget/stopped": 1.0}
    assert trainer._consume_sync_metrics() == {}
