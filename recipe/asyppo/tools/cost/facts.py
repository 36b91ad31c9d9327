"""Model shape facts: the few ``config.json`` fields the cost model needs, read from shipped JSON or a local model dir.

The shipped facts live in ``recipe/asyppo/tools/model_facts/<name>.json`` (Qwen3 0.6B/1.7B/4B/8B/14B; a ``-Base``
model has the same shapes as its post-trained sibling, so ``Qwen3-8B-Base`` resolves to ``Qwen3-8B.json``). A path to
a local directory holding a Hugging Face ``config.json`` works too. Nothing is downloaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FACTS_DIR = Path(__file__).resolve().parents[1] / "model_facts"

_REQUIRED = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "vocab_size",
)


@dataclass(frozen=True)
class ModelFacts:
    """Shapes of a dense Qwen-style decoder (RMSNorm, GQA attention, SwiGLU MLP).

    Attributes:
        name: the name or path it was loaded from.
        hidden_size, num_layers, num_heads, num_kv_heads, head_dim, intermediate_size, vocab_size: as in config.json.
        tie_embeddings: the LM head shares the input embedding matrix.
        attention_bias: q/k/v projections carry biases (Qwen2: true, Qwen3: false).
        qk_norm: per-head RMSNorm on q and k (Qwen3).
    """

    name: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tie_embeddings: bool
    attention_bias: bool
    qk_norm: bool

    @property
    def q_dim(self) -> int:
        """Width of the query projection output (heads x head_dim)."""
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of each of the key and value projection outputs (kv heads x head_dim)."""
        return self.num_kv_heads * self.head_dim


def facts_from_config(config: dict, name: str) -> ModelFacts:
    """Build :class:`ModelFacts` from a ``config.json`` dict.

    Raises:
        ValueError: a required field is missing; the message names ``name`` and the field.
    """
    missing = [key for key in _REQUIRED if key not in config]
    if missing:
        raise ValueError(f"{name}: config is missing field(s) {', '.join(missing)}")
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    model_type = config.get("model_type", "")
    return ModelFacts(
        name=name,
        hidden_size=int(config["hidden_size"]),
        num_layers=int(config["num_hidden_layers"]),
        num_heads=int(config["num_attention_heads"]),
        num_kv_heads=int(config["num_key_value_heads"]),
        head_dim=int(head_dim),
        intermediate_size=int(config["intermediate_size"]),
        vocab_size=int(config["vocab_size"]),
        tie_embeddings=bool(config.get("tie_word_embeddings", False)),
        attention_bias=bool(config.get("attention_bias", model_type == "qwen2")),
        qk_norm=model_type == "qwen3",
    )


def known_models() -> list[str]:
    """Names of the shipped model facts."""
    return sorted(path.stem for path in FACTS_DIR.glob("*.json"))


def load_facts(name_or_path: str) -> ModelFacts:
    """Facts for a shipped model name (``Qwen3-8B``, ``Qwen3-8B-Base``, ``Qwen/Qwen3-8B-Base``) or a local model dir.

    Raises:
        ValueError: neither a shipped name nor a directory with ``config.json``; the message lists the known names.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        config_file = path / "config.json"
        if not config_file.is_file():
            raise ValueError(f"{path}: no config.json in this model directory")
        return facts_from_config(json.loads(config_file.read_text()), name=str(path))
    stem = name_or_path.split("/")[-1].removesuffix("-Base")
    fact_file = FACTS_DIR / f"{stem}.json"
    if not fact_file.is_file():
        raise ValueError(
            f"unknown model '{name_or_path}': not a local directory with config.json and not one of "
            f"{', '.join(known_models())} (-Base variants accepted)"
        )
    return facts_from_config(json.loads(fact_file.read_text()), name=name_or_path)
