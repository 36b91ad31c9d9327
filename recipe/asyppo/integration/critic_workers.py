"""The mini-critic ensemble as ONE Ray worker class on verl's ``Role.Critic``.

:class:`AsyCriticWorker` owns M verl ``TrainingWorker`` value-model engines in each of its processes (the pattern
of actor + ref inside ``ActorRolloutRefWorker``). Each critic has its own model path, value-head seed, optimizer,
checkpoint directory (``critic/critic_{i}``) and value loss (``asyppo.critic_loss``; ``clipped`` clips around the
critic's own old values). The trainer talks to
it through verl's critic API (``reset``, ``set_loss_fn``, ``infer_batch``, ``train_mini_batch``,
``save_checkpoint``, ``load_checkpoint``); ``infer_batch`` runs every critic on the whole batch and returns
``values_{i}`` for each, ``train_mini_batch`` trains the critic named by ``critic_index`` in the batch info.

verl's ``_setup`` builds the critic worker with ``config=`` only, so the per-critic settings travel on a subclass
made by :func:`ensemble_worker_cls` (the class is pickled by value into every worker process).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass
from typing import ClassVar

import torch
from tensordict import TensorDict
from verl.single_controller.base import Worker
from verl.single_controller.base.decorator import Dispatch, make_nd_compute_dataproto_dispatch_fn, register
from verl.utils import tensordict_utils as tu
from verl.utils.profiler import DistProfiler, DistProfilerExtension
from verl.workers.config import TrainingWorkerConfig
from verl.workers.engine_workers import TrainingWorker

from recipe.asyppo.integration.losses import LossFn, critic_values_field, per_critic_loss

CRITIC_INDEX_KEY = "asyppo_critic_index"
MESH = "train"


@dataclass(frozen=True)
class CriticEnsembleSpec:
    """Per-critic settings: ``model_paths[i]`` (None: ``critic.model.path``) and ``seeds[i]`` of critic i
    (``seeds=None``: the critic engine's seed + i, so the critics' fresh value heads differ)."""

    model_paths: tuple[str | None, ...]
    seeds: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not self.model_paths or (self.seeds is not None and len(self.seeds) != len(self.model_paths)):
            raise ValueError(f"CriticEnsembleSpec needs one model path (or None) and one seed per critic, got "
                             f"{len(self.model_paths)} paths and seeds {self.seeds}")

    @property
    def num_critics(self) -> int:
        return len(self.model_paths)

    def resolve_seeds(self, base_seed: int) -> tuple[int, ...]:
        """``seeds``, or ``base_seed + i`` for critic i when null."""
        if self.seeds is not None:
            return tuple(int(s) for s in self.seeds)
        return tuple(int(base_seed) + i for i in range(self.num_critics))


def critic_checkpoint_dir(path: str | None, critic_index: int) -> str | None:
    """Checkpoint directory of critic ``critic_index`` under verl's critic directory: ``{path}/critic_{i}``."""
    return None if path is None else os.path.join(path, f"critic_{critic_index}")


def critic_training_config(base: TrainingWorkerConfig, model_path: str | None, seed: int) -> TrainingWorkerConfig:
    """A critic's own ``TrainingWorkerConfig``: copies of the engine/optimizer configs, its model path and seed."""
    model_config = base.model_config
    if model_path is not None and model_path != model_config.path:
        model_config = dataclasses.replace(
            model_config, path=model_path, hf_config_path=None, tokenizer_path=None, local_path=None,
            local_hf_config_path=None, local_tokenizer_path=None, hf_config=None, generation_config=None,
        )
    return dataclasses.replace(
        base, model_config=model_config, engine_config=dataclasses.replace(base.engine_config, seed=seed),
        optimizer_config=copy.deepcopy(base.optimizer_config),
    )


