"""Per-critic settings of the critic ensemble worker (no Ray): model path, seed, separate optimizer config,
checkpoint directories, and the worker subclass that carries the settings into Ray processes."""

from __future__ import annotations

import pickle

import cloudpickle
import pytest
from hydra import compose, initialize_config_module
from verl.utils.config import omega_conf_to_dataclass
from verl.workers.config import TrainingWorkerConfig

from recipe.asyppo.integration.critic_workers import (
    AsyCriticWorker,
    CriticEnsembleSpec,
    critic_checkpoint_dir,
    critic_training_config,
    ensemble_worker_cls,
)


@pytest.fixture(scope="module")
def base_config(tiny_models) -> TrainingWorkerConfig:
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        cfg = compose(config_name="ppo_trainer", overrides=[
            f"critic.model.path={tiny_models[1]}", "critic.ppo_micro_batch_size_per_gpu=2", "critic.strategy=fsdp2",
        ])
    critic = omega_conf_to_dataclass(cfg.critic)
    return TrainingWorkerConfig(model_type="value_model", model_config=critic.model, engine_config=critic.engine,
                                optimizer_config=critic.optim, checkpoint_config=critic.checkpoint)


def test_a_critic_with_its_own_model_path_loads_that_model(base_config, tiny_models):
    actor_dir = tiny_models[0]
    own = critic_training_config(base_config, str(actor_dir), seed=7)
    assert own.model_config.path == str(actor_dir)
    assert own.model_config.hf_config.hidden_size == 64  # the actor-sized model; the critic base has 32
    assert base_config.model_config.hf_config.hidden_size == 32


def test_each_critic_gets_its_seed_and_a_separate_optimizer_config(base_config):
    own = critic_training_config(base_config, None, seed=43)
    assert own.engine_config.seed == 43 and base_config.engine_config.seed == 42
    assert own.model_config is base_config.model_config  # same path: the loaded config is shared
    assert own.optimizer_config == base_config.optimizer_config
    assert own.optimizer_config is not base_config.optimizer_config


def test_null_seeds_become_engine_seed_plus_critic_index():
    assert CriticEnsembleSpec(model_paths=(None, None, None)).resolve_seeds(42) == (42, 43, 44)
    assert CriticEnsembleSpec(model_paths=(None, None), seeds=(5, 9)).resolve_seeds(42) == (5, 9)
    with pytest.raises(ValueError, match="one model path"):
        CriticEnsembleSpec(model_paths=(None, None), seeds=(5,))


def test_critic_checkpoints_live_in_one_directory_each():
    assert critic_checkpoint_dir("/ckpt/global_step_3/critic", 1) == "/ckpt/global_step_3/critic/critic_1"
    assert critic_checkpoint_dir(None, 0) is None


def test_worker_subclass_carries_the_spec_and_pickles_by_value():
    spec = CriticEnsembleSpec(model_paths=("/m/a", None), seeds=(1, 2))
    worker_cls = ensemble_worker_cls(spec)
    assert issubclass(worker_cls, AsyCriticWorker) and worker_cls.spec == spec
    assert AsyCriticWorker.spec is None
    assert pickle.loads(cloudpickle.dumps(worker_cls)).spec == spec
