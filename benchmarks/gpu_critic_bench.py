"""GPU check of the AsyPPO critic path with torch and transformers only (no verl, Ray or vLLM needed).

Three parts, each recorded in ``OUT/result.json`` and ``OUT/result.md`` (a failing part is recorded with its error
and the others still run; the exit status is 1 if any part failed or any check was false):

a. **bf16 critic values and sigma ties.** Two value heads (seeds 1 and 2) on one random Qwen3-shaped body
   (``--critic``), as AsyPPO's critics are at step one, predict values for ``--seqs`` responses of 512 to
   ``--seq-len`` tokens, once with bf16 weights (what verl's critic engine computes and returns) and once in fp32.
   Reported: the share of valid tokens whose sigma is tied with another token's, and the size of the tie group at
   the 20% thresholds, for sigma computed in bf16 (before the float32 cast), in float32 from the bf16 values (the
   cast alone), with the float32 value head of the AsyPPO critic loader (``recipe.asyppo.verl_compat.value_head``) on
   the bf16 body, and from fp32 critics; and how far each variant's masks are from the fp32 critics' masks (Jaccard
   overlap). Then
   ``compute_asyppo_advantages``, ``lowest_std_mask``/``highest_std_mask`` (seeded tie-break) and
   ``critic_shard_ids`` run on the device and on the CPU with the same inputs: masks and shards must be equal,
   advantages equal to float32 rounding.
b. **Critic training step, AsyPPO vs PPO at equal tokens.** ``--num-critics`` mini-critics (``--critic``) each
   predict values for all ``--seqs`` sequences and train on their 1/M shard; one actor-sized critic (``--actor``)
   predicts values for and trains on all of them. Training is fp32 weights with bf16 autocast (verl's FSDP
   mixed precision), full gradient checkpointing, sdpa attention, micro-batches of ``--micro-tokens`` tokens,
   MSE loss, one AdamW step. Reported: median time of the value passes and of the updates over ``--repeats``
   timed steps after one warm-up step, the torch allocator peak, and the AsyPPO/PPO ratios next to the cost
   model's prediction for the same shapes (``recipe.asyppo.tools.cost``: critic FLOPs, critic-only peak memory).
c. **GAE.** ``compute_gae`` (vectorised) against a per-position loop (verl's algorithm, written out here) on the
   device: wall time and largest difference from the loop in float64.

Run from the repository root (device run; 28 s on one H200 with the defaults, measured):

    PYTHONPATH=. python3 benchmarks/gpu_critic_bench.py --out OUT --device cuda

Tiny CPU run (what the test does): ``--device cpu --actor DIR --critic DIR --seqs 4 --seq-len 64 ...`` with
model directories from ``recipe.asyppo.tools.tiny_models``. ``--actor`` and ``--critic`` take a shipped model name
(``recipe/asyppo/model_facts``: Qwen3-0.6B ... Qwen3-14B) or a model directory with ``config.json``; only the
shapes are used, weights are random.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import math
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoModelForTokenClassification

from recipe.asyppo.core.algorithm import (
    compute_asyppo_advantages,
    compute_gae,
    critic_shard_ids,
    critic_std,
    highest_std_mask,
    lowest_std_mask,
    tie_break_seed,
)
from recipe.asyppo.tools.cost.facts import ModelFacts, load_facts
from recipe.asyppo.tools.cost.model import GIB, Setup, StepShape, critic_memory_per_gpu, flops_per_step
from recipe.asyppo.tools.tiny_models import model_config
from recipe.asyppo.verl_compat.value_head import compute_in_float32

MASK_RATIO = 0.2
MIN_RESPONSE_TOKENS = 512
TFLOP = 1e12


# ------------------------------------------------------------------------------------------------------- helpers
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / GIB if device.type == "cuda" else None


def value_config(facts: ModelFacts) -> Any:
    """The transformers config of ``facts``' shape as verl's critic loads it: one label, no dropout, no KV cache."""
    config = model_config(
        facts.vocab_size, facts.hidden_size, facts.num_layers, facts.num_heads, facts.num_kv_heads,
        facts.intermediate_size, arch="qwen3" if facts.qk_norm else "qwen2", head_dim=facts.head_dim,
        tie_word_embeddings=facts.tie_embeddings,
    )
    config.num_labels = 1
    config.classifier_dropout = 0.0
    config.use_cache = False
    return config


def build_value_model(facts: ModelFacts, seed: int, device: torch.device, attn: str) -> torch.nn.Module:
    """A random ``AutoModelForTokenClassification`` (one label) of ``facts``' shape, fp32, on ``device``."""
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForTokenClassification.from_config(value_config(facts), dtype=torch.float32,
                                                            attn_implementation=attn)
    return model


