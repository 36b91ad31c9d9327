"""AsyPPO losses as verl loss functions (``fn(config, model_output, data, dp_group) -> (loss, metrics)``).

* :func:`asyppo_actor_loss` -- verl's ``ppo_loss`` (policy clipping, loss aggregation, KL loss) with the entropy
  bonus taken only over tokens the entropy filter keeps. Installed with ``actor_rollout_wg.set_loss_fn``.
* :func:`mse_value_loss` -- the paper's critic loss (``asyppo.critic_loss=mse``, the default): ``0.5 * (V - R)^2``
  aggregated as verl's ``value_loss`` aggregates, with no value clipping.
* :func:`own_old_values_loss` -- a value loss for critic ``i`` that reads that critic's own old values
  (``values_{i}``) instead of the ensemble ``values``; with ``asyppo.critic_loss=clipped`` it is verl's clipped
  ``value_loss`` clipped around them. Each critic engine gets its own copy.

The trainer stores the per-token masks in TransferQueue next to verl's fields (nested, response-aligned, like
``response_mask``); the engines hand every stored field of a micro-batch to the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from tensordict import TensorDict
from verl.trainer.ppo.core_algos import agg_loss
from verl.utils.metric import Metric
from verl.utils.torch_functional import masked_mean
from verl.workers.config import ActorConfig, CriticConfig
from verl.workers.utils.losses import ppo_loss, value_loss
from verl.workers.utils.padding import no_padding_2_padding

from recipe.asyppo.verl_compat.copies import loss_metric_aggregation

ENTROPY_KEEP_FIELD = "asyppo_entropy_keep"
ADV_MASKED_FIELD = "asyppo_adv_masked"
STD_FIELD = "asyppo_std"
LOSS_MASK_FIELD = "loss_mask"

LossFn = Callable[..., tuple[torch.Tensor, dict[str, Any]]]


def critic_values_field(critic_index: int) -> str:
    """TransferQueue field holding critic ``critic_index``'s (old) values: ``values_{i}``."""
    return f"values_{critic_index}"