class AsyCriticWorker(Worker, DistProfilerExtension):
    """M value-model engines behind verl's critic worker API; see the module docstring.

    ``spec`` is set on the subclass from :func:`ensemble_worker_cls`; without it the worker holds one critic with
    the config's own path and seed (verl's single critic).
    """

    spec: ClassVar[CriticEnsembleSpec | None] = None

    def __init__(self, config: TrainingWorkerConfig):
        Worker.__init__(self)
        DistProfilerExtension.__init__(self, DistProfiler(rank=self.rank, config=config.profiler_config))
        spec = self.spec or CriticEnsembleSpec(model_paths=(None,))
        self.seeds = spec.resolve_seeds(config.engine_config.seed)
        self.critics = [
            TrainingWorker(config=critic_training_config(config, path, seed))
            for path, seed in zip(spec.model_paths, self.seeds, strict=True)
        ]
        self.set_dispatch_collect(mesh_name=MESH, **self.critics[0].get_dispatch_collect())

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def reset(self) -> None:
        """Build (or rebuild) every critic engine; critic i's new value head is drawn after manual_seed(seed_i)."""
        for seed, critic in zip(self.seeds, self.critics, strict=True):
            torch.manual_seed(seed)
            critic.reset()

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def set_loss_fn(self, loss_fn: LossFn) -> None:
        """Give critic i ``loss_fn`` applied to its own old values ``values_{i}`` (see ``losses.per_critic_loss``)."""
        for index, critic in enumerate(self.critics):
            critic.set_loss_fn(per_critic_loss(loss_fn, index))

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def to(self, device: str, model: bool = True, optimizer: bool = True, grad: bool = True) -> None:
        for critic in self.critics:
            critic.to(device, model=model, optimizer=optimizer, grad=grad)

    @register(dispatch_mode=make_nd_compute_dataproto_dispatch_fn(mesh_name=MESH), blocking=False)
    def infer_batch(self, data: TensorDict) -> TensorDict | None:
        """Values of every critic for every token: ``values_{i}`` (nested over each sequence, as verl's ``values``).

        Returns None on ranks that do not collect outputs, as ``TrainingWorker.infer_batch`` does.
        """
        outputs = [critic.infer_batch(data.copy()) for critic in self.critics]
        if outputs[0] is None:
            return None
        return tu.get_tensordict({critic_values_field(i): output["values"] for i, output in enumerate(outputs)})

    @register(dispatch_mode=make_nd_compute_dataproto_dispatch_fn(mesh_name=MESH), blocking=False)
    def train_mini_batch(self, data: TensorDict) -> TensorDict | None:
        """Train the critic named by ``asyppo_critic_index`` on ``data`` (its shard) with verl's mini-batch loop."""
        index = tu.pop(data, key=CRITIC_INDEX_KEY, default=None)
        if index is None or not 0 <= int(index) < len(self.critics):
            raise ValueError(f"train_mini_batch needs {CRITIC_INDEX_KEY} in [0, {len(self.critics)}) in the batch "
                             f"info, got {index!r}")
        return self.critics[int(index)].train_mini_batch(data)

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def save_checkpoint(self, local_path, hdfs_path=None, global_step=0, max_ckpt_to_keep=None) -> None:
        """Save critic i (model, optimizer, scheduler) under ``{local_path}/critic_{i}``."""
        for index, critic in enumerate(self.critics):
            critic.save_checkpoint(
                critic_checkpoint_dir(local_path, index), critic_checkpoint_dir(hdfs_path, index), global_step,
                max_ckpt_to_keep,
            )

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def load_checkpoint(self, local_path, hdfs_path=None, del_local_after_load=False) -> None:
        """Restore critic i from ``{local_path}/critic_{i}``; a missing directory is an error naming it."""
        for index, critic in enumerate(self.critics):
            path = critic_checkpoint_dir(local_path, index)
            if not os.path.isdir(path):
                raise FileNotFoundError(f"no checkpoint for critic {index} at {path} (saved with a different "
                                        f"asyppo.num_critics?)")
            critic.load_checkpoint(path, critic_checkpoint_dir(hdfs_path, index), del_local_after_load)


def ensemble_worker_cls(spec: CriticEnsembleSpec) -> type[AsyCriticWorker]:
    """A subclass of :class:`AsyCriticWorker` carrying ``spec`` (verl passes the critic worker only ``config=``)."""
    name = f"AsyCriticWorker{spec.num_critics}"
    return type(name, (AsyCriticWorker,), {"spec": spec, "__qualname__": name})
