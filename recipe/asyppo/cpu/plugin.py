"""verl plugin entry: import this module in every verl process to make ``VERL_PLATFORM=cpu`` work.

verl imports the modules named in ``VERL_USE_EXTERNAL_MODULES`` at the end of ``import verl``, in the driver and in
every Ray worker (workers of a local Ray cluster inherit the driver's environment; ``cpu_overrides`` also puts the
variables into ``ray_kwargs.ray_init.runtime_env``). So ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin``
reaches all processes of a run.

Importing always registers the ``cpu`` platform class (inert: auto-detection never selects it). Only when
``VERL_PLATFORM=cpu`` does it also :func:`activate`. What touches verl's internals (registry writes, the process-group
patch, the critic loader) is in :mod:`recipe.asyppo.verl_compat`; this module only decides what to apply.
"""

from __future__ import annotations

from recipe.asyppo.cpu.platform import PLATFORM_NAME, PlatformCPU, is_cpu_platform_requested
from recipe.asyppo.integration.hf_rollout import register_hf_rollout
from recipe.asyppo.verl_compat.cpu_backend import register_engines_for_device, use_gloo_process_group
from recipe.asyppo.verl_compat.critic_loader import install_value_model_loader

__all__ = ["PLATFORM_NAME", "PlatformCPU", "activate"]


def activate() -> None:
    """Make this process CPU-ready for verl; idempotent.

    1. verl's FSDP engines for device ``cpu`` (verl registers them for cuda/npu only).
    2. the ``hf`` rollout (alias ``hf_cpu``; :mod:`recipe.asyppo.integration.hf_rollout`), by name: its module is
       imported only when verl asks.
    3. gloo for the training workers' process group (verl would build ``"cpu:gloo,cpu:gloo"``).
    4. the critic loader with the configured attention (``sdpa`` in the CPU overrides; verl hard-codes
       flash-attention 2).
    """
    register_engines_for_device(PLATFORM_NAME)
    register_hf_rollout()
    use_gloo_process_group()
    install_value_model_loader()


if is_cpu_platform_requested():
    activate()
