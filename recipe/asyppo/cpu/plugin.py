"""verl plugin entry: import this module in every verl process to make ``VERL_PLATFORM=cpu`` work.

verl imports the modules named in ``VERL_USE_EXTERNAL_MODULES`` at the end of ``import verl``, in the driver and in
every Ray worker (workers of a local Ray cluster inherit the driver's environment; ``cpu_overrides`` also puts the
variables into ``ray_kwargs.ray_init.runtime_env``). So ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin``
reaches all processes of a run.

Importing always registers the ``cpu`` platform class (inert: auto-detection never selects it). Only when
``VERL_PLATFORM=cpu`` does it also :func:`activate`: register verl's FSDP engines for the ``cpu`` device, register the
``hf_cpu`` rollout, and apply :func:`recipe.asyppo.cpu.patches.apply_verl_cpu_patches`.
"""

from __future__ import annotations

from recipe.asyppo.cpu.platform import PLATFORM_NAME, PlatformCPU, is_cpu_platform_requested

__all__ = [
    "PLATFORM_NAME", "ROLLOUT_NAME", "PlatformCPU", "activate", "register_cpu_engines", "register_hf_cpu_rollout",
]

ROLLOUT_NAME = "hf_cpu"


def register_cpu_engines() -> None:
    """Register verl's FSDP/FSDP2 actor and value engines for device ``cpu`` (verl registers them for cuda/npu)."""
    from verl.workers.engine import EngineRegistry
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead, FSDPEngineWithValueHead

    for model_type, engine_cls in (("language_model", FSDPEngineWithLMHead), ("value_model", FSDPEngineWithValueHead)):
        backends = [b for b in ("fsdp", "fsdp2") if PLATFORM_NAME not in EngineRegistry._engines[model_type][b]]
        if backends:
            EngineRegistry.register(model_type=model_type, backend=backends, device=PLATFORM_NAME)(engine_cls)


def register_hf_cpu_rollout() -> None:
    """Register ``hf_cpu`` in verl's rollout registry and ``RolloutReplicaRegistry`` by name; idempotent."""
    from verl.workers.rollout.base import _ROLLOUT_REGISTRY
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    _ROLLOUT_REGISTRY[(ROLLOUT_NAME, "async")] = "recipe.asyppo.cpu.rollout.HFServerAdapter"
    RolloutReplicaRegistry.register(ROLLOUT_NAME, _load_hf_cpu_replica)


def _load_hf_cpu_replica() -> type:
    from recipe.asyppo.cpu.rollout import HFRolloutReplica

    return HFRolloutReplica


def activate() -> None:
    """Make this process CPU-ready for verl: engines, the ``hf_cpu`` rollout, and the documented patches."""
    from recipe.asyppo.cpu.patches import apply_verl_cpu_patches

    register_cpu_engines()
    register_hf_cpu_rollout()
    apply_verl_cpu_patches()


if is_cpu_platform_requested():
    activate()
