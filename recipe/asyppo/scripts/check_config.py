"""Dry run of a launch: compose the AsyPPO trainer config with hydra overrides, validate it, print it resolved.

``python -m recipe.asyppo.scripts.check_config [hydra overrides...]`` (what the launch scripts' ``--dry-run`` runs)
composes ``recipe/asyppo/config/asyppo_trainer.yaml`` exactly as ``python -m recipe.asyppo.main_asyppo`` would,
runs the entry point's own preparation (:func:`recipe.asyppo.integration.launch.prepare`: the ``asyppo:`` section and
its batch-size constraints, ``budget.wall_clock_s``, the reward function, the critic loss (``asyppo.critic_loss``),
the trainer mode; a dry run refuses what a launch refuses, with the same message), and then checks, without starting
Ray or loading weights:

* verl's own checks (``verl.utils.config.validate_config``: batch-size divisibility, micro-batch settings, actor and
  critic dataclass conversion) and the dataclass conversion of the rollout, algorithm and model sections;
  converting a model section reads ``config.json`` and the tokenizer from its path, so model paths must exist;
* that the rollout's tensor parallel size divides the GPUs;
* that the attention implementation of the actor and (when there is one) the critic imports on this machine
  (``model.override_config.attn_implementation``, verl's default ``flash_attention_2`` needs flash-attn).

Warnings (stderr, the dry run still succeeds): missing data files; ``wandb`` among the loggers without a W&B key
(the run would stop after vLLM and the workers are up); a critic token limit per GPU that verl's V1 trainer ignores
(``critic.ppo_max_token_len_per_gpu`` differing from ``critic.ppo_infer_max_token_len_per_gpu``, which sizes the
critics' training and inference micro-batches); and the cost model's memory estimate for one GPU
(``recipe.asyppo.tools.cost.headroom``: training states + vLLM's ``gpu_memory_utilization`` share during rollout, the
training peak during training), a warning when it leaves less than 10% of the card free. The card's memory is
``$GPU_MEMORY_GIB``, else the first visible GPU's, else an 80 GB H100's.

The resolved config goes to stdout as YAML; verl's own messages go to stderr. Exit status 1 with the error on stderr
when a check fails.
"""

from __future__ import annotations

import contextlib
import netrc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

if TYPE_CHECKING:
    from recipe.asyppo.tools.cost import Card, Setup, StepShape

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
CONFIG_NAME = "asyppo_trainer"
VERL_CRITIC_INFER_TOKENS = 32768
"""verl's ``CriticConfig.ppo_infer_max_token_len_per_gpu`` default: the critic's token limit per GPU that its V1 trainer
uses when unset."""
MIN_FREE_FRACTION = 0.10


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

    from recipe.asyppo.integration import attention
    from recipe.asyppo.integration.launch import prepare

    asyppo = prepare(config)
    OmegaConf.resolve(config)
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
    keys = [attention.ACTOR_KEY] + ([attention.CRITIC_KEY] if need_critic(config) else [])
    for key in keys:
        attention.check_importable(attention.configured(config, key), key)


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


def wandb_key_available() -> bool:
    """A W&B key is set (``WANDB_API_KEY``), stored by ``wandb login`` (~/.netrc), or W&B runs offline/disabled."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_MODE") in ("offline", "disabled"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def logger_warnings(config: DictConfig) -> list[str]:
    loggers = config.trainer.logger
    loggers = [loggers] if isinstance(loggers, str) else list(loggers or [])
    if "wandb" in loggers and not wandb_key_available():
        return [f"trainer.logger={loggers} includes wandb but no W&B key is set (WANDB_API_KEY, `wandb login`): the "
                "run would stop once vLLM and the workers are up; set WANDB_API_KEY or LOGGER='[console,tensorboard]'"]
    return []


def critic_token_limit_warnings(config: DictConfig) -> list[str]:
    """A warning when ``critic.ppo_max_token_len_per_gpu`` differs from the inference limit verl's V1 trainer uses."""
    from verl.trainer.ppo.utils import need_critic

    critic = config.critic
    infer = critic.get("ppo_infer_max_token_len_per_gpu", VERL_CRITIC_INFER_TOKENS)
    if (need_critic(config) and critic.get("use_dynamic_bsz") and config.trainer.get("use_v1", True)
            and critic.ppo_max_token_len_per_gpu != infer):
        return [f"critic.ppo_max_token_len_per_gpu={critic.ppo_max_token_len_per_gpu} has no effect: verl's V1 trainer "
                f"sizes the critics' training and inference micro-batches by critic.ppo_infer_max_token_len_per_gpu="
                f"{infer}; set both (the launch scripts do)"]
    return []


