"""Random-weight models of real shapes for GPU checks: an actor and a critic base sharing the tiny tokenizer.

    python -m recipe.asyppo.scripts.shaped_models OUT --actor "1024 28 16 8 3072" --critic "512 18 8 4 1536"

Each shape is ``hidden layers heads kv_heads intermediate`` of a Qwen3 decoder (head dim ``hidden / heads``); the
vocabulary is the tiny tokenizer's (:func:`recipe.asyppo.tools.tiny_models.build_tokenizer`), so nothing is downloaded
and the checkpoints stay small. Written: ``OUT/actor``, ``OUT/critic`` (HF checkpoints, float32 unless ``--dtype``) and
``OUT/models.json`` (the shapes and the causal LMs' parameter counts).
GPU checks use it where no real checkpoint fits the transfer (the defaults of ``gpu_check.sh`` scale the paper's
Qwen3-4B/0.6B pairing down: a Qwen3-0.6B-shaped actor and critics of about 1/6 of its parameters).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from recipe.asyppo.tools.tiny_models import build_tokenizer, model_config


@dataclass(frozen=True)
class Shape:
    """A Qwen3 decoder's shape."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int

    @classmethod
    def parse(cls, text: str) -> Shape:
        """From ``"hidden layers heads kv_heads intermediate"``.

        Raises:
            ValueError: not five positive integers, or ``hidden`` not divisible by ``heads`` (names the shape).
        """
        try:
            values = [int(part) for part in text.split()]
        except ValueError:
            values = []
        if len(values) != 5 or min(values) < 1:
            raise ValueError(f"model shape {text!r}: expected 5 positive integers 'hidden layers heads kv_heads "
                             f"intermediate'")
        shape = cls(*values)
        if shape.hidden % shape.heads or shape.heads % shape.kv_heads:
            raise ValueError(f"model shape {text!r}: hidden must divide by heads and heads by kv_heads")
        return shape


def build(out_dir: Path, shape: Shape, tokenizer, seed: int, dtype: torch.dtype) -> int:
    """Save a random Qwen3 causal LM of ``shape`` with ``tokenizer`` to ``out_dir``; its parameter count."""
    from transformers import AutoModelForCausalLM

    config = model_config(len(tokenizer), shape.hidden, shape.layers, shape.heads, shape.kv_heads, shape.intermediate,
                          arch="qwen3", eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return sum(p.numel() for p in model.parameters())


def build_pair(out: Path, actor: Shape, critic: Shape, dtype: torch.dtype = torch.float32) -> dict:
    """Build ``out/actor`` and ``out/critic`` sharing one tokenizer; write and return ``out/models.json``."""
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(out / "tokenizer")
    actor_params = build(out / "actor", actor, tokenizer, seed=0, dtype=dtype)
    critic_params = build(out / "critic", critic, tokenizer, seed=1, dtype=dtype)
    facts = {
        "actor": {"shape": asdict(actor), "parameters": actor_params},
        "critic": {"shape": asdict(critic), "parameters": critic_params},
        "critic_to_actor": round(critic_params / actor_params, 4),
        "vocab": len(tokenizer),
        "dtype": str(dtype).removeprefix("torch."),
    }
    (out / "models.json").write_text(json.dumps(facts, indent=2) + "\n")
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.scripts.shaped_models",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--actor", required=True, help="'hidden layers heads kv_heads intermediate'")
    parser.add_argument("--critic", required=True, help="the same, for the critic base")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="checkpoint dtype")
    args = parser.parse_args(argv)
    try:
        actor, critic = Shape.parse(args.actor), Shape.parse(args.critic)
    except ValueError as error:
        parser.error(str(error))
    print(json.dumps(build_pair(args.out, actor, critic, getattr(torch, args.dtype))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
