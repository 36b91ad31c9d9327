"""Cost model for AsyPPO vs symmetric PPO vs GRPO: parameters, per-GPU training memory, FLOPs per step.

Run ``python -m recipe.asyppo.tools.cost --actor Qwen3-8B --critics 2x Qwen3-1.7B --gpus 8``; the assumptions are
stated in :mod:`recipe.asyppo.tools.cost.model` and printed under the table.
"""

from recipe.asyppo.tools.cost.facts import ModelFacts, known_models, load_facts
from recipe.asyppo.tools.cost.model import (
    Card,
    Setup,
    StepShape,
    activation_bytes_per_token,
    critic_memory_per_gpu,
    flops_per_step,
    headroom,
    memory_per_gpu,
    param_count,
)

__all__ = [
    "Card",
    "ModelFacts",
    "Setup",
    "StepShape",
    "activation_bytes_per_token",
    "critic_memory_per_gpu",
    "flops_per_step",
    "headroom",
    "known_models",
    "load_facts",
    "memory_per_gpu",
    "param_count",
]
