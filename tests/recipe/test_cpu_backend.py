"""The CPU path for verl: the ``hf_cpu`` rollout engine and server, the ``cpu`` platform, and one real PPO step."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from recipe.asyppo.cpu.hf_generation import HFGenerator, SamplingSpec
from recipe.asyppo.tools.tiny_models import build_model

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator(tiny_models: tuple[Path, Path]) -> HFGenerator:
    return HFGenerator(str(tiny_models[0]))


@pytest.fixture(scope="module")
def prompt_ids(generator: HFGenerator) -> list[int]:
    return generator.tokenizer("What is 3 + 4?\n")["input_ids"]


def _greedy(generator: HFGenerator, prompt_ids: list[int], max_tokens: int = 8) -> list[int]:
    return _greedy_output(generator, prompt_ids, max_tokens).token_ids


def _greedy_output(generator: HFGenerator, prompt_ids: list[int], max_tokens: int = 8):
    spec = SamplingSpec(max_tokens=max_tokens, temperature=0, ignore_eos=True)
    return generator.generate(prompt_ids, spec, torch.Generator().manual_seed(0))


def test_logprobs_equal_the_models_log_softmax_at_each_sampled_token(generator, prompt_ids):
    spec = SamplingSpec(max_tokens=6, temperature=0.7, ignore_eos=True)
    out = generator.generate(prompt_ids, spec, torch.Generator().manual_seed(3))
    with torch.no_grad():
        logits = generator.model(input_ids=torch.tensor([prompt_ids + out.token_ids])).logits[0].float()
    positions = range(len(prompt_ids) - 1, len(prompt_ids) - 1 + len(out.token_ids))
    expected = [float(torch.log_softmax(logits[p] / 0.7, -1)[t]) for p, t in zip(positions, out.token_ids, strict=True)]
    assert len(out.token_ids) == 6 and out.finish_reason == "length"
    assert out.log_probs == pytest.approx(expected, abs=1e-4)


def test_max_tokens_caps_the_response_length(generator, prompt_ids):
    out = generator.generate(prompt_ids, SamplingSpec(max_tokens=3, ignore_eos=True), torch.Generator().manual_seed(0))
    assert len(out.token_ids) == 3 and len(out.log_probs) == 3 and out.finish_reason == "length"


def test_eos_ends_generation_and_is_kept_unless_ignore_eos(tiny_models, prompt_ids):
    generator = HFGenerator(str(tiny_models[0]))
    first = _greedy(generator, prompt_ids)[0]
    generator.eos_token_ids = frozenset({first})
    stopped = generator.generate(prompt_ids, SamplingSpec(max_tokens=8, temperature=0), torch.Generator())
    ignored = _greedy_output(generator, prompt_ids)
    assert stopped.token_ids == [first] and stopped.finish_reason == "stop"
    assert len(ignored.token_ids) == 8


def test_stop_token_ids_and_stop_strings_end_generation(generator, prompt_ids):
    greedy = _greedy(generator, prompt_ids)
    by_token = generator.generate(
        prompt_ids, SamplingSpec(max_tokens=8, temperature=0, ignore_eos=True, stop_token_ids=(greedy[1],)),
        torch.Generator(),
    )
    stop_text = generator.tokenizer.decode(greedy[:3])
    by_string = generator.generate(
        prompt_ids, SamplingSpec(max_tokens=8, temperature=0, ignore_eos=True, stop=(stop_text,)), torch.Generator()
    )
    first_hit = next(k for k in range(1, 9) if stop_text in generator.tokenizer.decode(greedy[:k]))
    assert by_token.token_ids == greedy[: greedy.index(greedy[1]) + 1] and by_token.finish_reason == "stop"
    assert by_string.token_ids == greedy[:first_hit] and by_string.finish_reason == "stop"


def test_sampling_is_deterministic_for_a_seed(generator, prompt_ids):
    spec = SamplingSpec(max_tokens=12, temperature=1.0, ignore_eos=True)
    runs = [generator.generate(prompt_ids, spec, torch.Generator().manual_seed(s)).token_ids for s in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize("filtering", [{"top_k": 1}, {"top_p": 1e-6}])
def test_keeping_only_the_top_token_is_greedy_with_logprob_zero(generator, prompt_ids, filtering):
    spec = SamplingSpec(max_tokens=8, temperature=1.0, ignore_eos=True, **filtering)
    out = generator.generate(prompt_ids, spec, torch.Generator().manual_seed(1))
    assert out.token_ids == _greedy(generator, prompt_ids)
    assert out.log_probs == pytest.approx([0.0] * 8, abs=1e-6)


def test_weight_update_makes_the_rollout_follow_the_new_weights(tiny_models, tmp_path, prompt_ids):
    generator = HFGenerator(str(tiny_models[0]))
    other_dir = build_model(tmp_path / "other", generator.tokenizer, seed=123)
    other = HFGenerator(str(other_dir))
    before = _greedy_output(generator, prompt_ids)
    loaded = generator.load_weights(other.model.state_dict().items())
    after, reference = _greedy_output(generator, prompt_ids), _greedy_output(other, prompt_ids)
    assert loaded == len(other.model.state_dict())
    assert after.token_ids == reference.token_ids and after.log_probs == pytest.approx(reference.log_probs, abs=1e-6)
    assert after.log_probs != pytest.approx(before.log_probs, abs=1e-3)


def test_weight_update_rejects_unknown_names_and_shapes(generator):
    with pytest.raises(KeyError, match="model.nope"):
        generator.load_weights([("model.nope", torch.zeros(1))])
    with pytest.raises(ValueError, match="model.norm.weight"):
        generator.load_weights([("model.norm.weight", torch.zeros(3))])


def test_sampling_params_from_verl_requests():
    spec = SamplingSpec.from_request({"temperature": 0.5, "logprobs": 0, "max_new_tokens": 4}, default_max_tokens=9)
    assert (spec.temperature, spec.logprobs, spec.max_tokens) == (0.5, False, 4)
    assert SamplingSpec.from_request({"stop": "###"}, default_max_tokens=9).stop == ("###",)
    with pytest.raises(ValueError, match="presence_penalty"):
        SamplingSpec.from_request({"presence_penalty": 1.0}, default_max_tokens=9)
    with pytest.raises(ValueError, match="max_tokens"):
        SamplingSpec(max_tokens=0)


def test_server_generate_defaults_to_response_length_and_reports_global_steps(tiny_models, prompt_ids):
    from omegaconf import OmegaConf

    from recipe.asyppo.cpu.rollout import HFRolloutServer

    config = OmegaConf.create(
        {"name": "hf_cpu", "prompt_length": 32, "response_length": 5, "dtype": "float32", "ignore_eos": True}
    )
    server = HFRolloutServer(config, OmegaConf.create({"path": str(tiny_models[0])}))

    async def scenario():
        await server.set_global_steps(3)
        return await server.generate(prompt_ids, {"temperature": 1.0, "logprobs": True}, request_id="r0")

    output = asyncio.run(scenario())
    assert len(output.token_ids) == 5 and len(output.log_probs) == 5
    assert output.extra_fields["global_steps"] == 3


def _server(tiny_models, seed: int = 5):
    from omegaconf import OmegaConf

    from recipe.asyppo.cpu.rollout import HFRolloutServer

    config = OmegaConf.create({"name": "hf_cpu", "prompt_length": 32, "response_length": 6, "dtype": "float32",
                               "ignore_eos": True, "seed": seed})
    return HFRolloutServer(config, OmegaConf.create({"path": str(tiny_models[0])}))


def test_server_responses_per_prompt_do_not_depend_on_request_order(tiny_models, generator):
    prompts = [generator.tokenizer(text)["input_ids"] for text in ("What is 3 + 4?\n", "Compute 12 * 2.\n")]
    requests = [0, 0, 1, 1, 0]  # prompt index of each request: rollout.n copies arrive interleaved
    params = {"temperature": 1.0, "logprobs": True}

    async def responses(server, order):
        await server.set_global_steps(2)
        outputs = await asyncio.gather(*(
            server.generate(prompts[requests[i]], params, request_id=f"r{i}") for i in order
        ))
        per_prompt = [[], []]
        for i, out in zip(order, outputs, strict=True):
            per_prompt[requests[i]].append(tuple(out.token_ids))
        return [sorted(group) for group in per_prompt]

    forward = asyncio.run(responses(_server(tiny_models), [0, 1, 2, 3, 4]))
    backward = asyncio.run(responses(_server(tiny_models), [4, 3, 2, 1, 0]))
    other_seed = asyncio.run(responses(_server(tiny_models, seed=6), [0, 1, 2, 3, 4]))
    assert forward == backward
    assert len(set(forward[0])) == 3 and len(set(forward[1])) == 2  # the copies of a prompt differ
    assert forward != other_seed


def test_server_seed_changes_with_the_global_step_and_an_explicit_seed_wins(tiny_models, prompt_ids):
    server = _server(tiny_models)

    async def sample(step, params):
        await server.set_global_steps(step)
        return (await server.generate(prompt_ids, {"temperature": 1.0, **params}, request_id="r")).token_ids

    async def scenario():
        step_1, step_2 = await sample(1, {}), await sample(2, {})
        return step_1, step_2, await sample(3, {"seed": 11}), await sample(4, {"seed": 11})

    step_1, step_2, explicit_3, explicit_4 = asyncio.run(scenario())
    assert step_1 != step_2
    assert explicit_3 == explicit_4


def test_cpu_platform_is_never_auto_detected(monkeypatch):
    from verl.plugin.platform.platform_manager import _detect_platform_name

    from recipe.asyppo.cpu.platform import PlatformCPU

    monkeypatch.delenv("VERL_PLATFORM", raising=False)
    assert PlatformCPU().is_platform_available(use_smi_check=True) is False
    assert _detect_platform_name() != "cpu"
    monkeypatch.setenv("VERL_PLATFORM", "cpu")
    assert _detect_platform_name() == "cpu"


def test_cpu_platform_uses_gloo_and_ray_cpus():
    from recipe.asyppo.cpu.platform import PlatformCPU

    platform = PlatformCPU()
    assert (platform.device_name, platform.communication_backend_name()) == ("cpu", "gloo")
    assert platform.ray_resource_options(0.5) == {"num_cpus": 0.5}
    assert platform.device_module.memory_allocated() == 0 and platform.device_module.device_count() == 1


_PROBE = """
import verl
from verl.utils.device import get_device_name, get_nccl_backend
from verl.workers.engine import EngineRegistry
from verl.workers.rollout.base import _ROLLOUT_REGISTRY
print(get_device_name(), get_nccl_backend(), ("hf_cpu", "async") in _ROLLOUT_REGISTRY,
      EngineRegistry.get_engine_cls("value_model", "fsdp2").__name__ if get_device_name() == "cpu" else "-")
"""


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("cpu", "cpu gloo True FSDPEngineWithValueHead"), ("", "cuda nccl False -")],
)
def test_plugin_activates_only_when_verl_platform_is_cpu(platform, expected):
    env = {**os.environ, "VERL_PLATFORM": platform, "VERL_USE_EXTERNAL_MODULES": "recipe.asyppo.cpu.plugin"}
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.slow
def test_stock_verl_ppo_trains_one_step_and_validates_on_cpu(tiny_models, tmp_path):
    from verl_runs import STOCK_VERL, launch

    from recipe.asyppo.integration.history import read_metrics
    from recipe.asyppo.tools.tiny_data import build_tiny_data

    data = build_tiny_data(tmp_path / "data", num_train=8, num_val=4)
    launch(STOCK_VERL, tmp_path / "run", tiny_models, data, 1, sizes={"max_response_length": 16}).wait_ok()
    history = read_metrics(tmp_path / "run")
    assert [step for step, metrics in history.items() if "critic/vf_loss" in metrics] == [1]
    assert history[1]["training/rollout_probs_diff_max"] < 1e-4  # hf_cpu log-probs match the actor's
    assert any("val-core" in key for metrics in history.values() for key in metrics)
