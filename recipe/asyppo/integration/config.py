"""The ``asyppo:`` config section: a typed, validated view of the AsyPPO settings.

``AsyPPOConfig.of(config)`` is the one reader of a run config's section (launch, dry run, trainer, cost estimate);
``AsyPPOConfig.from_section`` reads the section as written in YAML/hydra overrides and rejects unknown keys and bad
values with an error naming ``asyppo.<key>``. ``check_against_trainer`` checks the settings against the rest of the
verl config (batch sizes divisible among the critics, a critic-based advantage estimator) before any Ray process
starts. ``resolve_lams`` turns the ``null`` lambdas into ``algorithm.lam``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from recipe.asyppo.core.algorithm import AGGREGATIONS, SHARD_MODES

CRITIC_LOSSES = ("mse", "clipped")
"""``asyppo.critic_loss`` values (:data:`recipe.asyppo.integration.losses.VALUE_LOSSES` maps each to its loss)."""


class AsyPPOConfigError(ValueError):
    """A bad value in the ``asyppo:`` section or a setting that conflicts with it."""


@dataclass(frozen=True)
class AsyPPOConfig:
    """AsyPPO settings (paper terms; see README and ``config/asyppo_trainer.yaml`` for each key's meaning).

    Ratios are fractions of the valid (non-padding, in-response) tokens of one rollout batch.
    """

    enable: bool = True
    num_critics: int = 2
    critic_model_paths: tuple[str, ...] | None = None
    critic_seeds: tuple[int, ...] | None = None
    critic_shard: str = "response"
    value_aggregation: str = "mean"
    critic_loss: str = "mse"
    adv_mask: bool = True
    adv_mask_ratio: float = 0.2
    entropy_filter: bool = True
    entropy_filter_ratio: float = 0.2
    lam_actor: float | None = None
    lam_critic: float | None = None
    masked_tokens_in_denominator: bool = True
    std_equal_tol: float = 1e-6
    tie_break_seed: int = 0
    shard_log_path: str | None = None

    @classmethod
    def of(cls, config: DictConfig | Mapping[str, Any]) -> AsyPPOConfig:
        """The validated ``asyppo:`` section of a whole run config (defaults when it has none)."""
        return cls.from_section(config.get("asyppo"))

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | DictConfig | None) -> AsyPPOConfig:
        """Build and validate from the ``asyppo:`` mapping; missing keys take the defaults above."""
        if section is None:
            return cls()
        if isinstance(section, DictConfig):
            section = OmegaConf.to_container(section, resolve=True)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise AsyPPOConfigError(f"unknown key(s) in asyppo: {', '.join('asyppo.' + k for k in unknown)}; "
                                    f"known keys: {', '.join(sorted(known))}")
        values = dict(section)
        for key in ("critic_model_paths", "critic_seeds"):
            if values.get(key) is not None:
                if isinstance(values[key], str | bytes) or not isinstance(values[key], Sequence):
                    raise AsyPPOConfigError(f"asyppo.{key} must be a list or null, got {values[key]!r}")
                values[key] = tuple(values[key])
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Check each key on its own; raise ``AsyPPOConfigError`` naming the first bad key."""
        for key in ("enable", "adv_mask", "entropy_filter", "masked_tokens_in_denominator"):
            _expect(isinstance(getattr(self, key), bool), key, "a boolean", getattr(self, key))
        _expect(_is_int(self.num_critics) and self.num_critics >= 1, "num_critics", "an integer >= 1",
                self.num_critics)
        _expect(self.critic_shard in SHARD_MODES, "critic_shard", f"one of {SHARD_MODES}", self.critic_shard)
        _expect(self.value_aggregation in AGGREGATIONS, "value_aggregation", f"one of {AGGREGATIONS}",
                self.value_aggregation)
        _expect(self.critic_loss in CRITIC_LOSSES, "critic_loss", f"one of {CRITIC_LOSSES}", self.critic_loss)
        for key in ("adv_mask_ratio", "entropy_filter_ratio"):
            value = getattr(self, key)
            _expect(_is_number(value) and 0.0 <= value < 1.0, key, "a number in [0, 1)", value)
        for key in ("lam_actor", "lam_critic"):
            value = getattr(self, key)
            _expect(value is None or (_is_number(value) and 0.0 <= value <= 1.0), key, "null or a number in [0, 1]",
                    value)
        _expect(_is_number(self.std_equal_tol) and self.std_equal_tol >= 0.0, "std_equal_tol", "a number >= 0",
                self.std_equal_tol)
        if self.critic_model_paths is not None:
            _expect(len(self.critic_model_paths) == self.num_critics, "critic_model_paths",
                    f"null or a list of num_critics={self.num_critics} paths", list(self.critic_model_paths))
            _expect(all(isinstance(p, str) and p for p in self.critic_model_paths), "critic_model_paths",
                    "non-empty path strings", list(self.critic_model_paths))
        if self.critic_seeds is not None:
            _expect(len(self.critic_seeds) == self.num_critics, "critic_seeds",
                    f"null or a list of num_critics={self.num_critics} integers", list(self.critic_seeds))
            _expect(all(_is_int(s) for s in self.critic_seeds), "critic_seeds", "integers", list(self.critic_seeds))
        _expect(_is_int(self.tie_break_seed) and self.tie_break_seed >= 0, "tie_break_seed", "an integer >= 0",
                self.tie_break_seed)
        _expect(self.shard_log_path is None or isinstance(self.shard_log_path, str), "shard_log_path",
                "null or a file path", self.shard_log_path)

    def resolve_lams(self, algorithm_lam: float) -> tuple[float, float]:
        """(lam_actor, lam_critic), each falling back to ``algorithm.lam`` when null."""
        lam_actor = algorithm_lam if self.lam_actor is None else self.lam_actor
        lam_critic = algorithm_lam if self.lam_critic is None else self.lam_critic
        return float(lam_actor), float(lam_critic)


def check_against_trainer(asyppo: AsyPPOConfig, config: DictConfig) -> None:
    """Check the AsyPPO settings against the verl config; raise ``AsyPPOConfigError`` naming the keys involved.

    Each critic trains on ``train_batch_size * rollout.n / num_critics`` samples per step, in mini-batches of
    ``critic.ppo_mini_batch_size * rollout.n / num_critics`` samples split over the critic's data-parallel ranks.
    """
    m = asyppo.num_critics
    if config.algorithm.adv_estimator != "gae":
        raise AsyPPOConfigError(
            f"asyppo.enable=true needs algorithm.adv_estimator=gae (critics give the values), "
            f"got {config.algorithm.adv_estimator!r}; set asyppo.enable=false for critic-free estimators")
    if config.critic.get("enable") is False:
        raise AsyPPOConfigError("asyppo.enable=true needs the critics: critic.enable must not be false")
    n = int(config.actor_rollout_ref.rollout.n)
    train_samples = int(config.data.train_batch_size) * n
    if train_samples % m:
        raise AsyPPOConfigError(
            f"data.train_batch_size * actor_rollout_ref.rollout.n = {train_samples} is not divisible by "
            f"asyppo.num_critics={m}")
    if asyppo.critic_shard == "response" and n % m:
        raise AsyPPOConfigError(
            f"asyppo.critic_shard=response splits each prompt's actor_rollout_ref.rollout.n={n} responses evenly, "
            f"so rollout.n must be divisible by asyppo.num_critics={m}")
    if asyppo.critic_shard == "prompt" and int(config.data.train_batch_size) % m:
        raise AsyPPOConfigError(
            f"asyppo.critic_shard=prompt splits data.train_batch_size={config.data.train_batch_size} prompts evenly, "
            f"so it must be divisible by asyppo.num_critics={m}")
    mini_samples = int(config.critic.ppo_mini_batch_size) * n
    if mini_samples % m:
        raise AsyPPOConfigError(
            f"critic.ppo_mini_batch_size * actor_rollout_ref.rollout.n = {mini_samples} is not divisible by "
            f"asyppo.num_critics={m} (each critic's mini-batch is that size / num_critics)")
    per_critic_mini = mini_samples // m
    dp_size = critic_dp_size(config)
    if per_critic_mini % dp_size:
        raise AsyPPOConfigError(
            f"per-critic mini-batch critic.ppo_mini_batch_size * rollout.n / asyppo.num_critics = {per_critic_mini} "
            f"is not divisible by the critic data-parallel size {dp_size} (trainer.nnodes * trainer.n_gpus_per_node "
            f"/ ulysses_sequence_parallel_size)")
    if (train_samples // m) % per_critic_mini:
        raise AsyPPOConfigError(
            f"each critic's shard of {train_samples // m} samples is not a multiple of its mini-batch of "
            f"{per_critic_mini} (data.train_batch_size must be a multiple of critic.ppo_mini_batch_size)")


def critic_dp_size(config: DictConfig) -> int:
    """Data-parallel size of each critic engine: all trainer devices over the critic's sequence-parallel size."""
    world = int(config.trainer.nnodes) * int(config.trainer.n_gpus_per_node)
    sp = int(OmegaConf.select(config, "critic.ulysses_sequence_parallel_size", default=1) or 1)
    return max(world // sp, 1)


def per_critic_mini_batch_size(asyppo: AsyPPOConfig, config: DictConfig) -> int:
    """Samples per critic mini-batch: ``critic.ppo_mini_batch_size * rollout.n / num_critics``."""
    return int(config.critic.ppo_mini_batch_size) * int(config.actor_rollout_ref.rollout.n) // asyppo.num_critics


def _expect(ok: bool, key: str, expected: str, got: Any) -> None:
    if not ok:
        raise AsyPPOConfigError(f"asyppo.{key} must be {expected}, got {got!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
