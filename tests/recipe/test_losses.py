"""AsyPPO losses: entropy bonus only on kept tokens, the denominator option, the critic losses, per-critic old values.

Micro-batches are built the way verl's engines hand them to a loss: nested (jagged) tensors, ``log_probs`` /
``entropy`` / ``values`` over the whole sequence (prompt + response, shifted by one), the rest response-aligned.
Two samples: prompt lengths 2 and 3, response lengths 3 and 2, so 5 response tokens.
"""

from __future__ import annotations

import dataclasses
import math
from functools import partial

import pytest
import torch
from hydra import compose, initialize_config_module
from tensordict import TensorDict
from verl.utils import tensordict_utils as tu
from verl.utils.config import omega_conf_to_dataclass
from verl.workers.utils.losses import ppo_loss, value_loss

from recipe.asyppo.integration.config import CRITIC_LOSSES
from recipe.asyppo.integration.losses import (
    ENTROPY_KEEP_FIELD,
    VALUE_LOSSES,
    asyppo_actor_loss,
    critic_loss,
    critic_values_field,
    mse_value_loss,
    own_old_values_loss,
    per_critic_loss,
)

PROMPT_LENS = (2, 3)
RESPONSE_LENS = (3, 2)
ENTROPY = [[1.0, 2.0, 4.0], [8.0, 16.0]]


def _nested(rows, dtype=torch.float32) -> torch.Tensor:
    return torch.nested.as_nested_tensor([torch.tensor(r, dtype=dtype) for r in rows], layout=torch.jagged)


def _over_sequence(response_rows, fill=-99.0) -> torch.Tensor:
    """Sequence-long rows whose response part (shifted left by one, as the engine's outputs are) is given."""
    rows = []
    for prompt_len, response in zip(PROMPT_LENS, response_rows, strict=True):
        row = [fill] * (prompt_len - 1) + list(response) + [fill]
        rows.append(row)
    return _nested(rows)


def _micro_batch(*, advantages, entropy_keep, loss_mask=None, batch_num_tokens=5, extra=None) -> TensorDict:
    response_mask = [[1] * n for n in RESPONSE_LENS]
    fields = {
        "prompts": _nested([[7] * n for n in PROMPT_LENS], torch.int64),
        "responses": _nested([[9] * n for n in RESPONSE_LENS], torch.int64),
        "response_mask": _nested(response_mask, torch.int64),
        "loss_mask": _nested(loss_mask or response_mask, torch.int64),
        "old_log_probs": _nested([[-1.0] * n for n in RESPONSE_LENS]),
        "advantages": _nested(advantages),
        ENTROPY_KEEP_FIELD: _nested(entropy_keep, torch.int64),
        **(extra or {}),
    }
    data = TensorDict(fields, batch_size=[len(PROMPT_LENS)])
    tu.assign_non_tensor(data, dp_size=1, batch_num_tokens=batch_num_tokens, global_batch_size=None)
    return data


def _model_output(with_entropy=True) -> dict[str, torch.Tensor]:
    output = {"log_probs": _over_sequence([[-1.0] * n for n in RESPONSE_LENS])}
    if with_entropy:
        output["entropy"] = _over_sequence(ENTROPY)
    return output


@pytest.fixture(scope="module")
def actor_config():
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        cfg = compose(config_name="ppo_trainer", overrides=[
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=2",
            "actor_rollout_ref.actor.entropy_coeff=0.5",
        ])
    return omega_conf_to_dataclass(cfg.actor_rollout_ref.actor)


@pytest.fixture(scope="module")
def critic_config(tiny_models):
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        cfg = compose(config_name="ppo_trainer", overrides=[
            f"critic.model.path={tiny_models[1]}",
            "critic.ppo_micro_batch_size_per_gpu=2",
            "critic.cliprange_value=0.5",
        ])
    return omega_conf_to_dataclass(cfg.critic)


ZERO_ADV = [[0.0] * n for n in RESPONSE_LENS]
KEEP_ALL = [[1] * n for n in RESPONSE_LENS]


