"""The GPU critic check (benchmarks/gpu_critic_bench.py) runs on CPU with tiny shapes and needs no verl, Ray or vLLM."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from recipe.asyppo.tools.tiny_models import build_model, build_tokenizer

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_critic_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gpu_critic_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def qwen3_models(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("qwen3")
    tokenizer = build_tokenizer(out / "tokenizer")
    actor = build_model(out / "actor", tokenizer, hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2,
                        intermediate_size=128, arch="qwen3")
    critic = build_model(out / "critic", tokenizer, hidden_size=32, num_layers=2, num_heads=2, num_kv_heads=1,
                         intermediate_size=64, arch="qwen3")
    return actor, critic


def test_the_gpu_check_imports_only_torch_transformers_and_our_pure_modules():
    code = (f"import importlib.util, sys; spec = importlib.util.spec_from_file_location('b', {str(BENCH)!r}); "
            "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'verl', 'ray', 'vllm', 'omegaconf', 'hydra', "
            "'tensordict', 'transfer_queue', 'pandas', 'datasets'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=BENCH.parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_gpu_check_runs_on_cpu_with_tiny_shapes(bench, qwen3_models, tmp_path):
    actor, critic = qwen3_models
    status = bench.main(["--out", str(tmp_path), "--device", "cpu", "--actor", str(actor), "--critic", str(critic),
                         "--seqs", "4", "--seq-len", "600", "--micro-tokens", "1200", "--repeats", "1",
                         "--gae-batch", "8", "--gae-length", "64"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert status == 0, result
    bf16, now, fp32_head, fp32 = (tie["tied_fraction"] for tie in result["a_ties_and_device"]["ties"].values())
    # sigma in bf16 ties most, the float32 cast of bf16 values less, an fp32 head less again, fp32 critics least
    assert bf16 >= now >= fp32_head >= fp32
    assert next(iter(result["a_ties_and_device"]["ties"].values()))["tokens"] >= 4 * 512  # responses >= 512 tokens
    assert all(result["a_ties_and_device"]["checks"][k] for k in (
        "advantages_and_returns_float32", "adv_mask_equal_device_vs_cpu", "shards_equal_device_vs_cpu"))
    step = result["b_training_step"]
    assert step["tokens"] == 2400 and step["ratios"]["predicted_critic_flops"] < 1
    assert result["c_gae"]["compute_gae_max_abs_err_vs_float64_loop"] < 1e-5
    assert "## b. critic step at equal tokens" in (tmp_path / "result.md").read_text()


def test_a_failing_part_is_recorded_and_the_others_still_run(bench, qwen3_models, tmp_path):
    actor, critic = qwen3_models
    status = bench.main(["--out", str(tmp_path), "--device", "cpu", "--actor", str(actor), "--critic", str(critic),
                         "--seqs", "4", "--seq-len", "64", "--attn", "no_such_attention", "--parts", "b,c",
                         "--gae-batch", "4", "--gae-length", "16", "--repeats", "1"])
    result = json.loads((tmp_path / "result.json").read_text())
    assert status == 1
    assert "no_such_attention" in result["b_training_step"]["error"]
    assert "loop_s" in result["c_gae"]