def random_batch(num_seqs: int, seq_len: int, vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, response_mask), each (num_seqs, seq_len): random token ids; each row valid on a prefix of
    ``min(512, seq_len)`` to ``seq_len`` tokens (the last row always full)."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (num_seqs, seq_len), generator=gen)
    shortest = min(MIN_RESPONSE_TOKENS, seq_len)
    lengths = torch.randint(shortest, seq_len + 1, (num_seqs,), generator=gen)
    lengths[-1] = seq_len
    mask = torch.arange(seq_len)[None, :] < lengths[:, None]
    return ids, mask


def tie_stats(std: torch.Tensor, valid: torch.Tensor, ratio: float) -> dict[str, float]:
    """How many valid tokens share their sigma with another token, and the tie groups at the two thresholds."""
    values = std[valid].double().cpu()
    count = values.numel()
    _, counts = torch.unique(values, return_counts=True)
    selected = math.floor(ratio * count + 1e-9)
    ordered = values.sort().values
    low, high = ordered[selected - 1], ordered[count - selected]
    return {
        "tokens": count,
        "distinct_sigma": int(counts.numel()),
        "tied_fraction": float(counts[counts > 1].sum()) / count,
        "low_threshold_tie_group": int((values == low).sum()),
        "high_threshold_tie_group": int((values == high).sum()),
        "selected_per_mask": selected,
    }


def jaccard(a: torch.Tensor, b: torch.Tensor) -> float:
    union = int((a | b).sum())
    return int((a & b).sum()) / union if union else 1.0


