"""The critics' value-model loader, replacing ``verl.utils.model.load_valuehead_model``.

verl 0.9.1 builds each model's ``hf_config`` with ``model.override_config.attn_implementation`` (default
``flash_attention_2``) and loads the actor with it, but ``load_valuehead_model`` (verl/utils/model.py:641, the critic
loader of the FSDP value-model engine) hard-codes ``attn_implementation="flash_attention_2"``; without flash-attn it
fails with the misleading "not a value head model, please install trl". verl has no hook for the loader (the engine
imports it by name inside ``FSDPEngineWithValueHead``'s model build, verl/workers/engine/fsdp/transformer_impl.py:291),
so :func:`install_value_model_loader` rebinds the module attribute to :func:`load_value_model`, which loads the same
``AutoModelForTokenClassification`` with the configured implementation and computes its value head in float32
(:mod:`recipe.asyppo.verl_compat.value_head`). :mod:`recipe.asyppo.verl_compat.install_critic_loader` installs it
in every verl process; the entry point adds that module to every run (the CPU backend installs it too).
"""

from __future__ import annotations

from typing import Any

from recipe.asyppo.verl_compat.value_head import float32_value_head

_INSTALLED_FLAG = "_asyppo_value_model_loader"


def load_value_model(local_path: str, torch_dtype: Any, model_config: Any, trust_remote_code: bool) -> Any:
    """The critic as ``AutoModelForTokenClassification`` (one label) with ``model_config``'s attention implementation.

    Same signature as ``verl.utils.model.load_valuehead_model``, whose ``model_config`` already has ``num_labels=1``
    and ``_attn_implementation`` from ``model.override_config.attn_implementation``. Unlike verl's loader it has no
    fallback to trl's value-head wrapper (every causal LM in transformers with a token-classification head, Qwen
    and Llama included, loads directly), and its value head computes in float32
    (:func:`recipe.asyppo.verl_compat.value_head.float32_value_head`), so values are not rounded to the body's bf16.
    """
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(
        pretrained_model_name_or_path=local_path,
        dtype=torch_dtype,
        config=model_config,
        attn_implementation=getattr(model_config, "_attn_implementation", None),
        trust_remote_code=trust_remote_code,
    )
    return float32_value_head(model)


def install_value_model_loader() -> None:
    """Make verl's value-model engine load critics with :func:`load_value_model`; idempotent.

    verl's FSDP engine imports ``load_valuehead_model`` from ``verl.utils.model`` when it builds the model, so
    rebinding the module attribute reaches it.
    """
    import verl.utils.model as model_utils

    if getattr(model_utils, _INSTALLED_FLAG, False):
        return
    model_utils.load_valuehead_model = load_value_model
    setattr(model_utils, _INSTALLED_FLAG, True)
