"""Entry point: ``python -m recipe.asyppo.main_asyppo [hydra overrides]``.

Composes ``config/asyppo_trainer.yaml`` (verl's ``ppo_trainer`` plus the ``asyppo:`` section), fills in the
math reward function when ``reward.custom_reward_function.path`` is null, and then runs verl's own ``main_ppo``
body unchanged. With ``asyppo.enable=true`` it first validates the section, selects the ``asyppo`` V1 trainer mode
and makes every Ray process import the module that registers it; with ``asyppo.enable=false`` the run is stock
verl (PPO with one critic, or GRPO without one). Either way ``asyppo.critic_loss`` sets the value loss of every
critic (:func:`apply_critic_loss`), so a symmetric PPO baseline trains its critic as AsyPPO trains the mini-critics,
the metrics of earlier launches of the run are kept (:func:`recipe.asyppo.history.prepare_metrics_history`; verl's
file logger truncates its file at every launch), and
``budget.wall_clock_s`` caps the training time (:mod:`recipe.asyppo.budget`; a stock run then uses the trainer mode
``sync_budget``).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os

import hydra
from omegaconf import DictConfig, OmegaConf, open_dict

from recipe.asyppo import hf_rollout
from recipe.asyppo.config import AsyPPOConfig, check_against_trainer
from recipe.asyppo.history import prepare_metrics_history

logger = logging.getLogger(__name__)

TRAINER_MODE = "asyppo"
TRAINER_MODULE = "recipe.asyppo.trainer"
BUDGET_MODULE = "recipe.asyppo.budget"
BUDGET_KEY = "budget.wall_clock_s"
ATTENTION_PLUGIN = "recipe.asyppo.attention_plugin"
REWARD_MODULE = "rewards.verl_reward"
EXTERNAL_MODULES_ENV = "VERL_USE_EXTERNAL_MODULES"
ROLLOUT_NAME_KEY = "actor_rollout_ref.rollout.name"


def reward_function_path() -> str:
    """File path of the installed ``rewards/verl_reward.py`` (verl loads reward functions by file path)."""
    spec = importlib.util.find_spec(REWARD_MODULE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"cannot find module {REWARD_MODULE}; install the project (pip install -e .) or set "
            "reward.custom_reward_function.path")
    return spec.origin


def _with_module(modules: str | None, module: str) -> str:
    names = [m for m in (modules or "").split(",") if m]
    return ",".join(names if module in names else [*names, module])


def add_external_module(config: DictConfig, module: str) -> None:
    """Make ``import verl`` import ``module`` in every Ray process: append it to ``$VERL_USE_EXTERNAL_MODULES``
    (inherited by a local Ray cluster) and, when the run sets that variable in
    ``ray_kwargs.ray_init.runtime_env.env_vars`` (which then wins in Ray processes), there as well."""
    os.environ[EXTERNAL_MODULES_ENV] = _with_module(os.environ.get(EXTERNAL_MODULES_ENV), module)
    env_vars = OmegaConf.select(config, "ray_kwargs.ray_init.runtime_env.env_vars")
    if env_vars is not None and env_vars.get(EXTERNAL_MODULES_ENV) is not None:
        with open_dict(config):
            env_vars[EXTERNAL_MODULES_ENV] = _with_module(env_vars[EXTERNAL_MODULES_ENV], module)


def apply_critic_loss(asyppo: AsyPPOConfig, config: DictConfig) -> None:
    """Make verl's critic config state ``asyppo.critic_loss``: ``mse`` sets ``critic.cliprange_value`` to infinity.

    verl's clipped value loss with an infinite clip range is ``0.5 * agg(max((V - R)^2, (V - R)^2))``, the plain
    ``mse`` loss in value and gradient (``tests/recipe/test_losses.py`` checks it against
    :func:`recipe.asyppo.losses.mse_value_loss`). This is how stock verl's single critic (``asyppo.enable=false``,
    the symmetric PPO baseline) gets the same value loss as the mini-critics, and the resolved config of either run
    says that nothing is clipped; the AsyPPO trainer installs :func:`~recipe.asyppo.losses.mse_value_loss` itself.
    ``clipped`` leaves ``critic.cliprange_value`` as configured (verl's default 0.5). Call inside ``open_dict``.
    """
    if asyppo.critic_loss == "mse":
        config.critic.cliprange_value = math.inf


def prepare_config(config: DictConfig) -> AsyPPOConfig:
    """Fill in defaults that need the installed project and select the trainer; return the parsed ``asyppo:``.

    Every Ray process also imports :mod:`recipe.asyppo.attention_plugin`, so that critics load with the configured
    attention implementation (``critic.model.override_config.attn_implementation``; verl's own loader hard-codes
    flash-attention 2) and compute their value head in float32; with ``actor_rollout_ref.rollout.name=hf`` (or
    ``hf_cpu``) it also imports :mod:`recipe.asyppo.hf_rollout_plugin`, which registers that rollout.

    Raises:
        AsyPPOConfigError: a bad ``asyppo.*`` value or one that conflicts with the verl settings.
    """
    asyppo = AsyPPOConfig.from_section(config.get("asyppo"))
    with open_dict(config):
        if config.reward.custom_reward_function.get("path") is None:
            config.reward.custom_reward_function.path = reward_function_path()
        apply_critic_loss(asyppo, config)
        if asyppo.enable:
            check_against_trainer(asyppo, config)
            if config.trainer.v1.trainer_mode not in ("sync", TRAINER_MODE):
                logger.warning("asyppo.enable=true replaces trainer.v1.trainer_mode=%s with %s",
                               config.trainer.v1.trainer_mode, TRAINER_MODE)
            config.trainer.v1.trainer_mode = TRAINER_MODE
    if asyppo.enable:
        add_external_module(config, TRAINER_MODULE)
        importlib.import_module(TRAINER_MODULE)
    add_external_module(config, ATTENTION_PLUGIN)
    if OmegaConf.select(config, ROLLOUT_NAME_KEY) in hf_rollout.ROLLOUT_NAMES:
        add_external_module(config, hf_rollout.PLUGIN_MODULE)
    if OmegaConf.select(config, BUDGET_KEY) is not None:
        _select_budget_trainer(config, asyppo)
    return asyppo


def _select_budget_trainer(config: DictConfig, asyppo: AsyPPOConfig) -> None:
    """Validate ``budget.wall_clock_s``; a stock run (``asyppo.enable=false``) gets the ``sync_budget`` trainer.

    The AsyPPO trainer has the budget built in.

    Raises:
        ValueError: a budget that is not a positive number, or a stock run with another trainer mode than ``sync``.
    """
    from recipe.asyppo import budget

    budget.wall_clock_budget_s(config)
    if asyppo.enable:
        return
    mode = config.trainer.v1.trainer_mode
    if mode not in (budget.SYNC_MODE, budget.STOCK_TRAINER_MODE):
        raise ValueError(f"{BUDGET_KEY} needs the synchronous trainer (trainer.v1.trainer_mode=sync), got {mode}")
    with open_dict(config):
        config.trainer.v1.trainer_mode = budget.STOCK_TRAINER_MODE
    add_external_module(config, BUDGET_MODULE)


@hydra.main(config_path="config", config_name="asyppo_trainer", version_base=None)
def main(config: DictConfig) -> None:
    """Prepare the config and the metric history, then run verl's ``main_ppo`` body (device setup, validation, Ray,
    TaskRunner)."""
    from verl.trainer.main_ppo import main as verl_main

    prepare_config(config)
    prepare_metrics_history(config)
    verl_main.__wrapped__(config)


if __name__ == "__main__":
    main()
