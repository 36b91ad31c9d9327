"""The verl internals the CPU development backend (:mod:`recipe.asyppo.cpu`) and the ``hf`` rollout
(:mod:`recipe.asyppo.integration.hf_rollout`, on CPU or CUDA) write to.

- :func:`register_engines_for_device`: verl registers its FSDP engines for cuda/npu only. Registration itself is
  public (``EngineRegistry.register``), but it asserts on a duplicate key and has no lookup by device, so a process
  remembers what it registered.
- :func:`register_rollout`: verl's rollout adapter registry is the private dict ``_ROLLOUT_REGISTRY``
  (verl/workers/rollout/base.py:89, read by ``get_rollout_class``); the replica registry is public
  (``RolloutReplicaRegistry.register``).
- :func:`set_replica_server`: a ``RolloutReplica`` reports its server through the properties ``server_handle`` and
  ``server_address``, backed by the private ``_server_handle``/``_server_address`` (verl/workers/rollout/replica.py:128)
  that every upstream ``launch_servers`` sets; there is no setter.
- :func:`use_gloo_process_group`: ``verl.utils.distributed.initialize_global_process_group_ray``
  (verl/utils/distributed.py:83) builds the backend ``f"cpu:gloo,{device}:{backend}"``, which on the CPU platform is
  ``"cpu:gloo,cpu:gloo"``; torch rejects it ("Duplicate device type cpu"). ``TrainingWorker.__init__``
  (verl/workers/engine_workers.py:89) calls it with no backend and there is no hook in between, so a wrapper passes
  ``backend="cpu:gloo"`` when none is given. It is rebound in ``verl.workers.engine_workers`` too, which imported the
  function by name.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

_REGISTERED_ENGINE_DEVICES: set[str] = set()
_GLOO_FLAG = "_asyppo_gloo_process_group"


def register_engines_for_device(device: str) -> None:
    """Register verl's FSDP/FSDP2 language-model and value-model engines for ``device``; once per process."""
    if device in _REGISTERED_ENGINE_DEVICES:
        return
    from verl.workers.engine import EngineRegistry
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead, FSDPEngineWithValueHead

    for model_type, engine_cls in (("language_model", FSDPEngineWithLMHead), ("value_model", FSDPEngineWithValueHead)):
        EngineRegistry.register(model_type=model_type, backend=["fsdp", "fsdp2"], device=device)(engine_cls)
    _REGISTERED_ENGINE_DEVICES.add(device)


def register_rollout(name: str, adapter_path: str, replica_path: str) -> None:
    """Register a rollout backend ``name`` (``actor_rollout_ref.rollout.name``); idempotent.

    Args:
        name: the rollout name.
        adapter_path: ``module.Class`` of the trainer-side ``BaseRollout`` adapter (imported by verl when needed).
        replica_path: ``module.Class`` of the ``RolloutReplica`` subclass (imported when verl asks for it).
    """
    from verl.workers.rollout.base import _ROLLOUT_REGISTRY
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    _ROLLOUT_REGISTRY[(name, "async")] = adapter_path
    RolloutReplicaRegistry.register(name, functools.partial(_load_class, replica_path))


def _load_class(path: str) -> type:
    """The class at ``module.Class`` ``path``."""
    module, _, qualname = path.rpartition(".")
    return getattr(importlib.import_module(module), qualname)


def set_replica_server(replica: Any, handle: Any, address: str) -> None:
    """Make ``replica.server_handle`` and ``replica.server_address`` report ``handle`` and ``address``."""
    replica._server_handle = handle
    replica._server_address = address


def use_gloo_process_group() -> None:
    """Make verl's training workers initialise their process group with the gloo backend only; idempotent."""
    import verl.utils.distributed as distributed
    import verl.workers.engine_workers as engine_workers

    if getattr(distributed, _GLOO_FLAG, False):
        return
    original_init = distributed.initialize_global_process_group_ray

    @functools.wraps(original_init)
    def initialize_gloo_process_group(timeout_second: int | None = None, backend: str | None = None) -> None:
        return original_init(timeout_second=timeout_second, backend=backend or "cpu:gloo")

    distributed.initialize_global_process_group_ray = initialize_gloo_process_group
    engine_workers.initialize_global_process_group_ray = initialize_gloo_process_group
    setattr(distributed, _GLOO_FLAG, True)
