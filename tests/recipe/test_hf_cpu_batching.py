"""The ``hf_cpu`` rollout generates concurrent requests as one batch, and batching changes no response."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from recipe.asyppo.cpu.hf_generation import HFGenerator, SamplingSpec

TEXTS = ("What is 3 + 4?\n", "Compute 12 * 2, then add five to it, then say why.\n", "Hi")


@pytest.fixture(scope="module")
def generator(tiny_models: tuple[Path, Path]) -> HFGenerator:
    return HFGenerator(str(tiny_models[0]))


def test_a_batched_row_returns_what_the_prompt_returns_alone(generator):
    prompts = [generator.tokenizer(text)["input_ids"] for text in TEXTS]  # 3 lengths: rows are left-padded
    specs = [SamplingSpec(max_tokens=7, temperature=0, ignore_eos=True),
             SamplingSpec(max_tokens=3, temperature=1.0, ignore_eos=True),  # ends first, then is fed padding
             SamplingSpec(max_tokens=9, temperature=0.7, top_p=0.9, ignore_eos=True)]
    alone = [generator.generate(p, s, torch.Generator().manual_seed(i))
             for i, (p, s) in enumerate(zip(prompts, specs, strict=True))]
    batched = generator.generate_batch(prompts, specs, [torch.Generator().manual_seed(i) for i in range(3)])
    for single, row in zip(alone, batched, strict=True):
        assert row.token_ids == single.token_ids
        assert row.finish_reason == single.finish_reason == "length"
        assert row.log_probs == pytest.approx(single.log_probs, abs=1e-5)
    assert [len(row.token_ids) for row in batched] == [7, 3, 9]


def test_generate_batch_rejects_mismatched_lists(generator):
    with pytest.raises(ValueError, match="2 prompts, 1 specs"):
        generator.generate_batch([[1], [2]], [SamplingSpec(max_tokens=1)], [torch.Generator()])


def test_server_runs_concurrent_requests_as_one_batch_with_the_same_responses(tiny_models, generator, monkeypatch):
    from recipe.asyppo.cpu.rollout import HFRolloutServer

    config = OmegaConf.create({"name": "hf_cpu", "prompt_length": 32, "response_length": 5, "dtype": "float32",
                               "ignore_eos": True, "seed": 3})
    prompts = [generator.tokenizer(text)["input_ids"] for text in TEXTS] * 2  # each prompt twice, like rollout.n
    params = {"temperature": 1.0, "logprobs": True}

    def responses(concurrent: bool) -> tuple[list[list[int]], list[int]]:
        server = HFRolloutServer(config, OmegaConf.create({"path": str(tiny_models[0])}))
        sizes: list[int] = []
        original = server.generator.generate_batch

        def counting(prompts, specs, generators):
            sizes.append(len(prompts))
            return original(prompts, specs, generators)

        monkeypatch.setattr(server.generator, "generate_batch", counting)

        async def scenario():
            await server.set_global_steps(1)
            calls = [server.generate(p, params, request_id=f"r{i}") for i, p in enumerate(prompts)]
            if concurrent:
                return await asyncio.gather(*calls)
            return [await call for call in calls]

        return [output.token_ids for output in asyncio.run(scenario())], sizes

    together, together_sizes = responses(concurrent=True)
    one_by_one, one_by_one_sizes = responses(concurrent=False)
    assert together_sizes == [6] and one_by_one_sizes == [1] * 6
    assert together == one_by_one
