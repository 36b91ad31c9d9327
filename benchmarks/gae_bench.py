"""Vectorised GAE (recipe.asyppo.core.algorithm.compute_gae) against verl's per-position loop, on CPU, in one run.

Both take the same float32 (batch, length) inputs with ragged response masks (each row valid up to a random length;
a second case adds holes in the middle). The table gives the median wall time of each, the speed-up ratio, and
each result's largest error (advantages before whitening, and returns) against verl's loop run in float64. Run:

    python benchmarks/gae_bench.py [--batch 512] [--length 8192] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
from verl.trainer.ppo.core_algos import compute_gae_advantage_return

from recipe.asyppo.core.algorithm import compute_gae


def make_inputs(batch: int, length: int, holes: bool, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """float32 (B, T) rewards (outcome reward at the last valid token plus noise), values and response mask.

    Each row is valid up to a random length; with ``holes`` about 1% of the positions before it are masked too
    (multi-turn style), which sends compute_gae through its packing path.
    """
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, length + 1, (batch,), generator=gen)
    mask = (torch.arange(length)[None, :] < lengths[:, None]).float()
    if holes:
        mask = mask * (torch.rand(batch, length, generator=gen) >= 0.01).float()
        mask[torch.arange(batch), lengths - 1] = 1.0
    rewards = 0.01 * torch.randn(batch, length, generator=gen)
    rewards[torch.arange(batch), lengths - 1] += torch.randint(0, 2, (batch,), generator=gen).float()
    values = torch.randn(batch, length, generator=gen)
    return rewards, values, mask


def verl_unwhitened(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """verl's loop; its returns minus values recover the advantages before its whitening."""
    _, returns = compute_gae_advantage_return(rewards, values, mask, gamma, lam)
    return returns - values, returns


def median_times(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function; the functions take turns so that load on the machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def max_abs_err(x: torch.Tensor, ref: torch.Tensor) -> float:
    return float((x.double() - ref).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--length", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gamma", type=float, default=1.0)
    parser.add_argument("--lam", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    g, lam = args.gamma, args.lam

    print(
        f"GAE on CPU ({torch.get_num_threads()} threads), batch={args.batch}, length={args.length}, float32 inputs, "
        f"gamma={g}, lam={lam}, median of {args.repeats} interleaved runs; errors against verl's loop in float64"
    )
    print("| response mask | verl loop (s) | compute_gae (s) | speed-up | max abs err verl fp32 | max abs err ours |")
    print("|---|---|---|---|---|---|")
    for holes in (False, True):
        rewards, values, mask = make_inputs(args.batch, args.length, holes, args.seed)
        ref_adv, ref_ret = verl_unwhitened(rewards.double(), values.double(), mask.double(), g, lam)
        loop_adv, loop_ret = verl_unwhitened(rewards, values, mask, g, lam)
        vec_adv, vec_ret = compute_gae(rewards, values, mask, g, lam)
        loop_err = max(max_abs_err(loop_adv, ref_adv), max_abs_err(loop_ret, ref_ret))
        vec_err = max(max_abs_err(vec_adv, ref_adv), max_abs_err(vec_ret, ref_ret))
        times = median_times(
            {
                "loop": partial(verl_unwhitened, rewards, values, mask, g, lam),
                "vec": partial(compute_gae, rewards, values, mask, g, lam),
            },
            args.repeats,
        )
        label = "prefix + 1% holes" if holes else "prefix (single-turn)"
        print(
            f"| {label} | {times['loop']:.3f} | {times['vec']:.3f} | {times['loop'] / times['vec']:.2f}x "
            f"| {loop_err:.2e} | {vec_err:.2e} |"
        )


if __name__ == "__main__":
    main()
