"""The ``asyppo:`` section: defaults, validation errors naming the key, checks against the verl config, and how the
entry point prepares a run (trainer mode, reward function, Ray module import)."""

from __future__ import annotations

import math
import os

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from recipe.asyppo import main_asyppo
from recipe.asyppo.integration import launch
from recipe.asyppo.integration.config import (
    AsyPPOConfig,
    AsyPPOConfigError,
    check_against_trainer,
    per_critic_mini_batch_size,
)

CONFIG_DIR = os.path.join(os.path.dirname(main_asyppo.__file__), "config")


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base=None):
        return compose(config_name="asyppo_trainer", overrides=list(overrides))


# data.train_batch_size=4 prompts x rollout.n=4 = 16 samples; critic mini-batch 2 prompts x 4 = 8 samples.
SIZES = ("data.train_batch_size=4", "actor_rollout_ref.rollout.n=4", "actor_rollout_ref.actor.ppo_mini_batch_size=2",
         "trainer.n_gpus_per_node=1")


def test_yaml_section_holds_the_documented_defaults():
    section = AsyPPOConfig.from_section(_compose().asyppo)
    assert section == AsyPPOConfig()
    assert (section.num_critics, section.critic_shard, section.value_aggregation) == (2, "response", "mean")
    assert (section.adv_mask_ratio, section.entropy_filter_ratio) == (0.2, 0.2)
    assert section.masked_tokens_in_denominator is True
    assert section.critic_loss == "mse"


def test_yaml_composes_verl_ppo_trainer_with_gae():
    config = _compose()
    assert config.algorithm.adv_estimator == "gae"
    assert config.trainer.v1.trainer_mode == "sync"
    assert config.reward.custom_reward_function.name == "compute_score"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("num_critics", 0, "asyppo.num_critics must be an integer >= 1"),
    ("critic_shard", "token", "asyppo.critic_shard must be one of"),
    ("value_aggregation", "max", "asyppo.value_aggregation must be one of"),
    ("critic_loss", "huber", r"asyppo.critic_loss must be one of \('mse', 'clipped'\), got 'huber'"),
    ("adv_mask_ratio", 1.0, r"asyppo.adv_mask_ratio must be a number in \[0, 1\)"),
    ("entropy_filter_ratio", -0.1, r"asyppo.entropy_filter_ratio must be a number in \[0, 1\)"),
    ("lam_actor", 1.5, "asyppo.lam_actor must be null or a number"),
    ("adv_mask", "yes", "asyppo.adv_mask must be a boolean"),
    ("critic_model_paths", ["a"], "asyppo.critic_model_paths must be null or a list of num_critics=2 paths"),
    ("critic_seeds", [1, 2, 3], "asyppo.critic_seeds must be null or a list of num_critics=2 integers"),
    ("critic_seeds", "12", "asyppo.critic_seeds must be a list or null"),
])
def test_bad_values_are_rejected_naming_the_key(key, value, message):
    with pytest.raises(AsyPPOConfigError, match=message):
        AsyPPOConfig.from_section({key: value})


def test_unknown_keys_are_rejected_naming_them():
    with pytest.raises(AsyPPOConfigError, match="asyppo.num_critic\\b"):
        AsyPPOConfig.from_section({"num_critic": 3})


def test_null_lambdas_fall_back_to_algorithm_lam():
    assert AsyPPOConfig().resolve_lams(0.95) == (0.95, 0.95)
    assert AsyPPOConfig(lam_actor=1.0).resolve_lams(0.95) == (1.0, 0.95)


def test_consistent_sizes_pass_and_give_each_critic_half_a_mini_batch():
    config = _compose(*SIZES)
    section = AsyPPOConfig.from_section(config.asyppo)
    check_against_trainer(section, config)
    assert per_critic_mini_batch_size(section, config) == 4


@pytest.mark.parametrize(("overrides", "message"), [
    (("asyppo.num_critics=3",), "actor_rollout_ref.rollout.n = 16 is not divisible by asyppo.num_critics=3"),
    (("actor_rollout_ref.rollout.n=3",), "rollout.n must be divisible by asyppo.num_critics=2"),
    (("asyppo.critic_shard=prompt", "data.train_batch_size=3", "actor_rollout_ref.actor.ppo_mini_batch_size=1"),
     "data.train_batch_size=3 prompts evenly"),
    (("actor_rollout_ref.actor.ppo_mini_batch_size=1", "actor_rollout_ref.rollout.n=2", "asyppo.num_critics=2",
      "trainer.n_gpus_per_node=2"), "not divisible by the critic data-parallel size 2"),
    (("algorithm.adv_estimator=grpo",), "needs algorithm.adv_estimator=gae"),
])
def test_conflicts_with_the_verl_config_name_the_keys(overrides, message):
    config = _compose(*SIZES, *overrides)
    with pytest.raises(AsyPPOConfigError, match=message):
        check_against_trainer(AsyPPOConfig.from_section(config.asyppo), config)


def test_entry_point_selects_the_asyppo_trainer_and_the_math_reward(monkeypatch):
    monkeypatch.setenv(launch.EXTERNAL_MODULES_ENV, "some.plugin")
    config = _compose(*SIZES)
    with open_dict(config):
        config.ray_kwargs.ray_init.runtime_env = {"env_vars": {launch.EXTERNAL_MODULES_ENV: "some.plugin"}}
    launch.prepare(config)
    assert config.trainer.v1.trainer_mode == "asyppo"
    assert config.reward.custom_reward_function.path.endswith(os.path.join("rewards", "verl_reward.py"))
    expected = f"some.plugin,{launch.TRAINER_MODULE},{launch.CRITIC_LOADER_PLUGIN}"
    assert os.environ[launch.EXTERNAL_MODULES_ENV] == expected
    assert config.ray_kwargs.ray_init.runtime_env.env_vars[launch.EXTERNAL_MODULES_ENV] == expected


def test_entry_point_leaves_stock_verl_alone_when_disabled_but_for_the_critic_loader(monkeypatch):
    monkeypatch.delenv(launch.EXTERNAL_MODULES_ENV, raising=False)
    config = _compose("asyppo.enable=false", "algorithm.adv_estimator=grpo", "asyppo.num_critics=3")
    launch.prepare(config)
    assert config.trainer.v1.trainer_mode == "sync"
    assert os.environ[launch.EXTERNAL_MODULES_ENV] == launch.CRITIC_LOADER_PLUGIN
    assert config.reward.custom_reward_function.path.endswith("verl_reward.py")


@pytest.mark.parametrize("enable", ["true", "false"])
def test_entry_point_turns_off_value_clipping_for_the_mse_critic_loss_of_asyppo_and_stock_ppo(enable):
    config = _compose(*SIZES, f"asyppo.enable={enable}")
    assert config.critic.cliprange_value == 0.5  # verl's default
    launch.prepare(config)
    assert config.critic.cliprange_value == math.inf


def test_entry_point_keeps_verls_value_clip_range_for_the_clipped_critic_loss():
    config = _compose("asyppo.enable=false", "asyppo.critic_loss=clipped", "critic.cliprange_value=0.2")
    launch.prepare(config)
    assert config.critic.cliprange_value == 0.2


def test_entry_point_keeps_an_explicit_reward_path():
    config = _compose("asyppo.enable=false", "reward.custom_reward_function.path=/x/my_reward.py")
    launch.prepare(config)
    assert config.reward.custom_reward_function.path == "/x/my_reward.py"