def test_entropy_bonus_counts_only_kept_tokens_over_all_response_tokens(actor_config):
    # Ratio 1 and zero advantages: the loss is only -coeff * entropy bonus. Dropping the tokens with entropy 4
    # and 16 leaves (1 + 2 + 8) / 5 response tokens = 2.2, so loss = -0.5 * 2.2.
    keep = [[1, 1, 0], [1, 0]]
    loss, metrics = asyppo_actor_loss(
        model_output=_model_output(), data=_micro_batch(advantages=ZERO_ADV, entropy_keep=keep), config=actor_config
    )
    assert loss.item() == pytest.approx(-0.5 * 2.2)
    assert metrics["actor/entropy_loss"].values[0] == pytest.approx(2.2)


def test_keeping_every_token_reproduces_verl_ppo_loss(actor_config):
    advantages = [[0.5, -1.0, 2.0], [1.5, -0.25]]
    data = _micro_batch(advantages=advantages, entropy_keep=KEEP_ALL)
    ours, ours_metrics = asyppo_actor_loss(model_output=_model_output(), data=data, config=actor_config)
    stock, stock_metrics = ppo_loss(config=actor_config, model_output=_model_output(), data=data.copy())
    # pg = -mean(A) = -(0.5 - 1 + 2 + 1.5 - 0.25) / 5 = -0.55; entropy = 31 / 5 = 6.2; loss = -0.55 - 0.5 * 6.2
    assert stock.item() == pytest.approx(-0.55 - 3.1)
    assert ours.item() == pytest.approx(stock.item(), abs=1e-7)
    assert ours_metrics["actor/entropy_loss"].values[0] == pytest.approx(
        stock_metrics["actor/entropy_loss"].values[0])


def test_advantage_masked_tokens_stay_in_the_denominator_by_default(actor_config):
    # The trainer zeroes masked advantages; with the default they still count: pg = -(2 + 1.5) / 5.
    advantages = [[0.0, 0.0, 2.0], [1.5, 0.0]]
    data = _micro_batch(advantages=advantages, entropy_keep=KEEP_ALL)
    loss, _ = asyppo_actor_loss(model_output=_model_output(with_entropy=False), data=data, config=actor_config)
    assert loss.item() == pytest.approx(-3.5 / 5)


def test_advantage_masked_tokens_leave_the_loss_when_denominator_option_is_off(actor_config):
    # Tokens (0, 0), (0, 1), (1, 1) are advantage-masked: loss_mask drops them and the engine counts 2 tokens.
    advantages = [[0.0, 0.0, 2.0], [1.5, 0.0]]
    loss_mask = [[0, 0, 1], [1, 0]]
    data = _micro_batch(advantages=advantages, entropy_keep=KEEP_ALL, loss_mask=loss_mask, batch_num_tokens=2)
    loss, metrics = asyppo_actor_loss(
        model_output=_model_output(), data=data, config=actor_config, masked_tokens_in_denominator=False
    )
    # pg = -(2 + 1.5) / 2; entropy over the two remaining tokens: (4 + 8) / 2 = 6
    assert loss.item() == pytest.approx(-3.5 / 2 - 0.5 * 6.0)
    assert metrics["actor/entropy_loss"].values[0] == pytest.approx(6.0)


def test_actor_loss_names_the_missing_entropy_keep_field(actor_config):
    data = _micro_batch(advantages=ZERO_ADV, entropy_keep=KEEP_ALL)
    del data[ENTROPY_KEEP_FIELD]
    with pytest.raises(KeyError, match=ENTROPY_KEEP_FIELD):
        asyppo_actor_loss(model_output=_model_output(), data=data, config=actor_config)


