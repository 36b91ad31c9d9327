"""The attention implementation of the actor and critic models: the config keys and an importability check.

verl 0.9.1 builds each model's ``hf_config`` with ``model.override_config.attn_implementation`` (default
``flash_attention_2``). The dry run checks here that the configured implementation imports on this machine. Critics
only load with it through our critic loader (:mod:`recipe.asyppo.verl_compat.critic_loader`; verl's own loader
hard-codes flash-attention 2).
"""

from __future__ import annotations

import importlib

from omegaconf import DictConfig, OmegaConf

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
