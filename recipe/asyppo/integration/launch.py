"""What a launch decides before verl starts: :func:`prepare`, shared by the entry point and the dry run.

``python -m recipe.asyppo.main_asyppo`` and ``python -m recipe.asyppo.scripts.check_config`` (the launch scripts'
``--dry-run``) both call :func:`prepare`, so a dry run refuses exactly what a launch refuses, with the same message.
It parses the ``asyppo:`` section (:meth:`recipe.asyppo.integration.config.AsyPPOConfig.of`), fills in the reward
function, gives every critic the value loss of ``asyppo.critic_loss`` (:func:`apply_critic_loss`), selects the V1
trainer mode (``asyppo`` for AsyPPO; ``sync_budget`` for a stock run with ``budget.wall_clock_s``) and names the
modules every Ray process must import (``VERL_USE_EXTERNAL_MODULES``).
"""

from __future__ import annotations

import importlib
import logging
import math
import os

from omegaconf import DictConfig, OmegaConf, open_dict

from recipe.asyppo.integration import hf_rollout
from recipe.asyppo.integration.config import AsyPPOConfig, check_against_trainer
from recipe.asyppo.integration.reward import reward_function_path
from recipe.asyppo.verl_compat import SYNC_TRAINER_MODE

logger = logging.getLogger(__name__)

TRAINER_MODE = "asyppo"
"""``trainer.v1.trainer_mode`` of the AsyPPO trainer (:mod:`recipe.asyppo.integration.trainer`)."""
BUDGET_TRAINER_MODE = "sync_budget"
"""``trainer.v1.trainer_mode`` of verl's synchronous trainer with the wall-clock budget (stock PPO/GRPO)."""
BUDGET_KEY = "budget.wall_clock_s"
"""The training-time budget, in seconds (null: none); see :mod:`recipe.asyppo.integration.budget`."""
TRAINER_MODULE = "recipe.asyppo.integration.trainer"
BUDGET_MODULE = "recipe.asyppo.integration.budget"
CRITIC_LOADER_PLUGIN = "recipe.asyppo.verl_compat.install_critic_loader"
EXTERNAL_MODULES_ENV = "VERL_USE_EXTERNAL_MODULES"
ROLLOUT_NAME_KEY = "actor_rollout_ref.rollout.name"


def wall_clock_budget_s(config: DictConfig) -> float | None:
    """``budget.wall_clock_s`` of ``config`` as seconds, or None when unset.

    Raises:
        ValueError: not a positive number (the message names the key).
    """
    value = OmegaConf.select(config, BUDGET_KEY, default=None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{BUDGET_KEY} must be a positive number of seconds or null, got {value!r}")
    return float(value)


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
    :func:`recipe.asyppo.integration.losses.mse_value_loss`). This is how stock verl's single critic
    (``asyppo.enable=false``, the symmetric PPO baseline) gets the same value loss as the mini-critics, and the
    resolved config of either run says that nothing is clipped; the AsyPPO trainer installs
    :func:`~recipe.asyppo.integration.losses.mse_value_loss` itself. ``clipped`` leaves ``critic.cliprange_value`` as
    configured (verl's default 0.5).
    """
    if asyppo.critic_loss == "mse":
        with open_dict(config):
            config.critic.cliprange_value = math.inf


def external_modules(asyppo: AsyPPOConfig, config: DictConfig) -> list[str]:
    """The modules every Ray process of the run imports: the critic loader always, the AsyPPO trainer or the
    budget trainer when selected, the ``hf`` rollout's plugin when ``actor_rollout_ref.rollout.name`` is one of
    :data:`recipe.asyppo.integration.hf_rollout.ROLLOUT_NAMES` (a GPU run has no CPU platform plugin to register
    it)."""
    modules = [CRITIC_LOADER_PLUGIN]
    if asyppo.enable:
        modules.insert(0, TRAINER_MODULE)
    elif OmegaConf.select(config, BUDGET_KEY) is not None:
        modules.append(BUDGET_MODULE)
    if OmegaConf.select(config, ROLLOUT_NAME_KEY) in hf_rollout.ROLLOUT_NAMES:
        modules.append(hf_rollout.PLUGIN_MODULE)
    return modules


def prepare(config: DictConfig) -> AsyPPOConfig:
    """Check and complete ``config`` (in place) for a launch; return the parsed ``asyppo:`` section.

    - ``reward.custom_reward_function.path`` null: the project's math reward (:func:`reward_function_path`);
    - ``asyppo.critic_loss`` (either run, AsyPPO or stock): :func:`apply_critic_loss`;
    - ``asyppo.enable=true``: the section is checked against the verl settings and ``trainer.v1.trainer_mode``
      becomes ``asyppo`` (a warning when it was not ``sync``);
    - ``budget.wall_clock_s`` is checked; a stock run with it gets ``sync_budget`` (it needs ``sync``).

    Every Ray process imports :func:`external_modules` (added to ``VERL_USE_EXTERNAL_MODULES``); the trainer module
    is also imported here, to register its trainer mode in this process.

    Raises:
        AsyPPOConfigError: a bad ``asyppo.*`` value or one that conflicts with the verl settings.
        ValueError: a bad ``budget.wall_clock_s``, or a budget on a stock run whose trainer mode is not ``sync``.
        FileNotFoundError: the reward module is not installed and no reward path is set.
    """
    asyppo = AsyPPOConfig.of(config)
    budget_s = wall_clock_budget_s(config)
    mode = config.trainer.v1.trainer_mode
    if asyppo.enable:
        check_against_trainer(asyppo, config)
        if mode not in (SYNC_TRAINER_MODE, TRAINER_MODE):
            logger.warning("asyppo.enable=true replaces trainer.v1.trainer_mode=%s with %s", mode, TRAINER_MODE)
        mode = TRAINER_MODE
    elif budget_s is not None:
        if mode not in (SYNC_TRAINER_MODE, BUDGET_TRAINER_MODE):
            raise ValueError(f"{BUDGET_KEY} needs the synchronous trainer (trainer.v1.trainer_mode="
                             f"{SYNC_TRAINER_MODE}), got {mode}")
        mode = BUDGET_TRAINER_MODE
    with open_dict(config):
        if config.reward.custom_reward_function.get("path") is None:
            config.reward.custom_reward_function.path = reward_function_path()
        config.trainer.v1.trainer_mode = mode
    apply_critic_loss(asyppo, config)
    for module in external_modules(asyppo, config):
        add_external_module(config, module)
    if asyppo.enable:
        importlib.import_module(TRAINER_MODULE)
    return asyppo