def _critic_batch(old_values_0, old_values_1, returns) -> TensorDict:
    data = _micro_batch(advantages=ZERO_ADV, entropy_keep=KEEP_ALL, extra={
        critic_values_field(0): _nested(old_values_0),
        critic_values_field(1): _nested(old_values_1),
        "values": _nested([[100.0] * n for n in RESPONSE_LENS]),  # the ensemble: must not be the clip centre
        "returns": _nested(returns),
    })
    return data


def test_each_critic_clips_around_its_own_old_values(critic_config):
    # Prediction 1.0 everywhere, returns 3.0, cliprange_value 0.5. verl's loss per token is
    # 0.5 * max((v - R)^2, (clip(v, old - 0.5, old + 0.5) - R)^2).
    # Critic 0, old values 1.0: clip keeps 1.0, loss 0.5 * 4 = 2, nothing clipped.
    # Critic 1, old values -1.0: clip gives -0.5, loss 0.5 * 3.5^2 = 6.125, every token clipped.
    prediction = {"values": _over_sequence([[1.0] * n for n in RESPONSE_LENS])}
    returns = [[3.0] * n for n in RESPONSE_LENS]
    data = _critic_batch([[1.0] * 3, [1.0] * 2], [[-1.0] * 3, [-1.0] * 2], returns)
    base = partial(value_loss, config=critic_config)
    loss_0, metrics_0 = own_old_values_loss(model_output=prediction, data=data, base_loss=base, critic_index=0)
    loss_1, metrics_1 = own_old_values_loss(model_output=prediction, data=data, base_loss=base, critic_index=1)
    assert loss_0.item() == pytest.approx(2.0)
    assert metrics_0["critic/vf_clipfrac"] == pytest.approx(0.0)
    assert loss_1.item() == pytest.approx(6.125)
    assert metrics_1["critic/vf_clipfrac"] == pytest.approx(1.0)
    # Clipping around the ensemble `values` (100) instead would give 0.5 * 96.5^2.
    ensemble_loss, _ = base(model_output=prediction, data=data)
    assert ensemble_loss.item() == pytest.approx(0.5 * 96.5**2)


def test_per_critic_loss_rebinds_a_loss_already_bound_to_another_critic(critic_config):
    base = partial(value_loss, config=critic_config)
    rebound = per_critic_loss(per_critic_loss(base, 0), 1)
    assert rebound.keywords == {"base_loss": base, "critic_index": 1}


def _prediction(response_rows) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Model output whose response values are ``response_rows``, and the flat leaf tensor to take gradients on."""
    rows = [[-99.0] * (p - 1) + list(r) + [-99.0] for p, r in zip(PROMPT_LENS, response_rows, strict=True)]
    flat = torch.tensor([v for row in rows for v in row], requires_grad=True)
    offsets = torch.tensor([0, len(rows[0]), len(rows[0]) + len(rows[1])])
    return {"values": torch.nested.nested_tensor_from_jagged(flat, offsets)}, flat


def _response_grad(flat: torch.Tensor) -> list[float]:
    """The gradient at the response positions of :func:`_prediction`'s rows, in order (the rest must be 0)."""
    grad, out, start = flat.grad.tolist(), [], 0
    for prompt_len, response_len in zip(PROMPT_LENS, RESPONSE_LENS, strict=True):
        row = grad[start:start + prompt_len + response_len]
        response = row[prompt_len - 1:prompt_len - 1 + response_len]
        assert sum(abs(g) for g in row) == pytest.approx(sum(abs(g) for g in response))
        out.extend(response)
        start += prompt_len + response_len
    return out


PREDICTED = [[1.0, 2.0, 3.0], [0.0, -1.0]]
RETURNS = [[3.0, 2.0, 0.0], [1.0, 1.0]]
FAR_OLD_VALUES = [[-5.0, -5.0, -5.0], [9.0, 9.0]]  # 0.5 clip range around them would clip every token