# ---------------------------------------------------------------------------------------------- a. ties, device
def critic_values(model: torch.nn.Module, heads: list[torch.nn.Linear], ids: torch.Tensor, micro: int,
                  device: torch.device, body_dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """(M, B, T) values of the M ``heads`` on ``model``'s body run in ``body_dtype``: with each head in that dtype
    too (what verl's critic computes), and with each head's ``body_dtype`` weights computed in float32 as the AsyPPO
    critic loader does (:func:`recipe.asyppo.verl_compat.value_head.compute_in_float32`)."""
    model.to(body_dtype)
    float32_heads = [compute_in_float32(copy.deepcopy(head).to(body_dtype)) for head in heads]
    same, fp32_head = [], []
    with torch.no_grad():
        for start in range(0, ids.shape[0], micro):
            hidden = model.model(input_ids=ids[start:start + micro].to(device)).last_hidden_state
            same.append(torch.stack([torch.nn.functional.linear(
                hidden, head.weight.to(body_dtype), head.bias.to(body_dtype)).squeeze(-1) for head in heads]))
            fp32_head.append(torch.stack([head(hidden).squeeze(-1) for head in float32_heads]))
    return torch.cat(same, dim=1), torch.cat(fp32_head, dim=1)


def part_ties_and_device(args: argparse.Namespace, device: torch.device, critic: ModelFacts) -> dict[str, Any]:
    ids, mask = random_batch(args.seqs, args.seq_len, critic.vocab_size, seed=0)
    model = build_value_model(critic, seed=0, device=device, attn=args.attn)
    heads = []
    for index in range(args.num_critics):  # fresh value heads on one body, as the critics at step one
        torch.manual_seed(index + 1)
        head = torch.nn.Linear(critic.hidden_size, 1, device=device)
        torch.nn.init.normal_(head.weight, std=model.config.initializer_range)  # transformers' score-head init
        torch.nn.init.zeros_(head.bias)
        heads.append(head)
    micro = max(1, args.micro_tokens // args.seq_len)

    values_fp32, _ = critic_values(model, heads, ids, micro, device, torch.float32)
    values_bf16, values_fp32_head = critic_values(model, heads, ids, micro, device, torch.bfloat16)
    del model, heads
    valid = mask.to(device)
    sigma_bf16 = values_bf16.std(dim=0, correction=0)  # before the fix: sigma computed in the critics' dtype
    sigma_now = critic_std(values_bf16)
    sigma_head = critic_std(values_fp32_head)
    sigma_ref = critic_std(values_fp32)
    seed = tie_break_seed(0, 1)
    masks = {
        name: (lowest_std_mask(s, valid, MASK_RATIO, seed=seed).mask, highest_std_mask(s, valid, MASK_RATIO,
                                                                                       seed=seed).mask)
        for name, s in (("bf16", sigma_bf16), ("now", sigma_now), ("fp32_head", sigma_head), ("ref", sigma_ref))
    }
    result: dict[str, Any] = {
        "values_dtype_from_bf16_model": str(values_bf16.dtype),
        "sigma_dtype_now": str(sigma_now.dtype),
        "ties": {
            "sigma in bf16 from bf16 values (before the fp32 cast)": tie_stats(sigma_bf16, valid, MASK_RATIO),
            "sigma in fp32 from bf16 values (the float32 cast alone)": tie_stats(sigma_now, valid, MASK_RATIO),
            "sigma in fp32, float32 value head (value_head.py) on the bf16 body": tie_stats(sigma_head, valid,
                                                                                             MASK_RATIO),
            "sigma in fp32 from fp32 critics (reference)": tie_stats(sigma_ref, valid, MASK_RATIO),
        },
        "mask_jaccard_vs_fp32_critics": {
            name: {"adv_mask": jaccard(masks[name][0], masks["ref"][0]),
                   "entropy_filter": jaccard(masks[name][1], masks["ref"][1])}
            for name in ("bf16", "now", "fp32_head")
        },
    }
    result["checks"] = device_checks(values_bf16, valid, device, args.num_critics)
    return result


def device_checks(values: torch.Tensor, valid: torch.Tensor, device: torch.device, num_critics: int) -> dict:
    """The algorithm functions on ``device`` and on the CPU with the same inputs; True where they agree."""
    batch, length = valid.shape
    lengths = valid.sum(dim=1)
    rewards = torch.zeros(batch, length, device=device)
    rows = torch.arange(batch, device=device)
    rewards[rows, lengths - 1] = (rows % 2).float()
    sample_mask = torch.ones(batch, dtype=torch.bool, device=device)
    if batch > 1:
        sample_mask[-1] = False  # the last row plays one of verl's padding samples
    prompt_ids = torch.arange(batch, device=device) // num_critics  # each prompt's responses split evenly
    response_index = torch.arange(batch, device=device) % num_critics

    def run(on: torch.device) -> dict[str, torch.Tensor]:
        moved = {name: t.to(on) for name, t in (("values", values), ("valid", valid), ("rewards", rewards),
                                                ("sample_mask", sample_mask))}
        result = compute_asyppo_advantages(moved["rewards"], moved["values"], moved["valid"], gamma=1.0,
                                           lam_actor=0.95, lam_critic=1.0, sample_mask=moved["sample_mask"])
        seed = tie_break_seed(0, 3)
        return {
            "advantages": result.advantages, "returns": result.returns, "std": result.std,
            "adv_mask": lowest_std_mask(result.std, moved["valid"], MASK_RATIO, moved["sample_mask"],
                                        seed=seed).mask,
            "entropy_filter": highest_std_mask(result.std, moved["valid"], MASK_RATIO, moved["sample_mask"],
                                               seed=seed).mask,
            "shards": critic_shard_ids(prompt_ids.to(on), response_index.to(on), num_critics),
        }

    on_device, on_cpu = run(device), run(torch.device("cpu"))
    adv_diff = float((on_device["advantages"].cpu() - on_cpu["advantages"]).abs().max())
    return {
        "advantages_and_returns_float32": on_device["advantages"].dtype == on_device["returns"].dtype == torch.float32,
        "outputs_on_device": all(on_device[k].device.type == device.type for k in
                                 ("advantages", "returns", "std", "adv_mask", "entropy_filter")),
        "advantages_device_vs_cpu_max_abs_diff": adv_diff,
        "advantages_device_vs_cpu_close": adv_diff <= 1e-4,
        "adv_mask_equal_device_vs_cpu": bool(on_device["adv_mask"].cpu().equal(on_cpu["adv_mask"])),
        "entropy_filter_equal_device_vs_cpu": bool(on_device["entropy_filter"].cpu().equal(on_cpu["entropy_filter"])),
        "shards_equal_device_vs_cpu": bool(on_device["shards"].cpu().equal(on_cpu["shards"])),
    }


# ------------------------------------------------------------------------------------- b. critic training step
def run_critics(models: list[torch.nn.Module], ids: torch.Tensor, args: argparse.Namespace,
                device: torch.device) -> dict[str, float | None]:
    """Value passes of every critic over all of ``ids``, then critic i trains on shard i (AdamW step), repeated."""
    shards = ids.chunk(len(models))
    micro = max(1, args.micro_tokens // args.seq_len)
    returns = torch.randn(ids.shape, generator=torch.Generator().manual_seed(1)).to(device)
    optimizers = [torch.optim.AdamW(model.parameters(), lr=1e-6) for model in models]
    for model in models:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    # no autocast weight cache: it would hold a bf16 copy of every weight through the forward, which verl's FSDP
    # mixed precision does not (it casts a layer at a time)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)
    value_times, update_times = [], []
    for repeat in range(1 + args.repeats):
        sync(device)
        start = time.perf_counter()
        with torch.no_grad(), autocast:
            for model in models:
                model.eval()
                for begin in range(0, ids.shape[0], micro):
                    model(input_ids=ids[begin:begin + micro].to(device)).logits.float()
        sync(device)
        middle = time.perf_counter()
        offset = 0
        for model, optimizer, shard in zip(models, optimizers, shards, strict=True):
            model.train()
            for begin in range(0, shard.shape[0], micro):
                batch = shard[begin:begin + micro].to(device)
                with autocast:
                    values = model(input_ids=batch).logits.squeeze(-1).float()
                target = returns[offset + begin:offset + begin + batch.shape[0]]
                loss = (values - target).pow(2).mean() * batch.shape[0] / shard.shape[0]
                loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            offset += shard.shape[0]
        sync(device)
        end = time.perf_counter()
        if repeat:  # the first step is warm-up (allocator, kernels, optimizer states)
            value_times.append(middle - start)
            update_times.append(end - middle)
    value_s, update_s = statistics.median(value_times), statistics.median(update_times)
    return {"value_pass_s": value_s, "update_s": update_s, "step_s": value_s + update_s,
            "peak_gib": peak_gib(device),
            "resident_gib": torch.cuda.memory_allocated(device) / GIB if device.type == "cuda" else None}


def part_training_step(args: argparse.Namespace, device: torch.device, actor: ModelFacts,
                       critic: ModelFacts) -> dict[str, Any]:
    ids, _ = random_batch(args.seqs, args.seq_len, min(actor.vocab_size, critic.vocab_size), seed=2)
    measured = {}
    for name, facts, count in (("AsyPPO", critic, args.num_critics), ("PPO", actor, 1)):
        free_memory(device)
        models = [build_value_model(facts, seed=10 + i, device=device, attn=args.attn) for i in range(count)]
        measured[name] = run_critics(models, ids, args, device)
        measured[name]["attn_implementation"] = models[0].config._attn_implementation
        del models
        free_memory(device)
    micro = max(1, args.micro_tokens // args.seq_len)
    shape = StepShape(prompts=args.seqs, group_size=1, prompt_len=0, response_len=args.seq_len, gpus=1,
                      actor_tokens_per_gpu=micro * args.seq_len, critic_tokens_per_gpu=micro * args.seq_len)
    setups = {"AsyPPO": Setup("AsyPPO", actor, (critic,) * args.num_critics, 1.0 / args.num_critics),
              "PPO": Setup("PPO", actor, (actor,), 1.0)}
    predicted = {}
    for name, setup in setups.items():
        flops = flops_per_step(setup, shape)
        critic_flops = flops["critic_values"] + flops["critic_update"]
        predicted[name] = {"critic_pflop": critic_flops / 1e15,
                           "critic_peak_gib": critic_memory_per_gpu(setup, shape)["peak"] / GIB}
        measured[name]["achieved_tflops_cost_model_flops"] = critic_flops / TFLOP / measured[name]["step_s"]
    ratios = {
        "step_time": measured["AsyPPO"]["step_s"] / measured["PPO"]["step_s"],
        "value_pass_time": measured["AsyPPO"]["value_pass_s"] / measured["PPO"]["value_pass_s"],
        "update_time": measured["AsyPPO"]["update_s"] / measured["PPO"]["update_s"],
        "predicted_critic_flops": predicted["AsyPPO"]["critic_pflop"] / predicted["PPO"]["critic_pflop"],
        "predicted_critic_peak": predicted["AsyPPO"]["critic_peak_gib"] / predicted["PPO"]["critic_peak_gib"],
    }
    if device.type == "cuda":
        ratios["peak_memory"] = measured["AsyPPO"]["peak_gib"] / measured["PPO"]["peak_gib"]
    return {"tokens": args.seqs * args.seq_len, "micro_batch_tokens": micro * args.seq_len,
            "measured": measured, "predicted": predicted, "ratios": ratios}


# ------------------------------------------------------------------------------------------------------ c. GAE
def loop_gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float,
             lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """verl's per-position GAE loop (``compute_gae_advantage_return`` before whitening), written out."""
    next_values = torch.zeros_like(values[:, 0])
    last = torch.zeros_like(values[:, 0])
    advantages = []
    for t in reversed(range(rewards.shape[1])):
        delta = rewards[:, t] + gamma * next_values - values[:, t]
        candidate = delta + gamma * lam * last
        next_values = values[:, t] * mask[:, t] + (1 - mask[:, t]) * next_values
        last = candidate * mask[:, t] + (1 - mask[:, t]) * last
        advantages.append(last)
    advantages = torch.stack(advantages[::-1], dim=1)
    return advantages, advantages + values


def part_gae(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    gen = torch.Generator().manual_seed(3)
    batch, length = args.gae_batch, args.gae_length
    lengths = torch.randint(1, length + 1, (batch,), generator=gen)
    mask = (torch.arange(length)[None, :] < lengths[:, None]).float()
    rewards = 0.01 * torch.randn(batch, length, generator=gen)
    rewards[torch.arange(batch), lengths - 1] += 1.0
    values = torch.randn(batch, length, generator=gen)
    rewards, values, mask = rewards.to(device), values.to(device), mask.to(device)
    reference, _ = loop_gae(rewards.double(), values.double(), mask.double(), 1.0, 0.95)

    def timed(fn: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> tuple[float, torch.Tensor]:
        times, out = [], None
        for _ in range(args.repeats + 1):
            sync(device)
            start = time.perf_counter()
            out = fn()[0]
            sync(device)
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:]), out

    vector_s, vector = timed(lambda: compute_gae(rewards, values, mask, 1.0, 0.95))
    loop_s, loop = timed(lambda: loop_gae(rewards, values, mask, 1.0, 0.95))
    valid = mask.bool()
    return {
        "batch": batch, "length": length,
        "compute_gae_s": vector_s, "loop_s": loop_s, "speedup": loop_s / vector_s,
        "compute_gae_max_abs_err_vs_float64_loop": float((vector.double() - reference)[valid].abs().max()),
        "loop_float32_max_abs_err_vs_float64_loop": float((loop.double() - reference)[valid].abs().max()),
    }


# ------------------------------------------------------------------------------------------------------ report
def failed_checks(result: dict[str, Any]) -> list[str]:
    checks = result.get("a_ties_and_device", {}).get("checks", {})
    return [name for name, ok in checks.items() if isinstance(ok, bool) and not ok]


def markdown(result: dict[str, Any]) -> str:
    env = result["environment"]
    lines = [f"# GPU critic check ({env['device_name']}, torch {env['torch']}, transformers {env['transformers']})",
             "", f"Settings: `{result['settings']}`", ""]
    a = result.get("a_ties_and_device")
    if a and "ties" in a:
        lines += ["## a. sigma ties with bf16 critic values", "",
                  "| sigma | tokens | distinct | tied share | tie group at low 20% | at high 20% | per mask |",
                  "|---|---|---|---|---|---|---|"]
        for name, s in a["ties"].items():
            lines.append(f"| {name} | {s['tokens']} | {s['distinct_sigma']} | {s['tied_fraction']:.1%} | "
                         f"{s['low_threshold_tie_group']} | {s['high_threshold_tie_group']} | "
                         f"{s['selected_per_mask']} |")
        lines += ["", "Mask overlap (Jaccard) with the fp32 critics' masks: " + ", ".join(
            f"{name}: adv {v['adv_mask']:.3f}, entropy {v['entropy_filter']:.3f}"
            for name, v in a["mask_jaccard_vs_fp32_critics"].items()), "",
            "Device checks: " + ", ".join(f"{k}={v}" for k, v in a["checks"].items()), ""]
    b = result.get("b_training_step")
    if b and "measured" in b:
        lines += [f"## b. critic step at equal tokens ({b['tokens']} tokens, micro-batch {b['micro_batch_tokens']})",
                  "", "| | AsyPPO | PPO | AsyPPO/PPO | cost model AsyPPO/PPO |", "|---|---|---|---|---|"]
        m, p, r = b["measured"], b["predicted"], b["ratios"]

        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        lines += [
            f"| value passes (s) | {fmt(m['AsyPPO']['value_pass_s'])} | {fmt(m['PPO']['value_pass_s'])} | "
            f"{r['value_pass_time']:.2f} | |",
            f"| updates (s) | {fmt(m['AsyPPO']['update_s'])} | {fmt(m['PPO']['update_s'])} | "
            f"{r['update_time']:.2f} | |",
            f"| critic step (s) | {fmt(m['AsyPPO']['step_s'])} | {fmt(m['PPO']['step_s'])} | {r['step_time']:.2f} | "
            f"{r['predicted_critic_flops']:.2f} (FLOPs) |",
            f"| torch peak (GiB) | {fmt(m['AsyPPO']['peak_gib'])} | {fmt(m['PPO']['peak_gib'])} | "
            f"{fmt(r.get('peak_memory'))} | {r['predicted_critic_peak']:.2f} |",
            f"| cost model critic peak (GiB) | {p['AsyPPO']['critic_peak_gib']:.2f} | "
            f"{p['PPO']['critic_peak_gib']:.2f} | | |",
            f"| cost model critic PFLOP | {p['AsyPPO']['critic_pflop']:.3f} | {p['PPO']['critic_pflop']:.3f} | | |",
            f"| achieved TFLOP/s (cost-model FLOPs / time) | "
            f"{m['AsyPPO']['achieved_tflops_cost_model_flops']:.1f} | "
            f"{m['PPO']['achieved_tflops_cost_model_flops']:.1f} | | |", ""]
    c = result.get("c_gae")
    if c and "loop_s" in c:
        lines += [f"## c. GAE on the device ({c['batch']} x {c['length']})", "",
                  f"compute_gae {c['compute_gae_s'] * 1e3:.1f} ms, loop {c['loop_s'] * 1e3:.1f} ms "
                  f"(x{c['speedup']:.0f}); max |err| vs float64 loop: compute_gae "
                  f"{c['compute_gae_max_abs_err_vs_float64_loop']:.2e}, float32 loop "
                  f"{c['loop_float32_max_abs_err_vs_float64_loop']:.2e}", ""]
    for part in ("a_ties_and_device", "b_training_step", "c_gae"):
        if "error" in result.get(part, {}):
            lines += [f"## {part}: FAILED", "", "```", result[part]["error"], "```", ""]
    lines.append(f"Total {result['elapsed_s']:.0f} s.")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for result.json and result.md")
    parser.add_argument("--device", default="cuda", help="cuda or cpu")
    parser.add_argument("--actor", default="Qwen3-4B", help="actor-sized critic (PPO): shipped name or model dir")
    parser.add_argument("--critic", default="Qwen3-0.6B", help="mini-critic (AsyPPO): shipped name or model dir")
    parser.add_argument("--num-critics", type=int, default=2)
    parser.add_argument("--seqs", type=int, default=32, help="sequences per step (PPO critic; 1/M per mini-critic)")
    parser.add_argument("--seq-len", type=int, default=1024, help="tokens per sequence (responses 512..seq-len)")
    parser.add_argument("--micro-tokens", type=int, default=8192, help="tokens per micro-batch")
    parser.add_argument("--repeats", type=int, default=2, help="timed steps after one warm-up step")
    parser.add_argument("--gae-batch", type=int, default=512)
    parser.add_argument("--gae-length", type=int, default=4096)
    parser.add_argument("--attn", default="sdpa", help="transformers attention implementation")
    parser.add_argument("--parts", default="a,b,c", help="comma list of parts to run")
    args = parser.parse_args(argv)
    if args.seqs % args.num_critics:
        parser.error(f"--seqs {args.seqs} must be divisible by --num-critics {args.num_critics}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    actor, critic = load_facts(args.actor), load_facts(args.critic)
    result: dict[str, Any] = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "environment": {
            "python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "transformers": transformers.__version__,
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
        },
    }
    parts = {
        "a": ("a_ties_and_device", lambda: part_ties_and_device(args, device, critic)),
        "b": ("b_training_step", lambda: part_training_step(args, device, actor, critic)),
        "c": ("c_gae", lambda: part_gae(args, device)),
    }
    for key in args.parts.split(","):
        name, run = parts[key.strip()]
        part_start = time.perf_counter()
        try:
            result[name] = run()
        except Exception:  # noqa: BLE001 - record the failure and go on with the other parts
            result[name] = {"error": traceback.format_exc()}
        result[name]["elapsed_s"] = time.perf_counter() - part_start
        free_memory(device)
        print(f"{name}: {result[name]['elapsed_s']:.1f} s{' FAILED' if 'error' in result[name] else ''}",
              flush=True)
    result["elapsed_s"] = time.perf_counter() - start
    result["failed_checks"] = failed_checks(result)
    (args.out / "result.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    report = markdown(result)
    (args.out / "result.md").write_text(report)
    print(report)
    failed = [name for name, _ in parts.values() if "error" in result.get(name, {})]
    return 1 if failed or result["failed_checks"] else 0


if __name__ == "__main__":
    sys.exit(main())
