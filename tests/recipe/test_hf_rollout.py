"""The ``hf`` rollout (alias ``hf_cpu``): one backend under two names, on verl's device, CPU or CUDA.

No GPU is needed: the CUDA branches (device choice, the server's placement beside its trainer worker's GPU, the
server making that GPU visible) run here with the device named ``cuda`` and Ray's calls faked.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from omegaconf import OmegaConf

from recipe.asyppo.integration.hf_rollout import ROLLOUT_ALIASES, ROLLOUT_NAME, ROLLOUT_NAMES, register_hf_rollout

NODE_A, NODE_B = "a" * 56, "b" * 56  # Ray node ids are 28 bytes in hex


def _rollout_config(name: str, **extra) -> dict:
    return {"name": name, "prompt_length": 32, "response_length": 6, "dtype": "float32", "ignore_eos": True,
            "seed": 5, **extra}


def test_hf_cpu_is_an_alias_of_hf_in_both_verl_registries():
    from verl.workers.rollout.base import _ROLLOUT_REGISTRY
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    from recipe.asyppo.cpu.rollout import HFRolloutReplica

    register_hf_rollout()
    assert (ROLLOUT_NAME, ROLLOUT_ALIASES) == ("hf", ("hf_cpu",))
    adapters = {_ROLLOUT_REGISTRY[(name, "async")] for name in ROLLOUT_NAMES}
    assert adapters == {"recipe.asyppo.cpu.rollout.HFServerAdapter"}
    assert [RolloutReplicaRegistry.get(name) for name in ROLLOUT_NAMES] == [HFRolloutReplica, HFRolloutReplica]


def test_a_server_configured_as_hf_or_hf_cpu_samples_the_same_tokens(tiny_models: tuple[Path, Path]):
    from recipe.asyppo.cpu.rollout import HFRolloutServer

    def tokens(name: str) -> list[list[int]]:
        model = OmegaConf.create({"path": str(tiny_models[0])})
        server = HFRolloutServer(OmegaConf.create(_rollout_config(name)), model)
        prompt = server.generator.tokenizer("What is 3 + 4?\n")["input_ids"]

        async def scenario():
            await server.set_global_steps(1)
            outputs = await asyncio.gather(*(server.generate(prompt, {"temperature": 1.0}, request_id=str(i))
                                             for i in range(3)))
            return sorted(output.token_ids for output in outputs)

        return asyncio.run(scenario())

    hf, hf_cpu = tokens("hf"), tokens("hf_cpu")
    assert hf == hf_cpu
    assert len({tuple(t) for t in hf}) == 3  # three samples of one prompt differ


@pytest.mark.parametrize(("name", "plugged"), [("hf", True), ("hf_cpu", True), ("vllm", False)])
def test_the_entry_point_registers_the_hf_rollout_in_every_process_when_a_run_selects_it(name, plugged, monkeypatch):
    from recipe.asyppo.integration.hf_rollout import PLUGIN_MODULE
    from recipe.asyppo.integration.launch import EXTERNAL_MODULES_ENV, prepare
    from recipe.asyppo.scripts.check_config import compose

    monkeypatch.setenv(EXTERNAL_MODULES_ENV, "")
    prepare(compose(["asyppo.enable=false", f"actor_rollout_ref.rollout.name={name}"]))
    assert (PLUGIN_MODULE in os.environ[EXTERNAL_MODULES_ENV].split(",")) is plugged


def test_rollout_device_follows_verl_and_refuses_cuda_without_a_visible_gpu():
    from recipe.asyppo.cpu.rollout import rollout_device

    assert rollout_device("cpu", cuda_available=False) == "cpu"
    assert rollout_device("cuda", cuda_available=True) == "cuda"
    with pytest.raises(RuntimeError, match="torch sees no CUDA device"):
        rollout_device("cuda", cuda_available=False, ray_gpu="0")
    with pytest.raises(NotImplementedError, match="'npu'"):
        rollout_device("npu", cuda_available=True)


def test_a_cuda_server_runs_on_its_workers_gpu_among_the_gpus_it_sees():
    from recipe.asyppo.cpu.rollout import rollout_device

    assert rollout_device("cuda", True, ray_gpu="3", visible_devices=None) == "cuda:3"  # Ray's ids are indices
    assert rollout_device("cuda", True, ray_gpu="6", visible_devices="4,6,7") == "cuda:1"
    with pytest.raises(RuntimeError, match="Ray GPU '5'.*CUDA_VISIBLE_DEVICES='4,6,7'"):
        rollout_device("cuda", True, ray_gpu="5", visible_devices="4,6,7")


def test_a_cuda_server_is_placed_on_its_workers_node_and_sees_its_gpu():
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from recipe.asyppo.cpu.rollout import server_launch_options

    assert server_launch_options("cpu") == ({"num_cpus": 0}, {})
    options, kwargs = server_launch_options("cuda", worker_node_id=NODE_A, worker_gpu="3")
    assert isinstance(options["scheduling_strategy"], NodeAffinitySchedulingStrategy)
    assert (options["scheduling_strategy"].node_id, options["scheduling_strategy"].soft) == (NODE_A, False)
    assert options["runtime_env"] == {"env_vars": {"RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": "1"}}
    assert options["num_cpus"] == 0 and kwargs == {"ray_gpu": "3"}
    with pytest.raises(ValueError, match="node id and GPU id"):
        server_launch_options("cuda")


def test_a_cuda_server_on_a_machine_without_cuda_stops_naming_the_visible_devices(tiny_models, monkeypatch):
    from recipe.asyppo.cpu.rollout import HFRolloutServer

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    with pytest.raises(RuntimeError, match="torch sees no CUDA device.*CUDA_VISIBLE_DEVICES='7'"):
        HFRolloutServer(OmegaConf.create(_rollout_config("hf")), OmegaConf.create({"path": str(tiny_models[0])}),
                        device="cuda", ray_gpu="7")


def test_a_cuda_replica_launches_its_server_beside_its_first_workers_gpu(monkeypatch):
    import recipe.asyppo.cpu.rollout as rollout
    from recipe.asyppo.cpu.rollout import HFRolloutReplica

    launched = {}

    class FakeActorClass:
        def options(self, **options):
            launched["options"] = options
            return self

        def remote(self, **kwargs):
            launched["kwargs"] = kwargs
            return "server-handle"

    class FakeWorker:
        class __ray_call__:  # noqa: N801 (Ray's name)
            @staticmethod
            async def remote(function):
                context = SimpleNamespace(get_node_id=lambda: NODE_B,
                                          get_accelerator_ids=lambda: {"GPU": ["2"]})
                monkeypatch.setattr(rollout.ray, "get_runtime_context", lambda: context)
                return function(None)

    monkeypatch.setattr(rollout, "get_device_name", lambda: "cuda")
    monkeypatch.setattr(rollout.ray, "remote", lambda cls: FakeActorClass())
    config = OmegaConf.create({"_target_": "verl.workers.config.RolloutConfig",
                               **_rollout_config("hf", tensor_model_parallel_size=1)})
    replica = HFRolloutReplica(0, config, OmegaConf.create({"path": "unused"}), gpus_per_node=1)
    replica.workers = [FakeWorker()]
    asyncio.run(replica.launch_servers())
    assert launched["options"]["scheduling_strategy"].node_id == NODE_B
    assert launched["options"]["name"] == "hf_server_0_0"
    assert (launched["kwargs"]["device"], launched["kwargs"]["ray_gpu"]) == ("cuda", "2")
    assert replica.servers == ["server-handle"]


def test_the_adapter_sends_floating_weights_on_the_host_in_the_rollout_dtype():
    from recipe.asyppo.cpu.rollout import _to_host

    weights, steps = _to_host(torch.ones(2, 3), torch.bfloat16), _to_host(torch.arange(3), torch.bfloat16)
    assert (weights.dtype, weights.device.type) == (torch.bfloat16, "cpu")
    assert steps.dtype == torch.int64


@pytest.mark.slow
def test_the_tiny_cpu_demo_trains_the_same_step_with_hf_and_hf_cpu(tmp_path, tiny_models):
    from verl_runs import ASYPPO, launch

    from recipe.asyppo.integration.history import read_metrics
    from recipe.asyppo.tools.tiny_data import build_tiny_data

    data = build_tiny_data(tmp_path / "data", num_train=8, num_val=4)
    sizes = {"max_response_length": 16}
    runs = {}
    for name in ROLLOUT_NAMES:
        launch(ASYPPO, tmp_path / name, tiny_models, data, 1, "trainer.test_freq=-1", "asyppo.num_critics=2",
               f"actor_rollout_ref.rollout.name={name}", sizes=sizes).wait_ok()
        runs[name] = read_metrics(tmp_path / name)[1]
    # Both sample the same set of responses to each prompt; which copy of a prompt gets which may follow request
    # arrival, which permutes rows (and so each critic's shard): compared are the metrics a permutation leaves alone.
    same = ("response_length/mean", "response_length/max", "critic/score/mean")
    assert {key: runs["hf"][key] for key in same} == {key: runs["hf_cpu"][key] for key in same}
    for key in ("rollout_corr/rollout_log_ppl", "actor/grad_norm", "critic/advantages/mean", "asyppo/std/mean"):
        # sums over the rows in another order
        assert runs["hf"][key] == pytest.approx(runs["hf_cpu"][key], rel=1e-5, abs=1e-7), key
