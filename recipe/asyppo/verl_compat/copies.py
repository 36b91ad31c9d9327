"""The upstream bodies the recipe copies, each with its verl 0.9.1 origin and why it is a copy, not a call.

- :func:`apply_reward_corrections`: steps 1-2 of ``PPOTrainer._compute_advantage`` (KL penalty in the reward,
  rollout correction). The AsyPPO advantage replaces step 3 (verl's GAE on one critic), and verl has no function
  for the steps before it.
- :func:`critic_update_info` and :func:`reduce_critic_update_metrics`: the mini-batch settings and the metric names
  of ``PPOTrainer._update_critic``; each mini-critic trains on its own shard with its own mini-batch size.
- :func:`resume_step`: the checkpoint-folder rule of ``PPOTrainer._load_checkpoint``, which the metric history must
  know before verl starts (verl only applies it inside the trainer).
- :func:`loss_metric_aggregation`: the SUM/MEAN rule of ``verl.workers.utils.losses.ppo_loss`` for a loss metric
  (used for the filtered entropy bonus of the AsyPPO actor loss).

``tests/recipe/test_verl_contract.py`` fingerprints each origin, so an upgrade that changes one fails with its name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tensordict import TensorDict
from verl.protocol import DataProto
from verl.trainer.ppo.ray_trainer import apply_kl_penalty
from verl.trainer.ppo.rollout_corr_helper import compute_rollout_correction_and_add_to_batch
from verl.utils.metric import AggregationType, reduce_metrics
from verl.utils.py_functional import rename_dict


def apply_reward_corrections(data: DataProto, config: Any, kl_ctrl: Any, metrics: dict) -> tuple[DataProto, bool]:
    """``token_level_rewards`` with verl's KL penalty, and verl's rollout correction; returns (data, corrected).

    Copy of ``PPOTrainer._compute_advantage`` steps 1-2 (verl/trainer/ppo/v1/trainer_base.py:1750-1772):
    ``token_level_scores := rm_scores``; the KL penalty when ``algorithm.use_kl_in_reward`` (``kl_ctrl`` is the
    trainer's ``kl_ctrl_in_reward``); rollout correction (IS weights, rejection) when
    ``algorithm.rollout_correction`` is set, rollout log-probs exist and it is not in bypass mode. Their metrics go
    into ``metrics``. ``corrected`` says the correction ran (it may rewrite ``response_mask``, add
    ``rollout_is_weights``).

    Args:
        data: a padded batch holding ``rm_scores``, ``response_mask``, ``old_log_probs`` and, when present,
            ``rollout_log_probs`` and ``ref_log_prob``; (B, T) each.
        config: the whole trainer config (``config.algorithm`` is read).
    """
    data.batch["token_level_scores"] = data.batch["rm_scores"]
    if config.algorithm.use_kl_in_reward:
        data, kl_metrics = apply_kl_penalty(data, kl_ctrl=kl_ctrl, kl_penalty=config.algorithm.kl_penalty)
        metrics.update(kl_metrics)
    else:
        data.batch["token_level_rewards"] = data.batch["token_level_scores"]
    correction = config.algorithm.get("rollout_correction", None)
    corrected = (correction is not None and "rollout_log_probs" in data.batch
                 and not correction.get("bypass_mode", False))
    if corrected:
        data, correction_metrics = compute_rollout_correction_and_add_to_batch(data, correction)
        metrics.update(correction_metrics)
    return data, corrected


def critic_update_info(config: Any, mini_batch_size: int) -> dict[str, Any]:
    """The batch info of a critic's ``train_mini_batch`` with ``mini_batch_size`` samples per mini-batch.

    Copy of the settings of ``PPOTrainer._update_critic`` (trainer_base.py:1806-1815), which uses
    ``critic.ppo_mini_batch_size * rollout.n`` for the one critic.
    """
    return {
        "global_batch_size": mini_batch_size,
        "mini_batch_size": mini_batch_size,
        "epochs": config.critic.ppo_epochs,
        "seed": config.critic.data_loader_seed,
        "dataloader_kwargs": {"shuffle": config.critic.shuffle},
        "temperature": config.actor_rollout_ref.rollout.temperature,
    }


def reduce_critic_update_metrics(output: TensorDict | Mapping[str, Any]) -> dict[str, float]:
    """verl's metric names and reduction of one critic update's output (``train_mini_batch``'s result).

    Copy of ``PPOTrainer._update_critic`` (trainer_base.py:1819-1822): every metric under ``critic/``, except the
    MFU, logged as ``perf/mfu/critic``.
    """
    metrics = rename_dict(output["metrics"], "critic/")
    if "critic/mfu" in metrics:
        metrics["perf/mfu/critic"] = metrics.pop("critic/mfu")
    return reduce_metrics(metrics)


def resume_step(trainer: Mapping[str, Any]) -> int | None:
    """The global step verl's trainer will resume from, or None when it starts fresh; ``trainer`` is the
    ``trainer:`` config section.

    Copy of the folder rule of ``PPOTrainer._load_checkpoint`` (trainer_base.py:850-876): ``disable`` starts fresh;
    ``auto`` takes ``find_latest_ckpt_path(default_local_dir)`` (relative to the working directory), none found
    starts fresh; ``resume_path`` takes ``resume_from_path``; the step is the number after ``global_step_``.
    """
    from verl.utils.checkpoint.checkpoint_manager import find_latest_ckpt_path

    mode = trainer["resume_mode"]
    if mode == "auto":
        folder = find_latest_ckpt_path(os.path.abspath(trainer["default_local_dir"]))
    elif mode == "resume_path":
        folder = trainer.get("resume_from_path")
    else:
        folder = None
    if not folder or "global_step_" not in str(folder):
        return None
    return int(str(folder).split("global_step_")[-1])


def loss_metric_aggregation(config: Any, data: TensorDict) -> AggregationType:
    """SUM when the loss is normalised over the global batch (each micro-batch adds a partial sum), else MEAN.

    Copy of the rule in ``verl.workers.utils.losses.ppo_loss`` (verl/workers/utils/losses.py:72-81).
    """
    global_norm = (
        data["dp_size"] > 1
        or data["batch_num_tokens"] is not None
        or data["global_batch_size"] is not None
        or config.loss_scale_factor is not None
    )
    return AggregationType.SUM if global_norm else AggregationType.MEAN
