"""A critic's value head computed in float32, whatever dtype the body runs in.

verl's critic engine runs the value model in bf16 (FSDP mixed precision plus ``torch.autocast``), so each value is
rounded to bf16's 8-bit mantissa: on an H200, two fresh Qwen3-0.6B-shaped critics over 24k response tokens gave
only 5,461 distinct σ values (88.5% of tokens tied with another) even after the ensemble casts the values to float32,
so the 20% σ masks were decided by the tie-break rather than by the critics. The same bf16 body with its value head
computed in float32 (this module) gave 24,236 distinct σ (0.0% tied; fp32 critics: 0.1%): the coarse grid comes from
rounding the head's output, not from the bf16 hidden states. The head is one ``hidden x 1`` product per token, so
computing it in float32 adds next to nothing to the critic's work.

:func:`float32_value_head` makes a loaded ``*ForTokenClassification`` critic compute its head that way; the value
model loader (:func:`recipe.asyppo.verl_compat.critic_loader.load_value_model`) applies it to every critic it loads.
Parameter names and dtypes are unchanged (the forward is patched on the instance), so checkpoints stay verl's.
"""

from __future__ import annotations

import types

import torch
from torch.nn import functional

HEAD_ATTRIBUTES = ("score", "classifier")  # transformers' token-classification head names (Qwen/Llama: score)


def _float32_linear(self: torch.nn.Linear, hidden: torch.Tensor) -> torch.Tensor:
    """(..., out) float32 output of the linear layer on (..., in) ``hidden`` of any dtype, autocast off."""
    with torch.autocast(device_type=hidden.device.type, enabled=False):
        bias = None if self.bias is None else self.bias.float()
        return functional.linear(hidden.float(), self.weight.float(), bias)


def compute_in_float32(linear: torch.nn.Linear) -> torch.nn.Linear:
    """Make ``linear`` compute in float32 and return float32 (its parameters keep their dtype); returns it."""
    linear.forward = types.MethodType(_float32_linear, linear)
    return linear


def float32_value_head(model: torch.nn.Module) -> torch.nn.Module:
    """Make the value head (``score`` or ``classifier``) of a token-classification ``model`` compute in float32.

    Returns ``model``. Its ``logits`` -- the values, (B, T, 1) -- then come out in float32 whatever dtype the body ran
    in; gradients reach the head's parameters in their own dtype.

    Raises:
        TypeError: ``model`` has no ``torch.nn.Linear`` head under any of :data:`HEAD_ATTRIBUTES`.
    """
    for name in HEAD_ATTRIBUTES:
        head = getattr(model, name, None)
        if isinstance(head, torch.nn.Linear):
            compute_in_float32(head)
            return model
    raise TypeError(
        f"{type(model).__name__} has no linear value head named {' or '.join(HEAD_ATTRIBUTES)}; "
        "the AsyPPO critic loader expects a transformers *ForTokenClassification model")
