"""Running verl's ``main_ppo`` body under our own hydra entry point.

``verl.trainer.main_ppo.main`` (verl/trainer/main_ppo.py:167) is decorated with ``@hydra.main`` for verl's own config;
its body (``auto_set_device``, ``validate_config``, then ``run_ppo`` with the V1 task runner) is what a run needs after
our config is composed. No public function runs that same body (``run_ppo`` skips the device setup and validation),
so we call the undecorated function that ``functools.wraps`` keeps as ``__wrapped__``.
"""

from __future__ import annotations

from omegaconf import DictConfig


def run_verl_main(config: DictConfig) -> None:
    """verl's ``main_ppo`` body on an already composed ``config`` (device setup, validation, Ray, TaskRunner)."""
    from verl.trainer.main_ppo import main as verl_main

    verl_main.__wrapped__(config)
