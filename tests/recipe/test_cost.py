"""The cost model: exact Qwen3 shapes, parameter counts, and per-step memory/FLOPs checked against hand calculations."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, Qwen3Config

from recipe.asyppo.tools.cost import (
    Setup,
    StepShape,
    critic_memory_per_gpu,
    flops_per_step,
    known_models,
    load_facts,
    memory_per_gpu,
)
from recipe.asyppo.tools.cost import param_count as count
from recipe.asyppo.tools.cost.__main__ import main, parse_critics
from recipe.asyppo.tools.cost.facts import FACTS_DIR

# Hand count of Qwen3-0.6B (hidden 1024, 28 layers, 16 heads x 128, 8 kv heads, intermediate 3072, vocab 151936, tied):
#   attention  1024*2048 (q) + 2*1024*1024 (k, v) + 2048*1024 (o) + 2*128 (q/k norm) = 6,291,712
#   MLP        3*1024*3072                                                              = 9,437,184
#   norms      2*1024                                                                   =     2,048
#   layer                                                                               = 15,730,944
#   28 layers = 440,466,432; embedding 151936*1024 = 155,582,464; final norm 1,024  ->  596,049,920
QWEN3_06B_LM = 596_049_920
QWEN3_06B_VALUE = QWEN3_06B_LM + 1024 + 1  # LM head is tied (nothing to drop); score head Linear(1024, 1) + bias
# Qwen3-1.7B (hidden 2048, 28 layers, 16 heads, 8 kv heads, intermediate 6144, tied):
#   layer = (2048*2048 + 2*2048*1024 + 2048*2048 + 256) + 3*2048*6144 + 2*2048 = 12,583,168 + 37,748,736 + 4,096
#         = 50,336,000;  28 layers = 1,409,408,000;  embedding 151936*2048 = 311,164,928;  final norm 2,048
QWEN3_17B_LM = 1_720_574_976
QWEN3_17B_VALUE = QWEN3_17B_LM + 2048 + 1


def test_parameter_count_of_qwen3_0_6b_matches_the_hand_count():
    assert count(load_facts("Qwen3-0.6B-Base"), "lm") == QWEN3_06B_LM
    assert count(load_facts("Qwen3-0.6B-Base"), "value") == QWEN3_06B_VALUE
    assert count(load_facts("Qwen3-1.7B"), "lm") == QWEN3_17B_LM


@pytest.mark.parametrize("name", ["Qwen3-0.6B", "Qwen3-1.7B", "Qwen3-4B", "Qwen3-8B", "Qwen3-14B"])
def test_parameter_counts_equal_transformers_models_built_from_the_shipped_facts(name: str):
    facts = json.loads((FACTS_DIR / f"{name}.json").read_text())
    config = Qwen3Config(**{key: value for key, value in facts.items() if not key.startswith("_")}, num_labels=1)
    with torch.device("meta"):
        lm = AutoModelForCausalLM.from_config(config)
        value = AutoModelForTokenClassification.from_config(config)
    assert count(load_facts(name), "lm") == sum(p.numel() for p in lm.parameters())
    assert count(load_facts(name), "value") == sum(p.numel() for p in value.parameters())


def test_shipped_facts_give_the_published_qwen3_sizes_in_billions():
    # Qwen3 technical report: 0.6B, 1.7B, 4.0B, 8.2B, 14.8B parameters.
    sizes = {name: round(count(load_facts(name), "lm") / 1e9, 1) for name in known_models()}
    assert sizes == {"Qwen3-0.6B": 0.6, "Qwen3-1.7B": 1.7, "Qwen3-4B": 4.0, "Qwen3-8B": 8.2, "Qwen3-14B": 14.8}


def test_one_step_of_asyppo_and_ppo_matches_a_hand_calculation():
    # Actor Qwen3-1.7B; AsyPPO: 2x Qwen3-0.6B critics, each trained on half the batch; PPO: one Qwen3-1.7B critic.
    # 4 prompts x 2 responses x (10 + 90) tokens = 800 tokens per step, 8 GPUs, 1000/2000 tokens per GPU micro-batch.
    actor, small, big = load_facts("Qwen3-1.7B"), load_facts("Qwen3-0.6B"), load_facts("Qwen3-1.7B")
    shape = StepShape(prompts=4, group_size=2, prompt_len=10, response_len=90, gpus=8,
                      actor_tokens_per_gpu=1000, critic_tokens_per_gpu=2000)
    asyppo = Setup("AsyPPO", actor, (small, small), critic_shard=0.5)
    ppo = Setup("PPO", actor, (big,), critic_shard=1.0)

    asy_flops, ppo_flops = flops_per_step(asyppo, shape), flops_per_step(ppo, shape)
    assert asy_flops["rollout"] == 2 * QWEN3_17B_LM * 800 == ppo_flops["rollout"]
    assert asy_flops["actor_old_logprob"] == 2 * QWEN3_17B_LM * 800
    assert asy_flops["ref_logprob"] == 0  # no KL term, no reference policy
    assert asy_flops["actor_update"] == 6 * QWEN3_17B_LM * 800 == 8_258_759_884_800
    # every mini-critic predicts all 800 tokens, but trains on its 400-token shard
    assert asy_flops["critic_values"] == 2 * (2 * QWEN3_06B_VALUE * 800) == 1_907_363_024_000
    assert asy_flops["critic_update"] == 2 * (6 * QWEN3_06B_VALUE * 400) == 2_861_044_536_000
    assert ppo_flops["critic_values"] == 2 * QWEN3_17B_VALUE * 800 == 2_752_923_240_000
    assert ppo_flops["critic_update"] == 6 * QWEN3_17B_VALUE * 800 == 8_258_769_720_000
    assert asy_flops["training"] == pytest.approx(
        2 * QWEN3_17B_LM * 800 + 1_907_363_024_000 + 2_861_044_536_000 + 8_258_759_884_800
    )

    asy_memory, ppo_memory = memory_per_gpu(asyppo, shape), memory_per_gpu(ppo, shape)
    assert asy_memory["actor_states"] == 16 * QWEN3_17B_LM / 8 == 3_441_149_952
    assert asy_memory["critic_states"] == 16 * 2 * QWEN3_06B_VALUE / 8 == 2_384_203_780
    assert ppo_memory["critic_states"] == 16 * QWEN3_17B_VALUE / 8 == 3_441_154_050
    # Qwen3-0.6B value model, bytes per token: checkpoints 2*1024*28 = 57,344; one layer recomputed
    # 2*2*(4*1024 + 2*2048 + 2*1024 + 4*3072) = 90,112; value head 8  ->  147,464; x 2000 tokens
    assert asy_memory["critic_activations"] == 147_464 * 2000
    # Qwen3-1.7B LM, bytes per token: 2*2048*28 = 114,688; 2*2*(4*2048 + 2*2048 + 2*1024 + 4*6144) = 155,648;
    # fp32 logits + grad 8*151936 = 1,215,488  ->  1,485,824; x 1000 tokens
    assert asy_memory["actor_activations"] == 1_485_824 * 1000
    assert asy_memory["peak"] == 3_441_149_952 + 2_384_203_780 + 1_485_824_000


def test_grpo_has_no_critic_cost():
    actor = load_facts("Qwen3-4B")
    shape = StepShape(prompts=8, group_size=8, prompt_len=100, response_len=900, gpus=8,
                      actor_tokens_per_gpu=4096, critic_tokens_per_gpu=8192)
    grpo = Setup("GRPO", actor, (), critic_shard=1.0)
    assert memory_per_gpu(grpo, shape)["critic_states"] == 0
    assert flops_per_step(grpo, shape)["critic_update"] == 0


def test_reference_policy_adds_fp32_weights_and_one_forward_pass():
    actor = load_facts("Qwen3-4B")
    shape = StepShape(prompts=1, group_size=2, prompt_len=50, response_len=50, gpus=4,
                      actor_tokens_per_gpu=512, critic_tokens_per_gpu=512, use_ref=True)
    setup = Setup("GRPO", actor, (), critic_shard=1.0)
    assert memory_per_gpu(setup, shape)["ref_weights"] == 4 * count(actor, "lm") / 4
    assert flops_per_step(setup, shape)["ref_logprob"] == 2 * count(actor, "lm") * 200


def test_critics_argument_accepts_multiplier_forms():
    assert parse_critics(["2x", "Qwen3-1.7B"]) == ["Qwen3-1.7B", "Qwen3-1.7B"]
    assert parse_critics(["3xQwen3-0.6B"]) == ["Qwen3-0.6B"] * 3
    assert parse_critics(["Qwen3-0.6B", "Qwen3-1.7B"]) == ["Qwen3-0.6B", "Qwen3-1.7B"]
    with pytest.raises(ValueError, match="expected e.g."):
        parse_critics(["2x"])


def test_unknown_model_error_names_it_and_lists_known_models():
    with pytest.raises(ValueError, match=r"unknown model 'Llama-7B'.*Qwen3-0\.6B"):
        load_facts("Llama-7B")


def test_local_model_directory_is_read_from_its_config_json(tmp_path):
    config = json.loads((FACTS_DIR / "Qwen3-0.6B.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert count(load_facts(str(tmp_path)), "lm") == QWEN3_06B_LM
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ValueError, match="missing field"):
        load_facts(str(tmp_path))


def test_cli_prints_the_table_with_asyppo_over_ppo_ratios(capsys):
    assert main(["--actor", "Qwen3-8B-Base", "--critics", "2x", "Qwen3-1.7B-Base", "--gpus", "8"]) == 0
    out = capsys.readouterr().out
    assert "| quantity | AsyPPO | PPO | GRPO | AsyPPO/PPO |" in out
    row = next(line for line in out.splitlines() if line.startswith("| critic parameters"))
    assert row.split("|")[1:-1] == [" critic parameters, all critics (B) ", " 3.44 ", " 7.57 ", " 0.00 ", " 0.45 "]


def test_cli_rejects_nonpositive_sizes_naming_the_flag(capsys):
    assert main(["--actor", "Qwen3-4B", "--critics", "2x", "Qwen3-0.6B", "--gpus", "0"]) == 2
    assert "--gpus must be >= 1" in capsys.readouterr().err


def test_adamw_step_buffer_sets_the_peak_when_activations_are_smaller():
    # Qwen3-0.6B actor alone (GRPO), 1 GPU, 10-token micro-batches: activations 10 * bytes/token are far below the
    # AdamW sqrt(v) buffer of 4 B x 596,049,920 parameters, so peak = 16 B/param states + 4 B/param.
    actor = load_facts("Qwen3-0.6B")
    shape = StepShape(prompts=1, group_size=1, prompt_len=5, response_len=5, gpus=1,
                      actor_tokens_per_gpu=10, critic_tokens_per_gpu=10)
    memory = memory_per_gpu(Setup("GRPO", actor, (), critic_shard=1.0), shape)
    assert memory["optimizer_transient"] == 4 * QWEN3_06B_LM
    assert memory["peak"] == 20 * QWEN3_06B_LM


def test_critic_only_memory_is_all_critic_states_plus_the_larger_transient():
    # two Qwen3-0.6B value models on 1 GPU, 10-token micro-batches: states 2 x 16 B x 596,050,945 parameters;
    # the AdamW buffer of one critic (4 B/param) is far above 10 tokens of activations, so it sets the peak
    critic = load_facts("Qwen3-0.6B")
    shape = StepShape(prompts=1, group_size=1, prompt_len=5, response_len=5, gpus=1,
                      actor_tokens_per_gpu=10, critic_tokens_per_gpu=10)
    memory = critic_memory_per_gpu(Setup("AsyPPO", load_facts("Qwen3-8B"), (critic, critic), 0.5), shape)
    assert memory["states"] == 2 * 16 * QWEN3_06B_VALUE
    assert memory["optimizer_transient"] == 4 * QWEN3_06B_VALUE
    assert memory["peak"] == 36 * QWEN3_06B_VALUE