def card_memory_gib() -> float:
    """``$GPU_MEMORY_GIB``, else the first visible GPU's total memory, else an 80 GB H100's."""
    from recipe.asyppo.tools.cost.model import CARD_80GB_GIB

    if os.environ.get("GPU_MEMORY_GIB"):
        return float(os.environ["GPU_MEMORY_GIB"])
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_properties(0).total_memory / 1024**3
    return CARD_80GB_GIB


def cost_inputs(config: DictConfig) -> tuple[Setup, StepShape, Card]:
    """The cost model's setup, step shape and card for a resolved config (the critics verl's V1 trainer builds and
    the micro-batch token limits it uses). Returns ``(Setup, StepShape, Card)``.

    Raises:
        ValueError: a model path whose ``config.json`` lacks a field the cost model needs.
    """
    from verl.trainer.ppo.utils import need_critic, need_reference_policy

    from recipe.asyppo.integration.config import AsyPPOConfig
    from recipe.asyppo.tools.cost import Card, Setup, StepShape, load_facts

    asyppo = AsyPPOConfig.of(config)
    critic_paths: list[str] = []
    if need_critic(config):
        critic_paths = [config.critic.model.path]
        if asyppo.enable:
            critic_paths = list(asyppo.critic_model_paths or critic_paths * asyppo.num_critics)
    actor = config.actor_rollout_ref.actor
    max_len = int(config.data.max_prompt_length) + int(config.data.max_response_length)

    def tokens_per_gpu(dynamic: bool, tokens: int | None, micro: int | None) -> int:
        return int(tokens) if dynamic else int(micro or 1) * max_len

    setup = Setup(
        "AsyPPO" if asyppo.enable else "PPO", load_facts(config.actor_rollout_ref.model.path),
        tuple(load_facts(path) for path in critic_paths), 1.0 / max(len(critic_paths), 1))
    shape = StepShape(
        prompts=int(config.data.train_batch_size), group_size=int(config.actor_rollout_ref.rollout.n),
        prompt_len=int(config.data.max_prompt_length), response_len=int(config.data.max_response_length),
        gpus=int(config.trainer.nnodes) * int(config.trainer.n_gpus_per_node),
        actor_tokens_per_gpu=tokens_per_gpu(actor.use_dynamic_bsz, actor.ppo_max_token_len_per_gpu,
                                    actor.ppo_micro_batch_size_per_gpu),
        critic_tokens_per_gpu=tokens_per_gpu(config.critic.get("use_dynamic_bsz", False),
                                     config.critic.get("ppo_infer_max_token_len_per_gpu", VERL_CRITIC_INFER_TOKENS),
                                     config.critic.get("ppo_micro_batch_size_per_gpu")),
        ppo_epochs=int(actor.ppo_epochs), use_ref=need_reference_policy(config),
    )
    card = Card(memory_gib=card_memory_gib(),
                rollout_fraction=float(config.actor_rollout_ref.rollout.gpu_memory_utilization))
    return setup, shape, card


def memory_report(config: DictConfig) -> tuple[str, list[str]]:
    """One line with the cost model's per-GPU estimate, and a warning when it leaves < 10% of the card free."""
    from recipe.asyppo.tools.cost.model import GIB, headroom

    try:
        setup, shape, card = cost_inputs(config)
    except ValueError as error:
        return f"memory estimate unavailable ({error})", []
    room = headroom(setup, shape, card)
    line = (f"memory estimate per GPU (cost model): rollout phase {room['rollout_phase'] / GIB:.1f} GiB "
            f"(training states + vLLM at gpu_memory_utilization={card.rollout_fraction:g}), training phase "
            f"{room['training_phase'] / GIB:.1f} GiB, of {card.memory_gib:.1f} GiB: {room['free_fraction']:.1%} free")
    if room["free_fraction"] >= MIN_FREE_FRACTION:
        return line, []
    return line, [
        f"the memory estimate leaves {room['free_fraction']:.1%} of a {card.memory_gib:.1f} GiB GPU free (under "
        f"{MIN_FREE_FRACTION:.0%}): lower actor_rollout_ref.rollout.gpu_memory_utilization "
        "(ROLLOUT_GPU_MEMORY_UTILIZATION), use more GPUs, or offload (actor_rollout_ref.actor.fsdp_config."
        "optimizer_offload=true, critic.fsdp.optimizer_offload=true)"]


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
    memory_line, memory_warnings = memory_report(config)
    print(f"dry run: {memory_line}", file=sys.stderr)
    warnings = [f"no such file for {entry}" for entry in missing_data_files(config)]
    warnings += logger_warnings(config) + critic_token_limit_warnings(config) + memory_warnings
    for warning in warnings:
        print(f"dry run: warning: {warning}", file=sys.stderr)
    print("dry run: config is valid (nothing launched)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