def test_mse_critic_loss_is_half_the_squared_error_with_the_plain_mse_gradient_whatever_the_old_values(critic_config):
    # V - R = [-2, 0, 3], [-1, -2]: loss = 0.5 * (4 + 0 + 9 + 1 + 4) / 5 = 1.8; d loss / d V_t = (V_t - R_t) / 5.
    prediction, flat = _prediction(PREDICTED)
    data = _critic_batch(FAR_OLD_VALUES, FAR_OLD_VALUES, RETURNS)
    loss, metrics = mse_value_loss(config=critic_config, model_output=prediction, data=data)
    loss.backward()
    assert loss.item() == pytest.approx(1.8)
    assert _response_grad(flat) == pytest.approx([-0.4, 0.0, 0.6, -0.2, -0.4])
    assert metrics["critic/vf_clipfrac"] == 0.0
    assert metrics["critic/vf_loss"].values[0] == pytest.approx(1.8)
    # the same through one critic's copy (which swaps in that critic's old values): nothing is read from them
    per_critic, _ = per_critic_loss(critic_loss("mse", critic_config), 1)(model_output=_prediction(PREDICTED)[0],
                                                                          data=data)
    assert per_critic.item() == pytest.approx(1.8)


def test_clipped_critic_loss_is_verls_value_loss_around_each_critics_own_old_values(critic_config):
    # Today's behaviour: verl's value_loss, cliprange_value 0.5 around the critic's own values_{i}.
    # Critic 0, old values -5 and 9: every prediction is clipped to -4.5 / 8.5, loss 0.5 * 231.25 / 5 = 23.125.
    # Critic 1, old values 1: clip to [0.5, 1.5]; max of the squared errors [4, 0.25, 9], [1, 4] gives
    # 0.5 * 18.25 / 5 = 1.825, one token of five clipped (the mse loss would be 1.8).
    data = _critic_batch(FAR_OLD_VALUES, [[1.0] * 3, [1.0] * 2], RETURNS)
    for index, expected, clipfrac in ((0, 23.125, 1.0), (1, 1.825, 0.2)):
        ours_prediction, ours_flat = _prediction(PREDICTED)
        today_prediction, today_flat = _prediction(PREDICTED)
        ours, ours_metrics = per_critic_loss(critic_loss("clipped", critic_config), index)(
            model_output=ours_prediction, data=data)
        today, today_metrics = own_old_values_loss(model_output=today_prediction, data=data,
                                                   base_loss=partial(value_loss, config=critic_config),
                                                   critic_index=index)
        ours.backward()
        today.backward()
        assert ours.item() == today.item() == pytest.approx(expected)
        assert torch.equal(ours_flat.grad, today_flat.grad)
        assert ours_metrics["critic/vf_clipfrac"] == today_metrics["critic/vf_clipfrac"] == pytest.approx(clipfrac)


def test_verls_value_loss_without_a_clip_range_is_the_mse_critic_loss_of_the_ppo_baseline(critic_config):
    # the entry point gives stock verl's critic (symmetric PPO) critic.cliprange_value=inf for critic_loss=mse
    unclipped = dataclasses.replace(critic_config, cliprange_value=math.inf)
    data = _critic_batch(FAR_OLD_VALUES, FAR_OLD_VALUES, RETURNS)
    data["values"] = _nested(FAR_OLD_VALUES)
    stock_prediction, stock_flat = _prediction(PREDICTED)
    mse_prediction, mse_flat = _prediction(PREDICTED)
    stock, stock_metrics = value_loss(config=unclipped, model_output=stock_prediction, data=data)
    mse, _ = mse_value_loss(config=critic_config, model_output=mse_prediction, data=data)
    stock.backward()
    mse.backward()
    assert stock.item() == mse.item() == pytest.approx(1.8)
    assert torch.equal(stock_flat.grad, mse_flat.grad)
    assert stock_metrics["critic/vf_clipfrac"] == 0.0


def test_every_critic_loss_name_the_config_accepts_has_a_loss(critic_config):
    assert tuple(VALUE_LOSSES) == CRITIC_LOSSES
    with pytest.raises(ValueError, match="asyppo.critic_loss must be one of"):
        critic_loss("huber", critic_config)
