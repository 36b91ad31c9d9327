"""The two places where verl 0.9.1 cannot be reached by registration or subclassing on CPU, patched in one function.

Applied by :func:`recipe.asyppo.cpu.plugin.activate` only when ``VERL_PLATFORM=cpu``; nothing here runs otherwise.
"""

from __future__ import annotations

import functools

_PATCHED_FLAG = "_asyppo_cpu_patched"


def apply_verl_cpu_patches() -> None:
    """Patch verl for CPU training; idempotent.

    1. Process group backend. ``verl.utils.distributed.initialize_global_process_group_ray`` builds the backend
       string ``f"cpu:gloo,{device}:{backend}"``, which on the CPU platform is ``"cpu:gloo,cpu:gloo"``; torch rejects
       it ("Duplicate device type cpu"). ``TrainingWorker.__init__`` calls the function with no backend and there is
       no hook in between, so the wrapper passes ``backend="cpu:gloo"`` when none is given. It is rebound in
       ``verl.workers.engine_workers``, which imported the function by name.
    2. Value model attention. ``verl.utils.model.load_valuehead_model`` hard-codes flash-attention 2;
       :func:`recipe.asyppo.attention.install_value_model_loader` replaces it with a loader that uses the model
       config's implementation (``sdpa`` in our CPU overrides), as GPU runs with ``ATTN_IMPLEMENTATION=sdpa`` do.
    """
    import verl.utils.distributed as distributed
    import verl.workers.engine_workers as engine_workers

    from recipe.asyppo.attention import install_value_model_loader

    if getattr(distributed, _PATCHED_FLAG, False):
        return
    original_init = distributed.initialize_global_process_group_ray

    @functools.wraps(original_init)
    def initialize_gloo_process_group(timeout_second: int | None = None, backend: str | None = None) -> None:
        return original_init(timeout_second=timeout_second, backend=backend or "cpu:gloo")

    distributed.initialize_global_process_group_ray = initialize_gloo_process_group
    engine_workers.initialize_global_process_group_ray = initialize_gloo_process_group
    install_value_model_loader()
    setattr(distributed, _PATCHED_FLAG, True)

