"""verl plugin entry: import this module in every verl process to make ``VERL_PLATFORM=cpu`` work.

verl imports the modules named in ``VERL_USE_EXTERNAL_MODULES`` at the end of ``import verl``, in the driver and in
every Ray worker (workers of a local Ray cluster inherit the driver's environment; ``cpu_overrides`` also puts the
variables into ``ray_kwargs.ray_init.runtime_env``). So ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin``
reaches all processes of a run.

Importing always registers the ``cpu`` platform class (inert: auto-detection never selects it). Only when
``VERL_PLATFORM=cpu`` does it also :func:`activate`: register verl's FSDP engines for the ``cpu`` device, register the
``hf`` rollout (alias ``hf_cpu``; :mod:`recipe.asyppo.hf_rollout`), and apply
:func:`recipe.asyppo.cpu.patches.apply_verl_cpu_patches`.
"""

from __future__ import annotations

from recipe.asyppo.cpu.platform import PLATFORM_NAME, PlatformCPU, is_cpu_platform_requested

__all__ = ["PLATFORM_NAME", "PlatformCPU", "activate", "register_cpu_engines"]


def register_cpu_engines() -> None:
    """Register verl's FSDP/FSDP2 actor and value engines for device ``cpu`` (verl registers them for cuda/npu)."""
    from verl.workers.engine import EngineRegistry
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead, FSDPEngineWithValueHead

    for model_type, engine_cls in (("language_model", FSDPEngineWithLMHead), ("value_model", FSDPEngineWithValueHead)):
        backends = [b for b in ("fsdp", "fsdp2") if PLATFORM_NAME not in EngineRegistry._engines[model_type][b]]
        if backends:
            EngineRegistry.register(model_type=model_type, backend=backends, device=PLATFORM_NAME)(engine_cls)


def activate() -> None:
    """Make this process CPU-ready for verl: engines, the ``hf`` rollout, and the documented patches."""
    from recipe.asyppo.cpu.patches import apply_verl_cpu_patches
    from recipe.asyppo.hf_rollout import register_hf_rollout

    register_cpu_engines()
    register_hf_rollout()
    apply_verl_cpu_patches()


if is_cpu_platform_requested():
    activate()
