"""The AsyPPO trainer: verl's synchronous V1 trainer with a mini-critic ensemble (``trainer.v1.trainer_mode=asyppo``).

verl's training step runs rollout, old/ref log-probs, then the four steps implemented here, which follow the
paper's Algorithm 1 in order (verl's private step methods call them through
:class:`recipe.asyppo.verl_compat.trainer_hooks.CriticEnsembleTrainerHooks`):

1. :meth:`~AsyPPOTrainer.compute_values` -- every critic predicts a value for every token (``values_{i}``).
2. :meth:`~AsyPPOTrainer.compute_advantages` -- ensemble value and sigma, GAE on the ensemble (lambda_actor for the
   advantages, lambda_critic for the returns), the advantage mask (lowest-sigma tokens get advantage 0) and the
   entropy filter (highest-sigma tokens leave the entropy bonus).
3. :meth:`~AsyPPOTrainer.update_critics` -- each critic trains on its own disjoint shard of the batch, with the
   value loss ``asyppo.critic_loss`` (default ``mse``, the paper's; ``clipped``, verl's clipped loss around its own
   old values).
4. :meth:`~AsyPPOTrainer.update_actor` -- verl's PPO actor update with
   :func:`recipe.asyppo.integration.losses.asyppo_actor_loss`.

The rules themselves are the pure functions of :mod:`recipe.asyppo.core.algorithm`; this module moves data between
TransferQueue (TQ) and the workers and calls them. Every TQ put writes one field and the handle it returns is the
one used afterwards (workers only receive the fields listed on the handle).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import ray
import torch
import transfer_queue as tq
from omegaconf import DictConfig
from tensordict import TensorDict
from transfer_queue import KVBatchMeta
from verl.protocol import DataProto
from verl.trainer.ppo.padding_utils import upsample_batch_to_divisible_size
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.utils.config import omega_conf_to_dataclass
from verl.workers.utils.padding import response_from_nested, response_to_nested

from recipe.asyppo.core import metrics as asy_metrics
from recipe.asyppo.core.algorithm import (
    AdvantageResult,
    QuantileMask,
    compute_asyppo_advantages,
    critic_shard_ids,
    highest_std_mask,
    lowest_std_mask,
    tie_break_seed,
)
from recipe.asyppo.core.token_classes import classify, token_class_table
from recipe.asyppo.integration.budget import WallClockBudgetMixin
from recipe.asyppo.integration.config import (
    AsyPPOConfig,
    check_against_trainer,
    critic_dp_size,
    per_critic_mini_batch_size,
)
from recipe.asyppo.integration.critic_workers import CRITIC_INDEX_KEY, CriticEnsembleSpec, ensemble_worker_cls
from recipe.asyppo.integration.history import keep_steps_up_to
from recipe.asyppo.integration.launch import TRAINER_MODE
from recipe.asyppo.integration.losses import (
    ADV_MASKED_FIELD,
    ENTROPY_KEEP_FIELD,
    LOSS_MASK_FIELD,
    STD_FIELD,
    LossFn,
    asyppo_actor_loss,
    critic_loss,
    critic_values_field,
)
from recipe.asyppo.verl_compat.copies import apply_reward_corrections, critic_update_info, reduce_critic_update_metrics
from recipe.asyppo.verl_compat.trainer_hooks import CriticEnsembleTrainerHooks


@dataclass
class RolloutBatch:
    """The padded (B, T) tensors of one rollout batch that the AsyPPO rules need.

    Attributes:
        rewards: (B, T) token-level rewards (scores, minus the KL penalty when ``algorithm.use_kl_in_reward``).
        critic_values: (M, B, T) every critic's values, float32 (verl's critic engine returns the model dtype,
            bf16 by default; sigma, GAE and the masks are computed from the float32 copy).
        response_mask: (B, T) 1 on response tokens.
        responses: (B, T) int64 response token ids (for the mask diagnostics).
        sample_mask: (B,) bool, False on verl's padding samples.
        entropy: (B, T) actor entropy at rollout time, or None (bypass mode computes none).
        data: the DataProto the rewards were computed in (holds rollout-correction outputs, if any).
        corrected: verl's rollout correction ran (it may have rewritten ``response_mask`` and added weights).
    """

    rewards: torch.Tensor
    critic_values: torch.Tensor
    response_mask: torch.Tensor
    responses: torch.Tensor
    sample_mask: torch.Tensor
    entropy: torch.Tensor | None
    data: DataProto
    corrected: bool = False

    @property
    def valid(self) -> torch.Tensor:
        """(B, T) bool: response tokens of real samples."""
        return self.response_mask.bool() & self.sample_mask[:, None]


@register_trainer(TRAINER_MODE)
class AsyPPOTrainer(WallClockBudgetMixin, CriticEnsembleTrainerHooks):
    """verl's synchronous PPO trainer with M mini-critics, advantage masking and entropy filtering, and the
    ``budget.wall_clock_s`` stop of :mod:`recipe.asyppo.integration.budget`."""

    def __init__(self, config: DictConfig):
        self.asyppo = AsyPPOConfig.of(config)
        check_against_trainer(self.asyppo, config)
        self.lam_actor, self.lam_critic = self.asyppo.resolve_lams(config.algorithm.lam)
        super().__init__(config)

    # ------------------------------------------------------------------------------------------------ setup
    def critic_worker_cls(self) -> type:
        """The M-critic ensemble worker on verl's ``Role.Critic`` (model paths and seeds from ``asyppo:``)."""
        paths = self.asyppo.critic_model_paths or (None,) * self.asyppo.num_critics
        return ensemble_worker_cls(CriticEnsembleSpec(model_paths=tuple(paths), seeds=self.asyppo.critic_seeds))

    def critic_loss_fn(self) -> LossFn:
        """``asyppo.critic_loss`` for every critic (replacing the clipped value loss verl's setup installs)."""
        return critic_loss(self.asyppo.critic_loss, omega_conf_to_dataclass(self.config.critic))

    def actor_loss_fn(self) -> LossFn:
        """verl's PPO actor loss with the entropy filter (:func:`.losses.asyppo_actor_loss`)."""
        actor_config = omega_conf_to_dataclass(self.config.actor_rollout_ref.actor)
        return partial(asyppo_actor_loss, config=actor_config,
                       masked_tokens_in_denominator=self.asyppo.masked_tokens_in_denominator)

    def on_init_end(self) -> None:
        """After the checkpoint (if any) is loaded: the shard log keeps only the steps up to it (none when fresh)."""
        super().on_init_end()
        if self.asyppo.shard_log_path:
            keep_steps_up_to(self.asyppo.shard_log_path, self.global_steps)

    # ------------------------------------------------------------------------- 1. values from every critic
    def compute_values(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """Every critic predicts values for every token of the batch; stored response-aligned as ``values_{i}``."""
        batch.extra_info.update({
            "compute_loss": False,
            "temperature": self.config.actor_rollout_ref.rollout.temperature,
        })
        ray.get(self.critic_wg.infer_batch(batch).futures)
        for index in range(self.asyppo.num_critics):
            field = critic_values_field(index)
            data = self._get(batch, [field, "response_mask"])
            batch = self._put(batch, field, response_from_nested(data[field], data["response_mask"]))
        return batch

    # ------------------------------------------- 2. ensemble + sigma -> GAE -> advantage mask, entropy filter
    def compute_advantages(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """Advantages, returns and the two sigma masks for the batch, written to TQ with their metrics."""
        rollout = self._read_rollout(batch, metrics)
        result = self._gae_on_ensemble(rollout)
        adv_masked = self._advantage_mask(rollout, result, metrics)
        entropy_filtered = self._entropy_filter(rollout, result, metrics)
        advantages = result.advantages.masked_fill(adv_masked, 0.0)
        metrics.update(asy_metrics.critic_value_metrics(rollout.critic_values, result.returns, rollout.valid))
        metrics.update(asy_metrics.ensemble_metrics(result.values, result.returns, rollout.valid))
        metrics.update(asy_metrics.std_metrics(result.std, rollout.valid))
        metrics.update(asy_metrics.std_error_metrics(result.std, result.values, result.returns, rollout.valid,
                                                     adv_masked))
        metrics.update(asy_metrics.mask_composition_metrics(
            "adv_mask", adv_masked, rollout.valid, classify(rollout.responses, self._token_classes())))
        if rollout.entropy is not None:
            metrics.update(asy_metrics.entropy_split_metrics(rollout.entropy, rollout.valid, entropy_filtered))

        fields = {
            "advantages": advantages,
            "returns": result.returns,
            "values": result.values,
            STD_FIELD: result.std,
            ADV_MASKED_FIELD: adv_masked.long(),
            ENTROPY_KEEP_FIELD: (rollout.response_mask.bool() & ~entropy_filtered).long(),
        }
        if self.config.algorithm.use_kl_in_reward:
            fields["token_level_rewards"] = rollout.rewards
        if rollout.corrected:
            fields["response_mask"] = rollout.response_mask
            if "rollout_is_weights" in rollout.data.batch:
                fields["rollout_is_weights"] = rollout.data.batch["rollout_is_weights"]
        lengths = self._get(batch, ["response_mask"])["response_mask"]
        for name, tensor in fields.items():
            batch = self._put(batch, name, response_to_nested(tensor, lengths))
        return batch

    def _read_rollout(self, batch: KVBatchMeta, metrics: dict) -> RolloutBatch:
        """Rewards (with verl's KL penalty and rollout correction when configured), critic values and masks."""
        critic_fields = [critic_values_field(i) for i in range(self.asyppo.num_critics)]
        optional = [f for f in ("rollout_log_probs", "ref_log_prob", "entropy") if f in (batch.fields or [])]
        data = self._get(batch, ["response_mask", "responses", "rm_scores", "old_log_probs", *critic_fields,
                                 *optional])
        data, corrected = apply_reward_corrections(
            DataProto(batch=data.to_padded_tensor()), self.config, getattr(self, "kl_ctrl_in_reward", None), metrics)
        return RolloutBatch(
            rewards=data.batch["token_level_rewards"],
            critic_values=torch.stack([data.batch[f] for f in critic_fields]).float(),  # bf16 from the engines
            response_mask=data.batch["response_mask"],
            responses=data.batch["responses"],
            sample_mask=torch.tensor([not tag.get("is_padding", False) for tag in batch.tags], dtype=torch.bool),
            entropy=data.batch["entropy"] if "entropy" in data.batch else None,
            data=data,
            corrected=corrected,
        )

    def _gae_on_ensemble(self, rollout: RolloutBatch) -> AdvantageResult:
        """Ensemble value and sigma of the critics, GAE(lambda_actor) advantages and GAE(lambda_critic) returns."""
        return compute_asyppo_advantages(
            rollout.rewards, rollout.critic_values, rollout.response_mask,
            gamma=self.config.algorithm.gamma, lam_actor=self.lam_actor, lam_critic=self.lam_critic,
            aggregation=self.asyppo.value_aggregation, sample_mask=rollout.sample_mask, whiten=True,
        )

    def _advantage_mask(self, rollout: RolloutBatch, result: AdvantageResult, metrics: dict) -> torch.Tensor:
        """(B, T) bool: the tokens with the lowest sigma (``adv_mask_ratio`` of the batch), whose advantage is 0."""
        ratio = self.asyppo.adv_mask_ratio if self.asyppo.adv_mask else 0.0
        selection = lowest_std_mask(result.std, rollout.response_mask, ratio, rollout.sample_mask,
                                    self.asyppo.std_equal_tol, name="asyppo.adv_mask_ratio", seed=self._mask_seed())
        metrics.update(asy_metrics.quantile_mask_metrics("adv_mask", selection))
        return selection.mask

    def _entropy_filter(self, rollout: RolloutBatch, result: AdvantageResult, metrics: dict) -> torch.Tensor:
        """(B, T) bool: the tokens with the highest sigma (``entropy_filter_ratio``), left out of the bonus."""
        ratio = self.asyppo.entropy_filter_ratio if self.asyppo.entropy_filter else 0.0
        selection: QuantileMask = highest_std_mask(result.std, rollout.response_mask, ratio, rollout.sample_mask,
                                                   self.asyppo.std_equal_tol, name="asyppo.entropy_filter_ratio",
                                                   seed=self._mask_seed())
        metrics.update(asy_metrics.quantile_mask_metrics("entropy_filter", selection))
        return selection.mask

    def _token_classes(self) -> torch.Tensor:
        """(V,) class of every token id (:mod:`recipe.asyppo.core.token_classes`), built at the first step."""
        if getattr(self, "_token_class_table", None) is None:
            self._token_class_table = token_class_table(self.tokenizer)
        return self._token_class_table

    def _mask_seed(self) -> int:
        """Seed of the random order among tied sigma values at this step (``asyppo.tie_break_seed``, global step)."""
        return tie_break_seed(self.asyppo.tie_break_seed, self.global_steps)

    # ------------------------------------------------------------------- 3. critic updates on their shards
    def update_critics(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """Critic i trains on shard i (disjoint, ``asyppo.critic_shard``), its own mini-batches and old values."""
        shards = shard_keys(batch.keys, batch.tags, self.asyppo.num_critics, self.asyppo.critic_shard)
        self._log_shards(shards)
        per_critic = []
        for index, keys in enumerate(shards):
            per_critic.append(self._train_critic(batch, index, keys))
            metrics.update(per_critic[-1])
        metrics.update(mean_over_critics(per_critic))
        return batch

    def _train_critic(self, batch: KVBatchMeta, index: int, keys: list[str]) -> dict[str, float]:
        """One critic's PPO value update on ``keys``; returns its ``asyppo/critic_{i}/*`` metrics."""
        mini_batch_size = per_critic_mini_batch_size(self.asyppo, self.config)
        shard = batch.select_keys(keys)
        shard.extra_info = {**batch.extra_info, CRITIC_INDEX_KEY: index,
                            **critic_update_info(self.config, mini_batch_size)}
        multiple = math.lcm(mini_batch_size, critic_dp_size(self.config))
        shard = upsample_batch_to_divisible_size(shard, multiple, self.tokenizer.eos_token_id)
        start = time.perf_counter()
        output = self.critic_wg.train_mini_batch(shard).get()
        seconds = time.perf_counter() - start
        added = shard.keys[len(keys):]
        if added:
            tq.kv_clear(keys=added, partition_id=shard.partition_id)
        reduced = reduce_critic_update_metrics(output)
        return asy_metrics.critic_update_metrics(index, reduced, num_samples=len(keys), seconds=seconds)

    def _log_shards(self, shards: list[list[str]]) -> None:
        """Append one JSON line per critic (step, critic, sample keys) to ``asyppo.shard_log_path`` if set.

        A resumed launch has already dropped the lines of steps after its checkpoint (:meth:`on_init_end`), so every
        step appears once per critic.
        """
        if not self.asyppo.shard_log_path:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.asyppo.shard_log_path)), exist_ok=True)
        with open(self.asyppo.shard_log_path, "a") as f:
            for index, keys in enumerate(shards):
                f.write(json.dumps({"step": self.global_steps, "critic": index, "keys": keys}) + "\n")

    # -------------------------------------------------------------------- 4. actor update with entropy mask
    def update_actor(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl's actor update; the installed loss reads ``asyppo_entropy_keep`` (and ``loss_mask``, see below).

        With ``asyppo.masked_tokens_in_denominator=false`` the actor's ``loss_mask`` (which verl's engine counts
        for the loss denominator) becomes ``response_mask & ~adv_masked`` first; the critics have already trained
        on the unchanged one.

        ``trainer.critic_warmup=N`` means N critic-only steps (verl's documented meaning): the actor first moves at
        step N+1. verl 0.9.1's ``_step_once`` already skips this call before step N but makes it at step N (N-1
        critic-only steps, one fewer than its config comment says); the skip here covers step N.
        The update itself is verl's (:meth:`verl_update_actor`).
        """
        if self.global_steps <= self.config.trainer.critic_warmup:
            return batch
        if not self.asyppo.masked_tokens_in_denominator:
            data = self._get(batch, ["response_mask", ADV_MASKED_FIELD]).to_padded_tensor()
            kept = data["response_mask"].bool() & ~data[ADV_MASKED_FIELD].bool()
            lengths = self._get(batch, ["response_mask"])["response_mask"]
            batch = self._put(batch, LOSS_MASK_FIELD, response_to_nested(kept.long(), lengths))
        start = time.perf_counter()
        batch = self.verl_update_actor(batch, metrics)
        metrics["asyppo/actor/update_time_s"] = time.perf_counter() - start
        return batch

    # ---------------------------------------------------------------------------------------- TQ helpers
    @staticmethod
    def _get(batch: KVBatchMeta, fields: list[str]) -> TensorDict:
        return tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=fields)

    @staticmethod
    def _put(batch: KVBatchMeta, field: str, value: torch.Tensor) -> KVBatchMeta:
        """Write one field; return the new handle (it lists the new field) with the old batch info."""
        updated = tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id,
                                  fields=TensorDict({field: value}, batch_size=len(batch)))
        updated.extra_info = dict(batch.extra_info)
        return updated


def shard_keys(keys: list[str], tags: list[dict], num_critics: int, mode: str) -> list[list[str]]:
    """Sample keys of each critic's shard (``critic_shard_ids`` on verl's ``{uid}_{session_id}_{turn}`` keys).

    verl's padding samples (tag ``is_padding``; their loss mask is 0, so they train nothing) belong to no shard in
    the rule; they are dealt round-robin so that shards keep equal sizes.
    """
    real = torch.tensor([not tag.get("is_padding", False) for tag in tags], dtype=torch.bool)
    prompt_ids, response_index = [], []
    for key in keys:
        uid, session, _ = key.rsplit("_", 2)
        prompt_ids.append(uid)
        response_index.append(int(session))
    shard_of = critic_shard_ids(prompt_ids, torch.tensor(response_index), num_critics, mode, sample_mask=real)
    shards: list[list[str]] = [[] for _ in range(num_critics)]
    for key, shard in zip(keys, shard_of.tolist(), strict=True):
        if shard >= 0:
            shards[shard].append(key)
    padding = [key for key, shard in zip(keys, shard_of.tolist(), strict=True) if shard < 0]
    for position, key in enumerate(padding):
        shards[position % num_critics].append(key)
    return shards


def mean_over_critics(per_critic: list[dict[str, float]]) -> dict[str, float]:
    """verl's names holding the mean over critics of each ``asyppo/critic_{i}/*`` metric: ``critic/*`` (memory too:
    ``critic/perf/max_memory_allocated_gb``), but ``perf/mfu/critic`` for the MFU (as ``PPOTrainer._update_critic``)."""
    sums: dict[str, list[float]] = {}
    for index, critic_metrics in enumerate(per_critic):
        prefix = f"{asy_metrics.PREFIX}/critic_{index}/"
        for key, value in critic_metrics.items():
            name = key.removeprefix(prefix)
            sums.setdefault(name if name.startswith("perf/mfu/") else "critic/" + name, []).append(value)
    return {key: float(np.mean(values)) for key, values in sums.items()}
