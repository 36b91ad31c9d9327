"""The vLLM evaluation step of the GPU smoke test: ``python -m eval run``'s pipeline on a few problems, with an eager
vLLM engine (no torch.compile, no CUDA graphs, so nothing is compiled or cached).

``python -m recipe.asyppo.scripts.smoke_eval --model DIR --out DIR [--benchmark math500] [--limit 8]``
writes the evaluation run (``samples.jsonl``, ``results.json``, ...) to ``--out`` and ``--out/timing.json``:
``{"engine_start_s", "eval_s", "problems", "samples"}``. The benchmark files are the ones shipped in ``eval/data``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from eval.generation import SamplingConfig
from eval.prompts import DEFAULT_TEMPLATE
from eval.runner import RunSettings, run_eval
from eval.vllm_backend import VLLMBackend

TIMING_FILE = "timing.json"


def eager_engine(model: str, gpu_memory_utilization: float, max_model_len: int) -> tuple[Any, Any]:
    """(``vllm.LLM`` in eager mode, ``vllm.SamplingParams``)."""
    from vllm import LLM, SamplingParams

    llm = LLM(model=model, enforce_eager=True, gpu_memory_utilization=gpu_memory_utilization,
              max_model_len=max_model_len, seed=0)
    return llm, SamplingParams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.scripts.smoke_eval", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--model", required=True, help="model directory")
    parser.add_argument("--out", required=True, type=Path, help="evaluation run directory")
    parser.add_argument("--benchmark", default="math500")
    parser.add_argument("--limit", type=int, default=8, help="problems")
    parser.add_argument("--n", type=int, default=2, help="samples per problem")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--max-model-len", type=int, default=2048)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.3)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    llm, sampling_params_cls = eager_engine(args.model, args.gpu_memory_utilization, args.max_model_len)
    backend = VLLMBackend(args.model, llm=llm, sampling_params_cls=sampling_params_cls, show_progress=False)
    engine_start_s = time.perf_counter() - start
    settings = RunSettings(
        model=args.model, benchmarks=(args.benchmark,), template=DEFAULT_TEMPLATE, chat_template=True,
        sampling=SamplingConfig(n=args.n, temperature=0.6, top_p=0.95, max_tokens=args.max_tokens, seed=0),
        backend="vllm", limit=args.limit,
    )
    start = time.perf_counter()
    run_eval(settings, args.out, lambda: backend, workers=2, show_progress=False)
    timing = {"engine_start_s": engine_start_s, "eval_s": time.perf_counter() - start, "problems": args.limit,
              "samples": args.limit * args.n}
    (args.out / TIMING_FILE).write_text(json.dumps(timing) + "\n")
    print(json.dumps(timing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
