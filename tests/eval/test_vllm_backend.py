"""The vLLM backend builds ONE LLM.generate call over all prompts with per-request SamplingParams (vLLM faked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from eval.generation import GenerationRequest, SamplingConfig, resolve_backend_name
from eval.runner import RunSettings, run_eval
from eval.vllm_backend import VLLMBackend


@dataclass
class FakeSamplingParams:
    """Accepts exactly the keyword arguments of vllm.SamplingParams that the backend uses."""

    n: int
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None
    stop: list[str] | None
    skip_special_tokens: bool


@dataclass
class FakeLLM:
    """Records generate calls; answers every sample with a boxed '7', the last one of each prompt truncated."""

    tokenizer: object
    calls: list = field(default_factory=list)

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, sampling_params=None, use_tqdm=True):
        self.calls.append((prompts, sampling_params))
        return [
            SimpleNamespace(outputs=[
                SimpleNamespace(
                    index=i, text=f"so \\boxed{{7}} #{i}", finish_reason="length" if i == p.n - 1 else "stop"
                )
                for i in reversed(range(p.n))  # out of order on purpose
            ])
            for p in sampling_params
        ]


def fake_tokenizer(text: str, add_special_tokens: bool = True) -> dict:
    return {"input_ids": [len(word) for word in text.split()] + ([0] if add_special_tokens else [])}


fake_tokenizer.chat_template = "{{ messages }}"


def test_one_generate_call_with_n_seed_and_stop_per_request():
    llm = FakeLLM(fake_tokenizer)
    backend = VLLMBackend("unused", llm=llm, sampling_params_cls=FakeSamplingParams, show_progress=False)
    sampling = SamplingConfig(n=4, temperature=0.6, top_p=0.95, max_tokens=100, seed=1, stop=("</s>",))
    requests = [GenerationRequest("a bb", 4, seed=11), GenerationRequest("ccc", 2, seed=12)]
    completions = backend.generate(requests, sampling)
    assert len(llm.calls) == 1
    prompts, params = llm.calls[0]
    assert prompts == [{"prompt_token_ids": [1, 2]}, {"prompt_token_ids": [3]}]  # no special tokens added
    assert [p.n for p in params] == [4, 2] and [p.seed for p in params] == [11, 12]
    assert params[0] == FakeSamplingParams(4, 0.6, 0.95, 100, 11, ["</s>"], True)
    assert [c.text for c in completions[0]] == [f"so \\boxed{{7}} #{i}" for i in range(4)]
    assert [c.finish_reason for c in completions[1]] == ["stop", "length"]


def test_greedy_sampling_sends_top_p_one():
    llm = FakeLLM(fake_tokenizer)
    backend = VLLMBackend("unused", llm=llm, sampling_params_cls=FakeSamplingParams, show_progress=False)
    backend.generate([GenerationRequest("x", 1, seed=0)], SamplingConfig(n=1, temperature=0.0, top_p=0.5))
    assert llm.calls[0][1][0].top_p == 1.0 and llm.calls[0][1][0].stop is None


def test_a_full_run_uses_a_single_generate_call_over_all_benchmarks(benchmarks_dir: Path, tmp_path: Path):
    llm = FakeLLM(fake_tokenizer)
    backend = VLLMBackend("unused", llm=llm, sampling_params_cls=FakeSamplingParams, show_progress=False)
    settings = RunSettings(
        model="fake", benchmarks=("aime25", "amc23"), sampling=SamplingConfig(n=3, max_tokens=10), template="boxed",
        chat_template=False, backend="vllm", limit=4, data_dir=str(benchmarks_dir),
    )
    results = run_eval(settings, tmp_path / "run", lambda: backend, workers=1, show_progress=False)
    assert len(llm.calls) == 1 and len(llm.calls[0][0]) == 8
    assert results["benchmarks"]["aime25"]["truncated"] == 4  # one "length" sample per problem
    assert results["benchmarks"]["amc23"]["num_samples"] == 12


def test_vllm_backend_without_vllm_installed_says_how_to_get_it():
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"pip install -e '\.\[gpu\]'"):
            VLLMBackend("unused")
    else:
        pytest.skip("vLLM is installed")


def test_backend_auto_falls_back_to_hf_without_vllm_or_cuda():
    import importlib.util

    import torch

    expected = "vllm" if importlib.util.find_spec("vllm") and torch.cuda.is_available() else "hf"
    assert resolve_backend_name("auto") == expected
    with pytest.raises(ValueError, match="unknown backend 'tgi'"):
        resolve_backend_name("tgi")
