"""The GPU smoke test's vLLM evaluation step builds an eager engine and runs eval's pipeline (vLLM faked here)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from types import SimpleNamespace

from recipe.asyppo.scripts import smoke_eval
from recipe.asyppo.tools.tiny_models import build_tokenizer


@dataclass
class FakeSamplingParams:
    n: int
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None
    stop: list[str] | None
    skip_special_tokens: bool


class FakeLLM:
    """Records its engine arguments; answers every sample with a boxed 7."""

    made: list[dict] = []

    def __init__(self, **kwargs):
        FakeLLM.made.append(kwargs)
        self.tokenizer = build_tokenizer(kwargs["model"])

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, sampling_params=None, use_tqdm=True):
        return [SimpleNamespace(outputs=[SimpleNamespace(index=i, text="\\boxed{7}", finish_reason="stop")
                                         for i in range(p.n)]) for p in sampling_params]


def test_smoke_eval_runs_eval_with_an_eager_engine_and_writes_its_timing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", SimpleNamespace(LLM=FakeLLM, SamplingParams=FakeSamplingParams))
    out = tmp_path / "eval"
    assert smoke_eval.main(["--model", str(tmp_path / "model"), "--out", str(out), "--limit", "3", "--n", "2"]) == 0
    assert FakeLLM.made[-1]["enforce_eager"] is True
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and {s["benchmark"] for s in samples} == {"math500"}
    timing = json.loads((out / "timing.json").read_text())
    assert (timing["problems"], timing["samples"]) == (3, 6)
