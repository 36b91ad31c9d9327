"""A wall-clock budget for verl's synchronous V1 trainer: stop after the step that crosses it, validate, exit.

``budget.wall_clock_s=SECONDS`` (the ``budget:`` section of ``config/asyppo_trainer.yaml``; null = no budget) caps the
training time of a run launched with ``python -m recipe.asyppo.main_asyppo``, for AsyPPO (``asyppo.enable=true``) and
for stock PPO/GRPO (``asyppo.enable=false``; the entry point then selects the trainer mode ``sync_budget``, verl's
``PPOTrainerSync`` plus this budget). Training time is counted from the start of the first training step (after model
loading and ``trainer.val_before_train``) to the end of each step, so runs of different algorithms get the same time
to learn whatever their start-up cost.

How it stops: verl's ``fit`` loop runs while ``global_steps <= total_training_steps`` and treats the step that reaches
``total_training_steps`` as the last (checkpoint, validation, return). The flag ``is_last_step`` is read before a step
starts, so a step cannot be made "last" once it has run. When a step ends past the budget, :meth:`on_step_end` sets
``total_training_steps`` to that step, which ends the loop after it; the trainer then does what verl does on a last
step: it saves a checkpoint (``trainer.save_freq > 0``) in ``on_step_end`` and runs the final validation
(``trainer.test_freq > 0``) in ``on_train_end``, logged at the same step, unless this step had already done either.
A budget never lengthens a run: ``trainer.total_training_steps``/``total_epochs`` still end it if they come first.

Logged with a budget: ``budget/elapsed_s`` (training seconds at the end of each step) and, on the step that stops,
``budget/stopped`` = 1. A resumed run starts a new budget.
"""

from __future__ import annotations

import logging
import time
from pprint import pprint
from typing import Any

from omegaconf import DictConfig
from verl.trainer.ppo.v1.trainer_base import register_trainer

from recipe.asyppo.integration.launch import BUDGET_TRAINER_MODE, wall_clock_budget_s
from recipe.asyppo.verl_compat.trainer_hooks import SyncTrainerHooks

logger = logging.getLogger(__name__)


class WallClockBudgetMixin:
    """Adds ``budget.wall_clock_s`` to a trainer built on
    :class:`recipe.asyppo.verl_compat.trainer_hooks.SyncTrainerHooks` (put it before that class in the bases).

    Inert when the budget is null: every hook then only calls the next class's.
    """

    config: DictConfig
    global_steps: int
    total_training_steps: int

    def on_train_begin(self) -> None:
        super().on_train_begin()
        self._budget_s = wall_clock_budget_s(self.config)
        self._budget_start = time.monotonic()
        self._budget_stopped_at: int | None = None
        self._budget_metrics: dict[str, float] = {}

    def on_step_end(self) -> None:
        super().on_step_end()
        if self._budget_s is None:
            return
        elapsed = time.monotonic() - self._budget_start
        self._budget_metrics = {"budget/elapsed_s": elapsed}
        if elapsed < self._budget_s or self.global_steps >= self.total_training_steps:
            return
        logger.warning("wall-clock budget %.0f s reached after step %d (%.0f s): stopping after this step",
                       self._budget_s, self.global_steps, elapsed)
        self._budget_metrics["budget/stopped"] = 1.0
        self._budget_stopped_at = self.global_steps
        self.total_training_steps = self.global_steps
        save_freq = self.config.trainer.save_freq
        if save_freq > 0 and self.global_steps % save_freq != 0:
            self.save_checkpoint()

    def step_end_metrics(self) -> dict[str, float]:
        """``budget/elapsed_s`` and, on the step that stops, ``budget/stopped``; logged with the step."""
        metrics = {**super().step_end_metrics(), **getattr(self, "_budget_metrics", {})}
        self._budget_metrics = {}
        return metrics

    def on_train_end(self) -> None:
        """verl calls this when the loop ends without its own last step, e.g. after a budget stop."""
        step = getattr(self, "_budget_stopped_at", None)
        test_freq = self.config.trainer.test_freq
        if step is not None and test_freq > 0 and step % test_freq != 0:
            self.on_validate_begin()
            val_metrics: dict[str, Any] = self.validate()
            self.on_validate_end()
            self.logger.log(data=val_metrics, step=step)
            pprint(f"Final validation metrics: {val_metrics}")
        super().on_train_end()


@register_trainer(BUDGET_TRAINER_MODE)
class BudgetPPOTrainerSync(WallClockBudgetMixin, SyncTrainerHooks):
    """verl's synchronous PPO/GRPO trainer with ``budget.wall_clock_s``; selected by the entry point."""
