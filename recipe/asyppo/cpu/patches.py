"""The two places where verl 0.9.1 cannot be reached by registration or subclassing on CPU, patched in one function.

Applied by :func:`recipe.asyppo.cpu.plugin.activate` only when ``VERL_PLATFORM=cpu``; nothing here runs otherwise.
"""

from __future__ import annotations

import functools
from typing import Any

_PATCHED_FLAG = "_asyppo_cpu_patched"


def apply_verl_cpu_patches() -> None:
    """Patch verl for CPU training; idempotent.

    1. Process group backend. ``verl.utils.distributed.initialize_global_process_group_ray`` builds the backend
       string ``f"cpu:gloo,{device}:{backend}"``, which on the CPU platform is ``"cpu:gloo,cpu:gloo"``; torch rejects
       it ("Duplicate device type cpu"). ``TrainingWorker.__init__`` calls the function with no backend and there is
       no hook in between, so the wrapper passes ``backend="cpu:gloo"`` when none is given. It is rebound in
       ``verl.workers.engine_workers``, which imported the function by name.
    2. Value model attention. ``verl.utils.model.load_valuehead_model`` (used by the FSDP value-model engine for the
       critic) hard-codes ``attn_implementation="flash_attention_2"`` in ``from_pretrained``, which fails without
       flash-attn (surfacing as the misleading "not a value head model, please install trl"). The replacement loads
       the same ``AutoModelForTokenClassification`` with the attention implementation of the model config that verl
       already built from ``model.override_config.attn_implementation`` (``sdpa`` in our CPU overrides).
    """
    import verl.utils.distributed as distributed
    import verl.utils.model as model_utils
    import verl.workers.engine_workers as engine_workers

    if getattr(distributed, _PATCHED_FLAG, False):
        return
    original_init = distributed.initialize_global_process_group_ray

    @functools.wraps(original_init)
    def initialize_gloo_process_group(timeout_second: int | None = None, backend: str | None = None) -> None:
        return original_init(timeout_second=timeout_second, backend=backend or "cpu:gloo")

    distributed.initialize_global_process_group_ray = initialize_gloo_process_group
    engine_workers.initialize_global_process_group_ray = initialize_gloo_process_group
    model_utils.load_valuehead_model = load_token_classification_value_model
    setattr(distributed, _PATCHED_FLAG, True)


def load_token_classification_value_model(
    local_path: str, torch_dtype: Any, model_config: Any, trust_remote_code: bool
) -> Any:
    """The critic as ``AutoModelForTokenClassification`` (one label) with ``model_config``'s attention implementation.

    Same signature as ``verl.utils.model.load_valuehead_model``; ``model_config.num_labels`` is already 1 there.
    """
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification.from_pretrained(
        pretrained_model_name_or_path=local_path,
        dtype=torch_dtype,
        config=model_config,
        attn_implementation=getattr(model_config, "_attn_implementation", None) or "sdpa",
        trust_remote_code=trust_remote_code,
    )
