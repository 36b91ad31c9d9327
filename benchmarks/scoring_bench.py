"""Scoring throughput of ``eval`` (``rewards.score_batch``) on 10,000 responses, against vLLM's generation rate.

Responses are built from the shipped benchmarks' reference solutions (MATH-500, Minerva, OlympiadBench, AIME 24 and
GSM8K-style boxed answers): half keep their gold answer, a third get a wrong boxed answer, the rest are cut off with
no answer, cycled to ``--num`` responses. Each worker count is timed in the same run, and the printed ratio is scoring
samples/s divided by the assumed generation samples/s (``--gen-tokens-per-s`` / ``--tokens-per-sample``; default: a 4B
model served by vLLM on one H100 at ~20,000 output tokens/s aggregate, 4,096-token samples, i.e. ~4.9 samples/s).
A ratio above 1 means scoring keeps up with generation. The verifier's verdict cache is cleared before each timing
and the worker pool is started before it (a one-off cost per run); every wrong answer is distinct, while correct
answers repeat across the ~3.6 passes over the ~2,800 problems, as n samples of one problem do in a real run.

Usage: python benchmarks/scoring_bench.py [--num 10000] [--workers 1 2] [--data-dir DIR (default: eval/data)]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from eval.benchmarks import load_benchmark
from eval.scoring import score_responses
from rewards.scoring import clear_cache


def build_responses(data_dir: Path | None, num: int, min_chars: int) -> tuple[list[str], list[str]]:
    """``num`` (response, gold) pairs: correct, wrong and unanswered responses in a 3:2:1 cycle.

    Each solution body is repeated up to ``min_chars`` characters (about 3 characters per token) so responses are as
    long as real long-form generations.
    """
    pairs = []
    for name in ("math500", "minerva", "olympiadbench", "aime24", "gsm8k"):
        for problem in load_benchmark(name, data_dir):
            body = (problem.reference_solution or "").split("####")[0].strip() or problem.problem
            body = "\n\n".join([body] * (min_chars // len(body) + 1))
            pairs.append((body, problem.gold))
    responses, golds = [], []
    for index in range(num):
        body, gold = pairs[index % len(pairs)]
        kind = index % 6
        if kind < 3:
            responses.append(f"{body}\n\nThe final answer is $\\boxed{{{gold.replace('$', '')}}}$.")
        elif kind < 5:
            responses.append(f"{body}\n\nThe final answer is $\\boxed{{{index + 1000}}}$.")
        else:
            responses.append(body.replace("\\boxed", "").replace("answer", "result")[: len(body) // 2])
        golds.append(gold)
    return responses, golds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="directory with <benchmark>/test.jsonl (default: eval/data)")
    parser.add_argument("--num", type=int, default=10_000, help="responses to score")
    parser.add_argument("--workers", type=int, nargs="+", default=sorted({1, os.cpu_count() or 1}))
    parser.add_argument("--gen-tokens-per-s", type=float, default=20_000.0, help="assumed vLLM output tokens/s")
    parser.add_argument("--tokens-per-sample", type=float, default=4096.0, help="assumed tokens per response")
    parser.add_argument("--min-chars", type=int, default=12_000, help="pad each response to this many characters")
    args = parser.parse_args()

    responses, golds = build_responses(args.data_dir, args.num, args.min_chars)
    generation_rate = args.gen_tokens_per_s / args.tokens_per_sample
    print(f"{args.num} responses, {sum(map(len, responses)) / len(responses):.0f} characters on average; "
          f"cpu_count={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    print(f"assumed generation: {args.gen_tokens_per_s:.0f} tokens/s / {args.tokens_per_sample:.0f} tokens per sample "
          f"= {generation_rate:.2f} samples/s")
    print()
    print("| workers | seconds | samples/s | correct | scoring / generation |")
    print("|---|---|---|---|---|")
    for workers in args.workers:
        score_responses(responses[:50], golds[:50], workers=workers, show_progress=False)  # start the worker pool
        clear_cache()
        start = time.perf_counter()
        verdicts = score_responses(responses, golds, workers=workers, show_progress=False)
        seconds = time.perf_counter() - start
        rate = len(responses) / seconds
        correct = sum(verdict.correct for verdict in verdicts)
        print(f"| {workers} | {seconds:.1f} | {rate:.0f} | {correct} | {rate / generation_rate:.0f}x |")


if __name__ == "__main__":
    main()