def asyppo_actor_loss(
    config: ActorConfig,
    model_output: dict[str, torch.Tensor],
    data: TensorDict,
    dp_group: Any = None,
    *,
    masked_tokens_in_denominator: bool = True,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """verl's PPO actor loss with the entropy bonus restricted to tokens kept by the entropy filter.

    loss = ppo_loss_without_entropy - entropy_coeff * agg(entropy, response_mask & entropy_keep)

    ``agg`` is verl's ``agg_loss`` with the actor's ``loss_agg_mode`` and global batch info, so a filtered token
    contributes 0 to the bonus but still counts in its denominator, exactly as an advantage-masked token does in
    the policy term. With ``masked_tokens_in_denominator=False`` the trainer has written
    ``loss_mask = response_mask & ~adv_masked`` (from which the engine counts the batch's tokens) and this loss
    uses ``loss_mask`` as the response mask for every term, so advantage-masked tokens leave the policy, KL and
    entropy terms and their denominators.

    Args:
        config: the actor's ``ActorConfig`` (clip ratios, ``loss_agg_mode``, ``entropy_coeff``, KL settings).
        model_output: ``log_probs`` and, when entropy is computed, ``entropy``; nested (B, j) over the sequence.
        data: the micro-batch: verl's fields plus ``asyppo_entropy_keep`` (nested (B, j_response), 1 = keep).
        dp_group: the data-parallel group (unused; kept for verl's loss signature).
        masked_tokens_in_denominator: see above (``asyppo.masked_tokens_in_denominator``).

    Returns:
        (scalar loss, metrics) as verl's ``ppo_loss``; ``actor/entropy_loss`` is the filtered bonus.
    """
    if ENTROPY_KEEP_FIELD not in data.keys():
        raise KeyError(f"asyppo actor loss: field {ENTROPY_KEEP_FIELD!r} missing from the actor micro-batch; "
                       f"the AsyPPO trainer writes it before the actor update (fields: {sorted(data.keys())})")
    if not masked_tokens_in_denominator:
        data = data.copy()
        data["response_mask"] = data[LOSS_MASK_FIELD]
    entropy = model_output.get("entropy")
    policy_output = {key: value for key, value in model_output.items() if key != "entropy"}
    loss, metrics = ppo_loss(config, policy_output, data, dp_group)
    if entropy is None:
        return loss, metrics

    entropy = no_padding_2_padding(entropy, data)
    masks = data.select("response_mask", ENTROPY_KEEP_FIELD).to_padded_tensor()
    keep = masks["response_mask"].bool() & masks[ENTROPY_KEEP_FIELD].bool()
    entropy_loss = agg_loss(
        loss_mat=entropy, loss_mask=keep, loss_agg_mode=config.loss_agg_mode, **config.global_batch_info
    )
    loss = loss - config.entropy_coeff * entropy_loss
    metrics["actor/entropy_loss"] = Metric(value=entropy_loss, aggregation=loss_metric_aggregation(config, data))
    return loss, metrics


def mse_value_loss(
    config: CriticConfig,
    model_output: dict[str, torch.Tensor],
    data: TensorDict,
    dp_group: Any = None,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """The paper's critic loss, ``asyppo.critic_loss=mse``: ``0.5 * agg((V - R)^2)`` over response tokens, no clipping.

    The paper trains mini-critic m on its shard D_m with ``E_{D_m}[(V(s_t; phi_m) - R_t)^2]``. We keep verl's factor
    1/2 and its aggregation (``critic.loss_agg_mode`` over the global mini-batch, as ``value_loss`` does), so the
    loss and its gradient are half the paper's expression and ``critic/vf_loss`` compares directly with a clipped
    run's (and with stock verl's). This is
    ``verl.workers.utils.losses.value_loss`` (verl 0.9.1, verl/workers/utils/losses.py:147) with the clipped term of
    ``compute_value_loss`` (verl/trainer/ppo/core_algos.py:2171) left out; old values are not read.

    Args:
        config: the critic's ``CriticConfig`` (``loss_agg_mode``, ``loss_scale_factor``; ``cliprange_value`` unused).
        model_output: ``values`` predicted now, nested (B, j) over the sequence.
        data: the critic's micro-batch: ``returns`` and ``response_mask`` (nested, response-aligned) and verl's
            global batch info (``dp_size``, ``batch_num_tokens``, ``global_batch_size``).
        dp_group: the data-parallel group (unused; kept for verl's loss signature).

    Returns:
        (scalar loss, metrics) with verl's critic metric names; ``critic/vf_clipfrac`` is 0 (nothing is clipped).
    """
    predicted = no_padding_2_padding(model_output["values"], data)  # (B, T_response)
    padded = data.select("returns", "response_mask").to_padded_tensor()
    response_mask = padded["response_mask"].bool()
    loss = 0.5 * agg_loss(
        loss_mat=(predicted - padded["returns"]) ** 2, loss_mask=response_mask, loss_agg_mode=config.loss_agg_mode,
        dp_size=data["dp_size"], batch_num_tokens=data["batch_num_tokens"],
        global_batch_size=data["global_batch_size"], loss_scale_factor=config.loss_scale_factor,
    )
    metrics = {
        "critic/vf_loss": Metric(value=loss, aggregation=loss_metric_aggregation(config, data)),
        "critic/vf_clipfrac": 0.0,
        "critic/vpred_mean": masked_mean(predicted, response_mask).detach().item(),
    }
    return loss, metrics


VALUE_LOSSES: dict[str, LossFn] = {"mse": mse_value_loss, "clipped": value_loss}
"""``asyppo.critic_loss`` -> the loss function (its keys are
:data:`recipe.asyppo.integration.config.CRITIC_LOSSES`)."""


def critic_loss(name: str, config: CriticConfig) -> LossFn:
    """The value loss named by ``asyppo.critic_loss`` with the critic config bound; per critic, see
    :func:`per_critic_loss`. ``clipped`` is verl's own ``value_loss`` (what verl's trainer installs)."""
    if name not in VALUE_LOSSES:
        raise ValueError(f"asyppo.critic_loss must be one of {tuple(VALUE_LOSSES)}, got {name!r}")
    return partial(VALUE_LOSSES[name], config=config)


def own_old_values_loss(
    model_output: dict[str, torch.Tensor],
    data: TensorDict,
    dp_group: Any = None,
    *,
    base_loss: LossFn,
    critic_index: int,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Critic ``critic_index``'s value loss: ``base_loss`` with ``values`` := that critic's ``values_{i}``.

    verl's ``value_loss`` (``asyppo.critic_loss=clipped``) clips the new prediction to ``values +- cliprange_value``;
    in an ensemble each critic must be clipped around its own old prediction, not the ensemble's.
    :func:`mse_value_loss` reads no old values, so the swap changes nothing for it.

    Args:
        model_output: ``values`` predicted now, nested over the sequence.
        data: the critic's micro-batch holding ``values_{critic_index}`` and ``returns`` (nested, response-aligned).
        dp_group: the data-parallel group, passed through.
        base_loss: a value loss with its config bound (:func:`critic_loss`).
        critic_index: which critic this engine is.
    """
    field = critic_values_field(critic_index)
    if field not in data.keys():
        raise KeyError(f"critic {critic_index} value loss: field {field!r} missing from the micro-batch "
                       f"(fields: {sorted(data.keys())})")
    data = data.copy()
    data["values"] = data[field]
    return base_loss(model_output=model_output, data=data, dp_group=dp_group)


def per_critic_loss(base_loss: LossFn, critic_index: int) -> LossFn:
    """``base_loss`` bound to critic ``critic_index``'s own old values (see :func:`own_old_values_loss`)."""
    if isinstance(base_loss, partial) and base_loss.func is own_old_values_loss:
        base_loss = base_loss.keywords["base_loss"]
    return partial(own_old_values_loss, base_loss=base_loss, critic_index=critic_index)
