"""``python -m recipe.asyppo.tools.cost``: print the AsyPPO vs symmetric PPO vs GRPO cost table for one configuration.

Example::

    python -m recipe.asyppo.tools.cost --actor Qwen3-8B-Base --critics 2x Qwen3-1.7B-Base --gpus 8

Defaults are the launch scripts' shared settings (``recipe/asyppo/scripts/common.sh``); mean prompt and response
lengths are guesses to override with what your runs log (``response_length/mean``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from recipe.asyppo.tools.cost.facts import ModelFacts, known_models, load_facts
from recipe.asyppo.tools.cost.model import CARD_80GB_GIB, Card, Setup, StepShape
from recipe.asyppo.tools.cost.table import costs, render_markdown

DEFAULTS = {
    "prompts": 128,
    "group_size": 8,
    "prompt_len": 256,
    "response_len": 4096,
    "gpus": 8,
    "actor_tokens_per_gpu": 18432,
    "critic_tokens_per_gpu": 36864,
    "ppo_epochs": 1,
    "gpu_memory_gib": CARD_80GB_GIB,
    "rollout_memory_fraction": 0.5,
}

ASSUMPTIONS = """\
Assumptions (details: recipe/asyppo/tools/cost/model.py):
- memory per GPU, training phase: trainable models 16 B/param (fp32 weights + fp32 grads + AdamW m, v fp32), reference
  4 B/param, all FSDP-sharded over every GPU and resident; activations for one micro-batch of the token budget: bf16,
  full gradient checkpointing, FlashAttention, LM head fp32 logits + grad (8 B x vocab per token), or the AdamW step's
  4 B/param buffer if larger; rollout engine asleep during training; fragmentation and FSDP's unsharded layer not
  counted.
- headroom: during rollout the training states stay on the GPU (no offload) and vLLM takes
  gpu_memory_utilization of the card; during training vLLM is asleep; both phases add 2 GiB of CUDA contexts.
