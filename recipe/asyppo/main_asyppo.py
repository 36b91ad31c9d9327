"""Entry point: ``python -m recipe.asyppo.main_asyppo [hydra overrides]``.

Composes ``config/asyppo_trainer.yaml`` (verl's ``ppo_trainer`` plus the ``asyppo:`` and ``budget:`` sections),
prepares it (:func:`recipe.asyppo.integration.launch.prepare`: the checks the dry run makes too, the reward function,
the critic loss of every critic, the trainer mode, the modules every Ray process imports, among them the ``hf``
rollout's plugin when the run selects it), keeps the metrics of earlier launches of the run
(:func:`recipe.asyppo.integration.history.prepare_metrics_history`; verl's file logger truncates its file at every
launch), and then runs verl's own ``main_ppo`` body unchanged. With ``asyppo.enable=true`` the run is AsyPPO; with
``asyppo.enable=false`` it is stock verl (PPO with one critic, or GRPO without one); ``budget.wall_clock_s`` caps the
training time of either.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from recipe.asyppo.integration.history import prepare_metrics_history
from recipe.asyppo.integration.launch import prepare
from recipe.asyppo.verl_compat.entry import run_verl_main


@hydra.main(config_path="config", config_name="asyppo_trainer", version_base=None)
def main(config: DictConfig) -> None:
    """Prepare the config and the metric history, then run verl's ``main_ppo`` body (device setup, validation, Ray,
    TaskRunner)."""
    prepare(config)
    prepare_metrics_history(config)
    run_verl_main(config)


if __name__ == "__main__":
    main()
