"""verl's private V1-trainer methods, overridden once and routed to public, well-named methods of our trainers.

verl 0.9.1's V1 trainer (``verl/trainer/ppo/v1/trainer_base.py``) has public hooks for the loop (``on_step_end``,
``on_train_end``, ...) but none for the steps of a PPO update, for the worker classes or for metrics logged with a
step: those are private methods (``_compute_values``, ``_update_critic``, ...). The classes here are the only place
that overrides or calls them. Each override below names the upstream method and line; subclasses implement the
public methods instead, and ``tests/recipe/test_verl_contract.py`` notices when one of the upstream methods changes.

- :class:`SyncTrainerHooks`: verl's synchronous trainer under another registry name (``_build_replay_buffer``), with
  extra metrics logged per step (``_consume_sync_metrics``) and public names for checkpointing and validation
  (``_save_checkpoint``, ``_validate``). Used by the wall-clock budget (:mod:`recipe.asyppo.integration.budget`).
- :class:`CriticEnsembleTrainerHooks`: also the critic worker class (``_init_resource_pool_mgr``), the actor loss
  (``_setup``) and the four update steps (``_compute_values``, ``_compute_advantage``, ``_update_critic``,
  ``_update_actor``). Used by the AsyPPO trainer (:mod:`recipe.asyppo.integration.trainer`).
"""

from __future__ import annotations

from typing import Any

import ray
from transfer_queue import KVBatchMeta
from verl.trainer.ppo.utils import Role
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from recipe.asyppo.verl_compat import SYNC_TRAINER_MODE


class SyncTrainerHooks(PPOTrainerSync):
    """verl's ``PPOTrainerSync`` registered under another name, with public names for the private calls we need."""

    def _build_replay_buffer(self):
        """verl ``PPOTrainer._build_replay_buffer`` (trainer_base.py:139), called from ``__init__``.

        verl selects its synchronous replay buffer, dataloader refill and checkpoint code by ``trainer_mode ==
        "sync"`` (trainer_base.py:153, 731, 902, 1004, 1499), read from ``trainer.v1.trainer_mode``. A synchronous
        trainer registered under its own name declares itself ``"sync"`` before the base class builds anything.
        """
        self.trainer_mode = SYNC_TRAINER_MODE
        return super()._build_replay_buffer()

    def _consume_sync_metrics(self) -> dict:
        """verl ``PPOTrainer._consume_sync_metrics`` (trainer_base.py:674): the metrics ``fit`` logs with the step
        that just ended, after ``on_step_end``. Adds :meth:`step_end_metrics`."""
        metrics = super()._consume_sync_metrics()
        metrics.update(self.step_end_metrics())
        return metrics

    def step_end_metrics(self) -> dict[str, float]:
        """Metrics to log with the step that just ended, computed in ``on_step_end``; none here."""
        return {}

    def save_checkpoint(self) -> None:
        """verl's checkpoint of the current step (``PPOTrainer._save_checkpoint``, trainer_base.py:948)."""
        self._save_checkpoint()

    def validate(self) -> dict[str, Any]:
        """verl's validation pass; its metrics (``PPOTrainer._validate``, trainer_base.py:1031)."""
        return self._validate()


class CriticEnsembleTrainerHooks(SyncTrainerHooks):
    """The synchronous trainer with its critic worker, actor loss and update steps supplied by public methods.

    verl's ``_step_once`` (trainer_base.py:562) calls, after rollout and the old/ref log-probs: values (if a critic),
    advantage, critic update (if a critic), actor update (unless ``trainer.critic_warmup`` is still running).
    Subclasses implement :meth:`critic_worker_cls`, :meth:`critic_loss_fn`, :meth:`actor_loss_fn`,
    :meth:`compute_values`, :meth:`compute_advantages`, :meth:`update_critics` and :meth:`update_actor`;
    :meth:`verl_update_actor` is verl's own actor update.
    """

    # ------------------------------------------------------------------------------- private verl methods
    def _init_resource_pool_mgr(self):
        """verl ``PPOTrainer._init_resource_pool_mgr`` (trainer_base.py:788) maps ``Role.Critic`` to
        ``ray.remote(TrainingWorker)``; the mapping is replaced by :meth:`critic_worker_cls` (the same pool)."""
        super()._init_resource_pool_mgr()
        if Role.Critic in self.role_worker_mapping:
            self.role_worker_mapping[Role.Critic] = ray.remote(self.critic_worker_cls())

    def _setup(self):
        """verl ``PPOTrainer._setup`` (trainer_base.py:226) builds the workers and installs verl's clipped value loss
        on the critic; the critic then gets :meth:`critic_loss_fn` and the actor :meth:`actor_loss_fn`, through the
        public ``set_loss_fn`` of their worker groups."""
        super()._setup()
        self.critic_wg.set_loss_fn(self.critic_loss_fn())
        self.actor_rollout_wg.set_loss_fn(self.actor_loss_fn())

    def _compute_values(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl ``PPOTrainer._compute_values`` (trainer_base.py:1721) -> :meth:`compute_values`."""
        return self.compute_values(batch, metrics)

    def _compute_advantage(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl ``PPOTrainer._compute_advantage`` (trainer_base.py:1743) -> :meth:`compute_advantages`."""
        return self.compute_advantages(batch, metrics)

    def _update_critic(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl ``PPOTrainer._update_critic`` (trainer_base.py:1804) -> :meth:`update_critics`."""
        return self.update_critics(batch, metrics)

    def _update_actor(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl ``PPOTrainer._update_actor`` (trainer_base.py:1827) -> :meth:`update_actor`."""
        return self.update_actor(batch, metrics)

    def verl_update_actor(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        """verl's own actor update (``PPOTrainer._update_actor``): mini-batch settings, ``update_actor`` on the
        workers, metrics under ``actor/`` and ``perf/mfu/actor``."""
        return super()._update_actor(batch, metrics)

    # ------------------------------------------------------------------------ what subclasses implement
    def critic_worker_cls(self) -> type:
        """The (not yet ``ray.remote``) worker class on ``Role.Critic``; built with ``config=`` only."""
        raise NotImplementedError

    def critic_loss_fn(self) -> Any:
        """The critics' value loss function, ``fn(model_output, data, dp_group) -> (loss, metrics)``."""
        raise NotImplementedError

    def actor_loss_fn(self) -> Any:
        """The actor's loss function, ``fn(model_output, data, dp_group) -> (loss, metrics)``."""
        raise NotImplementedError

    def compute_values(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        raise NotImplementedError

    def compute_advantages(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        raise NotImplementedError

    def update_critics(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        raise NotImplementedError

    def update_actor(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        raise NotImplementedError
