"""Token classes for the mask diagnostics: which vocabulary entries are answer digits, special (end-of-sequence,
template) tokens, or other text.

``token_class_table(tokenizer)`` is built once per run (one ``convert_ids_to_tokens`` over the vocabulary) and then
indexed by the response token ids of every step, so the per-step cost is one gather.
"""

from __future__ import annotations

import torch
from torch import Tensor

TOKEN_CLASSES = ("digit", "special", "other")
DIGIT, SPECIAL, OTHER = range(len(TOKEN_CLASSES))


def token_class_table(tokenizer) -> Tensor:
    """(V,) int64 class of every token id of ``tokenizer`` (a Hugging Face tokenizer; V = ``len(tokenizer)``):
    ``special`` for the tokenizer's special tokens (end of sequence, chat-template markers, padding), ``digit`` for
    a token whose text holds a decimal digit, ``other`` for the rest (words, spaces, punctuation)."""
    size = len(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    table = torch.tensor([DIGIT if piece is not None and any(c.isdigit() for c in piece) else OTHER
                          for piece in pieces], dtype=torch.long)
    special = [i for i in tokenizer.all_special_ids if 0 <= i < size]
    table[special] = SPECIAL
    return table


def classify(token_ids: Tensor, table: Tensor) -> Tensor:
    """(B, T) int64 class of each id in ``token_ids`` (B, T); ids outside the table are ``other``."""
    inside = (token_ids >= 0) & (token_ids < table.numel())
    return torch.where(inside, table[token_ids.clamp(0, table.numel() - 1)], torch.full_like(token_ids, OTHER))