- FLOPs: 6*N*tokens per training pass (x ppo_epochs; an AsyPPO critic trains on its 1/M shard), 2*N*tokens per
  forward-only pass (old log-probs, reference, every critic's value pass over all tokens), rollout 2*N_actor*tokens;
  no attention-score FLOPs, no checkpoint recompute.
- measured check: none yet (no GPU in the session that wrote this); see recipe/asyppo/scripts/gpu_smoke.sh."""


def parse_critics(tokens: list[str]) -> list[str]:
    """Expand ``["2x", "Qwen3-1.7B"]``, ``["2xQwen3-1.7B"]`` or ``["A", "B"]`` into a list of model names.

    Raises:
        ValueError: a multiplier with no model after it, or a zero multiplier.
    """
    names: list[str] = []
    count = 1
    pending = False
    for token in tokens:
        standalone = re.fullmatch(r"(\d+)[xX]", token)
        inline = re.fullmatch(r"(\d+)[xX](.+)", token)
        if standalone:
            count, pending = int(standalone.group(1)), True
            continue
        if inline:
            count, token = int(inline.group(1)), inline.group(2)
        if count < 1:
            raise ValueError(f"--critics: multiplier must be >= 1 in {' '.join(tokens)!r}")
        names.extend([token] * count)
        count, pending = 1, False
    if pending or not names:
        raise ValueError(f"--critics: expected e.g. '2x Qwen3-1.7B', got {' '.join(tokens)!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recipe.asyppo.tools.cost",
        description="Parameters, per-GPU training memory and FLOPs per step of AsyPPO vs symmetric PPO vs GRPO.",
        epilog=f"Shipped model facts: {', '.join(known_models())} (-Base variants accepted), or a local model dir.",
    )
    parser.add_argument("--actor", required=True, help="actor model name or local model dir")
    parser.add_argument("--critics", nargs="+", required=True, help="AsyPPO mini-critics, e.g. '2x Qwen3-1.7B'")
    parser.add_argument("--ppo-critic", default=None, help="symmetric PPO critic (default: same model as the actor)")
    parser.add_argument("--gpus", type=int, default=DEFAULTS["gpus"], help="GPUs in total (nodes x GPUs per node)")
    parser.add_argument("--prompts", type=int, default=DEFAULTS["prompts"], help="prompts per step")
    parser.add_argument("--group-size", type=int, default=DEFAULTS["group_size"], help="responses per prompt")
    parser.add_argument("--prompt-len", type=int, default=DEFAULTS["prompt_len"], help="mean prompt tokens")
    parser.add_argument("--response-len", type=int, default=DEFAULTS["response_len"], help="mean response tokens")
    parser.add_argument("--ppo-epochs", type=int, default=DEFAULTS["ppo_epochs"])
    parser.add_argument("--actor-tokens-per-gpu", type=int, default=DEFAULTS["actor_tokens_per_gpu"])
    parser.add_argument("--critic-tokens-per-gpu", type=int, default=DEFAULTS["critic_tokens_per_gpu"])
    parser.add_argument("--use-ref", action="store_true", help="a reference policy is loaded (KL loss/penalty)")
    parser.add_argument("--gpu-memory-gib", type=float, default=DEFAULTS["gpu_memory_gib"],
                        help="memory of one GPU in GiB (default: an 80 GB H100)")
    parser.add_argument("--rollout-memory-fraction", type=float, default=DEFAULTS["rollout_memory_fraction"],
                        help="vLLM's gpu_memory_utilization (default: the launch scripts')")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    return parser


def _check_positive(args: argparse.Namespace) -> None:
    for key in (
        "gpus", "prompts", "group_size", "prompt_len", "response_len", "ppo_epochs",
        "actor_tokens_per_gpu", "critic_tokens_per_gpu",
    ):
        if getattr(args, key) < 1:
            raise ValueError(f"--{key.replace('_', '-')} must be >= 1, got {getattr(args, key)}")


def setups_from_args(args: argparse.Namespace) -> tuple[list[Setup], StepShape]:
    """The AsyPPO, PPO and GRPO setups and the step shape the arguments describe."""
    _check_positive(args)
    if not 0.0 < args.rollout_memory_fraction < 1.0:
        raise ValueError(f"--rollout-memory-fraction must be in (0, 1), got {args.rollout_memory_fraction}")
    actor: ModelFacts = load_facts(args.actor)
    critics = tuple(load_facts(name) for name in parse_critics(args.critics))
    ppo_critic = load_facts(args.ppo_critic or args.actor)
    setups = [
        Setup("AsyPPO", actor, critics, critic_shard=1.0 / len(critics)),
        Setup("PPO", actor, (ppo_critic,), critic_shard=1.0),
        Setup("GRPO", actor, (), critic_shard=1.0),
    ]
    shape = StepShape(
        prompts=args.prompts,
        group_size=args.group_size,
        prompt_len=args.prompt_len,
        response_len=args.response_len,
        gpus=args.gpus,
        actor_tokens_per_gpu=args.actor_tokens_per_gpu,
        critic_tokens_per_gpu=args.critic_tokens_per_gpu,
        ppo_epochs=args.ppo_epochs,
        use_ref=args.use_ref,
    )
    return setups, shape


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        setups, shape = setups_from_args(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    card = Card(memory_gib=args.gpu_memory_gib, rollout_fraction=args.rollout_memory_fraction)
    if args.format == "json":
        print(json.dumps({setup.name: costs(setup, shape, card) for setup in setups}, indent=2))
        return 0
    critic_names = ", ".join(critic.name for critic in setups[0].critics)
    print(
        f"actor {setups[0].actor.name}; AsyPPO critics: {critic_names}; PPO critic: {setups[1].critics[0].name}; "
        f"{shape.gpus} GPUs; {shape.prompts} prompts x {shape.group_size} responses, mean {shape.prompt_len}+"
        f"{shape.response_len} tokens ({shape.tokens:,} tokens/step); token budget/GPU actor "
        f"{shape.actor_tokens_per_gpu}, critic {shape.critic_tokens_per_gpu}; ppo_epochs {shape.ppo_epochs}; "
        f"reference policy {'on' if shape.use_ref else 'off'}; {card.memory_gib:g} GiB per GPU, vLLM "
        f"gpu_memory_utilization {card.rollout_fraction:g}\n"
    )
    print(render_markdown(setups, shape, card))
    print()
    print(ASSUMPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
