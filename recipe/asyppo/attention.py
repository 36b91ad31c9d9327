"""The attention implementation of the actor and critic models (the config keys and an importability check), and
the critics' value-model loader.

verl 0.9.1 builds each model's ``hf_config`` with ``model.override_config.attn_implementation`` (default
``flash_attention_2``) and loads the actor with it, but ``verl.utils.model.load_valuehead_model`` (the critic loader
of the FSDP value-model engine) hard-codes ``attn_implementation="flash_attention_2"``; without flash-attn it fails
with the misleading "not a value head model, please install trl". :func:`install_value_model_loader` replaces that
loader with :func:`load_value_model`, which loads the same ``AutoModelForTokenClassification`` with the configured
implementation and computes its value head in float32 (:mod:`recipe.asyppo.value_head`).
:mod:`recipe.asyppo.attention_plugin` installs it in every verl process; the entry point adds that module to every run
(the CPU platform installs it too).
"""

from __future__ import annotations

import importlib
from typing import Any

from omegaconf import DictConfig, OmegaConf

from recipe.asyppo.value_head import float32_value_head

VERL_DEFAULT = "flash_attention_2"
# implementation -> the module it needs (None: plain torch)
IMPLEMENTATIONS: dict[str, str | None] = {
    "flash_attention_2": "flash_attn",
    "flash_attention_3": "flash_attn_interface",
    "sdpa": None,
    "eager": None,
}
ACTOR_KEY = "actor_rollout_ref.model.override_config.attn_implementation"
CRITIC_KEY = "critic.model.override_config.attn_implementation"
_INSTALLED_FLAG = "_asyppo_value_model_loader"


def configured(config: DictConfig, key: str) -> str:
    """The attention implementation ``key`` selects in ``config`` (verl's default when unset)."""
    return str(OmegaConf.select(config, key, default=None) or VERL_DEFAULT)


def check_importable(name: str, key: str) -> None:
    """Raise ``ValueError`` naming ``key`` when ``name`` is not a known implementation or its package fails to import.

    The import is real (a flash-attn built for another torch fails here with its undefined-symbol error, as it
    would in the workers).
    """
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"{key}={name!r} is not one of {', '.join(IMPLEMENTATIONS)}")
    module = IMPLEMENTATIONS[name]
    if module is None:
        return
    try:
        importlib.import_module(module)
    except (ImportError, OSError, RuntimeError) as error:
        raise ValueError(
            f"{key}={name} needs the '{module}' package, which does not import here ({type(error).__name__}: "
            f"{error}); install flash-attn (recipe/asyppo/README.md, 'Attention and flash-attn') or set "
            f"ATTN_IMPLEMENTATION=sdpa for the launch scripts"
        ) from error


def load_value_model(local_path: str, torch_dtype: Any, model_config: Any, trust_remote_code: bool) -> Any:
    """The critic as ``AutoModelForTokenClassification`` (one label) with ``model_config``'s attention implementation.

    Same signature as ``verl.utils.model.load_valuehead_model``, whose ``model_config`` already has ``num_labels=1``
    and ``_attn_implementation`` from ``model.override_config.attn_implementation``. Unlike verl's loader it has no
    fallback to trl's value-head wrapper (every causal LM in transformers with a token-classification head, Qwen
    and Llama included, loads directly), and its value head computes in float32
    (:func:`recipe.asyppo.value_head.float32_value_head`), so values are not rounded to the body's bf16.
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
