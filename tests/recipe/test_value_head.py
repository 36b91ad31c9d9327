"""The critics' value head computes in float32: values are not rounded to the body's bf16, gradients still reach the
head, and parameter names and dtypes (so checkpoints) stay verl's."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModelForTokenClassification

from recipe.asyppo.verl_compat.critic_loader import load_value_model
from recipe.asyppo.verl_compat.value_head import compute_in_float32, float32_value_head


def _bf16_critic(critic_dir):
    config = AutoConfig.from_pretrained(critic_dir, attn_implementation="sdpa")
    config.num_labels = 1
    return load_value_model(str(critic_dir), torch.bfloat16, config, False)


def test_a_bf16_critic_from_the_loader_returns_float32_values_under_bf16_autocast(tiny_models):
    critic = _bf16_critic(tiny_models[1])
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        values = critic(input_ids=torch.arange(1, 65)[None]).logits
    assert values.dtype == torch.float32
    assert critic.score.weight.dtype == torch.bfloat16  # parameters keep the body's dtype


def test_float32_head_values_are_not_on_the_bf16_grid(tiny_models):
    # 64 tokens: bf16 values (8-bit mantissa) repeat; the float32 head's values from the same bf16 hidden states
    # and bf16 weights are all distinct and within bf16 rounding of them
    torch.manual_seed(0)
    critic = _bf16_critic(tiny_models[1])
    ids = torch.randint(1, 400, (1, 64))
    head = critic.score
    with torch.no_grad():
        hidden = critic.model(input_ids=ids).last_hidden_state
        rounded = torch.nn.functional.linear(hidden, head.weight, head.bias).squeeze(-1)
        exact = head(hidden).squeeze(-1)
    assert rounded.dtype == torch.bfloat16
    assert exact.unique().numel() == 64
    assert exact.unique().numel() > rounded.unique().numel()
    torch.testing.assert_close(exact, rounded.float(), rtol=2 ** -7, atol=1e-6)


def test_gradients_reach_the_float32_head_in_the_parameters_dtype():
    head = compute_in_float32(torch.nn.Linear(4, 1).to(torch.bfloat16))
    head(torch.ones(2, 4, dtype=torch.bfloat16)).sum().backward()
    assert head.weight.grad.dtype == torch.bfloat16
    torch.testing.assert_close(head.weight.grad.float(), torch.full((1, 4), 2.0))


def test_parameter_names_are_unchanged(tiny_models):
    config = AutoConfig.from_pretrained(tiny_models[1], num_labels=1)
    plain = AutoModelForTokenClassification.from_config(config)
    assert list(float32_value_head(AutoModelForTokenClassification.from_config(config)).state_dict()) == list(
        plain.state_dict())


def test_a_model_without_a_linear_value_head_is_rejected_by_name():
    with pytest.raises(TypeError, match=r"Sequential has no linear value head named score or classifier"):
        float32_value_head(torch.nn.Sequential(torch.nn.Linear(2, 2)))
