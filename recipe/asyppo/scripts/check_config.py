"""Dry run of a launch: compose the AsyPPO trainer config with hydra overrides, validate it, print it resolved.

``python -m recipe.asyppo.scripts.check_config [hydra overrides...]`` (what the launch scripts' ``--dry-run`` runs)
composes ``recipe/asyppo/config/asyppo_trainer.yaml`` exactly as ``python -m recipe.asyppo.main_asyppo`` would,
fills in the reward function path and (with ``asyppo.enable=true``) the ``asyppo`` trainer mode as the entry point
does, and then checks, without starting Ray, importing the trainer or loading weights:

* the ``asyppo:`` section and its batch-size constraints (``recipe.asyppo.config``) when ``asyppo.enable=true``;
* verl's own checks (``verl.utils.config.validate_config``: batch-size divisibility, micro-batch settings, actor and
  critic dataclass conversion) and the dataclass conversion of the rollout, algorithm and model sections;
  converting a model section reads ``config.json`` and the tokenizer from its path, so model paths must exist;
* that the rollout's tensor parallel size divides the GPUs.

The resolved config goes to stdout as YAML; verl's own messages go to stderr. Exit status 1 with the error on stderr
when a check fails.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
CONFIG_NAME = "asyppo_trainer"


def compose(overrides: list[str]) -> DictConfig:
    """The trainer config composed from ``asyppo_trainer.yaml`` and ``overrides`` (not yet resolved)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides))


def validate(config: DictConfig) -> None:
    """Run the entry point's config preparation and every static check on ``config`` (modified in place, resolved).

    Raises:
        ValueError: a failed check (verl raises ValueError/AssertionError subclasses; ``AsyPPOConfigError`` is one).
        AssertionError: a failed verl assertion.
    """
    from verl.trainer.config import AlgoConfig
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.workers.config import HFModelConfig, RolloutConfig

    from recipe.asyppo.config import AsyPPOConfig, check_against_trainer
    from recipe.asyppo.main_asyppo import TRAINER_MODE, reward_function_path

    asyppo = AsyPPOConfig.from_section(config.get("asyppo"))
    with open_dict(config):
        if config.reward.custom_reward_function.get("path") is None:
            config.reward.custom_reward_function.path = reward_function_path()
        if asyppo.enable:
            config.trainer.v1.trainer_mode = TRAINER_MODE
    OmegaConf.resolve(config)
    if asyppo.enable:
        check_against_trainer(asyppo, config)
    validate_config(config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
    omega_conf_to_dataclass(config.actor_rollout_ref.rollout, RolloutConfig)
    omega_conf_to_dataclass(config.algorithm, AlgoConfig)
    omega_conf_to_dataclass(config.actor_rollout_ref.model, HFModelConfig)
    if asyppo.enable and asyppo.critic_model_paths:  # critic.model.path itself was converted by validate_config
        for path in sorted(set(asyppo.critic_model_paths)):
            critic_model = OmegaConf.merge(config.critic.model, {"path": path})
            omega_conf_to_dataclass(critic_model, HFModelConfig)
    gpus = int(config.trainer.nnodes) * int(config.trainer.n_gpus_per_node)
    tp = int(config.actor_rollout_ref.rollout.tensor_model_parallel_size)
    if gpus % tp:
        raise ValueError(
            f"actor_rollout_ref.rollout.tensor_model_parallel_size={tp} does not divide the {gpus} GPUs "
            "(trainer.nnodes * trainer.n_gpus_per_node)"
        )


def missing_data_files(config: DictConfig) -> list[str]:
    """``data.train_files`` / ``data.val_files`` entries that are not existing local files (warned about, not an
    error: a dry run before the data is built is fine)."""
    missing = []
    for key in ("train_files", "val_files"):
        files = config.data.get(key)
        for path in [files] if isinstance(files, str) else list(files or []):
            if not Path(path).expanduser().is_file():
                missing.append(f"data.{key}: {path}")
    return missing


def composed_and_validated(overrides: list[str]) -> DictConfig:
    """``compose`` then ``validate``; verl's prints go to stderr. Returns the resolved config."""
    config = compose(overrides)
    with contextlib.redirect_stdout(sys.stderr):
        validate(config)
    return config


def main(argv: list[str] | None = None) -> int:
    overrides = list(sys.argv[1:] if argv is None else argv)
    try:
        config = composed_and_validated(overrides)
    except (ValueError, AssertionError, OSError, HydraException, OmegaConfBaseException) as error:
        print(f"dry run: invalid config: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(OmegaConf.to_yaml(config))
    for entry in missing_data_files(config):
        print(f"dry run: warning: no such file for {entry}", file=sys.stderr)
    print("dry run: config is valid (nothing launched)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
