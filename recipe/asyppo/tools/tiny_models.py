"""Tiny, locally built Qwen-shaped models and a byte-level BPE tokenizer for tests and CPU demo runs.

Nothing here downloads: the tokenizer is trained with ``tokenizers`` on a small embedded math corpus and the models
are randomly initialised from a ``Qwen2Config``/``Qwen3Config``. Actor and critics built here share one tokenizer, as
AsyPPO requires (the critics read the actor's tokens).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen3Config

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_CORPUS = [
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Let x be a real number such that 2x + 3 = 11. Then x = 4, so the answer is \\boxed{4}.",
    "The sum of the first n positive integers is \\frac{n(n+1)}{2}. For n = 10 we get \\boxed{55}.",
    "Compute \\sqrt{16} + 3^2 = 4 + 9 = 13. The final answer is \\boxed{13}.",
    "Find the number of positive divisors of 36. Since 36 = 2^2 \\cdot 3^2, it has (2+1)(2+1) = \\boxed{9}.",
    "The probability is \\dfrac{1}{6} and the angle is 90^\\circ; the interval is [0, 1) and the point is (3, \\pi).",
    "What is 7 times 8? We have 7 \\times 8 = 56. Answer: 56",
    "Solve for y: y^2 - 5y + 6 = 0, so y = 2 or y = 3, i.e. \\boxed{2, 3}.",
    "0123456789 + - * / = < > ( ) [ ] { } ^ _ \\ $ . , ; : ! ? ' \"",
]


def build_tokenizer(out_dir: str | Path, vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer with Qwen's special tokens and chat template, save it to ``out_dir``."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(out_dir))
    return fast


def model_config(
    vocab_size: int,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    arch: str = "qwen2",
    head_dim: int | None = None,
    tie_word_embeddings: bool = True,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
) -> Qwen2Config | Qwen3Config:
    """A Qwen2/Qwen3 config of the given shape (``head_dim`` None: ``hidden_size // num_heads``)."""
    config_cls = {"qwen2": Qwen2Config, "qwen3": Qwen3Config}[arch]
    return config_cls(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        head_dim=head_dim or hidden_size // num_heads,
        max_position_embeddings=4096,
        tie_word_embeddings=tie_word_embeddings,
        bos_token_id=None,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
    )


def build_model(
    out_dir: str | Path,
    tokenizer: PreTrainedTokenizerFast,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 128,
    arch: str = "qwen2",
    seed: int = 0,
) -> Path:
    """Save a randomly initialised Qwen2/Qwen3 causal LM with ``tokenizer`` beside it; return ``out_dir``."""
    config = model_config(
        len(tokenizer), hidden_size, num_layers, num_heads, num_kv_heads, intermediate_size, arch,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out_dir = Path(out_dir)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return out_dir


def build_actor_and_critic(out_dir: str | Path, arch: str = "qwen2") -> tuple[Path, Path]:
    """Build an actor (hidden 64, 2 layers) and a smaller critic base (hidden 32, 1 layer) sharing one tokenizer.

    Returns:
        (actor_dir, critic_dir) under ``out_dir``.
    """
    out_dir = Path(out_dir)
    tokenizer = build_tokenizer(out_dir / "tokenizer")
    actor = build_model(out_dir / "actor", tokenizer, arch=arch, seed=0)
    critic = build_model(
        out_dir / "critic", tokenizer, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1,
        intermediate_size=64, arch=arch, seed=1,
    )
    return actor, critic


def main() -> None:
    parser = argparse.ArgumentParser(description="Build a tiny actor and a smaller critic base for CPU runs.")
    parser.add_argument("out_dir")
    parser.add_argument("--arch", choices=["qwen2", "qwen3"], default="qwen2")
    args = parser.parse_args()
    actor, critic = build_actor_and_critic(args.out_dir, arch=args.arch)
    print(f"actor: {actor}\ncritic: {critic}")


if __name__ == "__main__":
    main()
