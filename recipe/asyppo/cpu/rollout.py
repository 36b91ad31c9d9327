"""``hf`` (alias ``hf_cpu``): a HuggingFace-transformers rollout backend for verl 0.9's agent loop, on CPU or CUDA.

verl 0.9 generates only through rollout servers (vLLM, SGLang, TRT-LLM); none runs on CPU, and all need their engine
installed. This backend fills the same three slots with plain transformers, selected with
``actor_rollout_ref.rollout.name=hf`` (:mod:`recipe.asyppo.integration.hf_rollout` holds the names and registers them):

- :class:`HFRolloutServer` (a Ray actor, one per replica): ``generate`` token ids in, token ids and log-probs out,
  ``update_weights`` from the trainer; sleep/wake-up/cache/profile calls are no-ops.
- :class:`HFRolloutReplica` (``RolloutReplicaRegistry``): launches the server actor for a hybrid replica.
- :class:`HFServerAdapter` (verl's rollout registry, ``("hf", "async")``): lives in each actor worker and sends
  the actor's weights to the server after every update.

Device: the server runs on verl's device (:func:`verl.utils.device.get_device_name`). On ``cpu`` (the CPU platform)
the server actor takes no Ray resource. On ``cuda`` each replica is one GPU (tensor parallel size 1): its server is
placed on the node of the replica's trainer worker and sees that worker's GPU (the way verl's own vLLM replica shares
the trainer's GPUs), and holds a second copy of the actor's weights in ``rollout.dtype`` there, beside the trainer's.
Weights travel from the FSDP actor as on CPU: gathered full tensors, cast to ``rollout.dtype``, through Ray's object
store.

:func:`recipe.asyppo.integration.hf_rollout.register_hf_rollout` registers the replica and the adapter by name; this
module is imported only when verl asks for them (the plugins, imported by every verl process, do not import it).

It batches concurrent requests with one HF forward per token: for small models (CI, the CPU learning demo, sub-billion
GPU checks) and models vLLM does not support; vLLM is far faster for real training.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
from collections import Counter
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from typing import Any

import ray
import torch
from omegaconf import DictConfig
from verl.utils.config import omega_conf_to_dataclass
from verl.utils.device import get_device_name
from verl.workers.config import HFModelConfig, RolloutConfig
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, TokenOutput
from verl.workers.rollout.utils import ensure_async_iterator

from recipe.asyppo.cpu.hf_generation import HFGenerator, SamplingSpec
from recipe.asyppo.integration.hf_rollout import ROLLOUT_NAME
from recipe.asyppo.verl_compat.cpu_backend import set_replica_server

_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
DEVICES = ("cpu", "cuda")


def server_actor_name(replica_rank: int) -> str:
    """Ray actor name of a replica's server (the adapter looks it up by this name)."""
    return f"{ROLLOUT_NAME}_server_{replica_rank}_0"


def rollout_device(verl_device: str, cuda_available: bool, ray_gpu: str | None = None,
                   visible_devices: str | None = None) -> str:
    """The torch device of a server: ``cpu``, or on ``cuda`` the index of Ray GPU ``ray_gpu`` among the GPUs this
    process sees.

    A server with no Ray GPU resource sees the GPUs of its Ray node (``visible_devices``: its
    ``CUDA_VISIBLE_DEVICES``, None when unset), whose ids are the ones Ray hands out; ``ray_gpu`` is then at position
    ``visible_devices.split(",").index(ray_gpu)`` (or is the index itself when nothing is set). The environment is
    not changed: verl has already asked torch about CUDA when this module imports it.

    Raises:
        NotImplementedError: another device (npu, ...).
        RuntimeError: ``cuda`` where torch sees no CUDA device, or ``ray_gpu`` not among ``visible_devices``.
    """
    if verl_device not in DEVICES:
        raise NotImplementedError(f"the hf rollout runs on {' or '.join(DEVICES)}; verl's device is {verl_device!r}")
    if verl_device == "cpu":
        return "cpu"
    if not cuda_available:
        raise RuntimeError(f"verl's device is cuda but torch sees no CUDA device in the hf rollout server "
                           f"(CUDA_VISIBLE_DEVICES={visible_devices!r})")
    if ray_gpu is None:
        return "cuda"
    visible = [gpu.strip() for gpu in visible_devices.split(",")] if visible_devices else None
    if visible is None:
        return f"cuda:{int(ray_gpu)}"
    if ray_gpu not in visible:
        raise RuntimeError(f"Ray GPU {ray_gpu!r} of the hf rollout server is not among CUDA_VISIBLE_DEVICES="
                           f"{visible_devices!r}")
    return f"cuda:{visible.index(ray_gpu)}"


def server_launch_options(verl_device: str, worker_node_id: str | None = None,
                          worker_gpu: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Ray actor options, extra constructor kwargs) of a replica's server on ``verl_device``.

    On ``cpu`` the server takes no Ray resource. On ``cuda`` it is pinned to the node of the replica's trainer worker,
    Ray is told not to hide the GPUs from it (an actor with no GPU resource otherwise gets an empty
    ``CUDA_VISIBLE_DEVICES``), and the server is given the worker's Ray GPU id to run on (:func:`rollout_device`).
    This is the placement of verl 0.9.1's ``vLLMReplica.launch_servers`` (``verl/workers/rollout/vllm_rollout/
    vllm_async_server.py``, the lines after "get (node_id, CUDA_VISIBLE_DEVICES) of all workers").

    Args:
        verl_device: ``cpu`` or ``cuda``.
        worker_node_id, worker_gpu: Ray node id and Ray GPU id of the replica's (first) trainer worker; cuda only.

    Raises:
        NotImplementedError: another device. ValueError: cuda without the worker's node and GPU.
    """
    if verl_device == "cpu":
        return {"num_cpus": 0}, {}
    if verl_device != "cuda":
        raise NotImplementedError(f"the hf rollout runs on {' or '.join(DEVICES)}; verl's device is {verl_device!r}")
    if worker_node_id is None or worker_gpu is None:
        raise ValueError("a cuda server needs its trainer worker's node id and GPU id")
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    options = {
        "num_cpus": 0,
        "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=worker_node_id, soft=False),
        "runtime_env": {"env_vars": {"RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": "1"}},
    }
    return options, {"ray_gpu": str(worker_gpu)}


def request_seed(server_seed: int, global_steps: int, prompt_ids: list[int], occurrence: int) -> int:
    """The default sampling seed of a request: a stable hash (BLAKE2b, not Python's salted ``hash``) of its inputs.

    Args:
        server_seed: ``rollout.seed + replica_rank``.
        global_steps: the server's global step (-1 before the first ``set_global_steps``).
        prompt_ids: the request's prompt token ids.
        occurrence: how many earlier requests of this global step had the same prompt (0 for the first).

    Returns:
        a seed in ``[0, 2**63)``.
    """
    digest = hashlib.blake2b(digest_size=8)
    digest.update(struct.pack("<3q", server_seed, global_steps, occurrence))
    digest.update(struct.pack(f"<{len(prompt_ids)}q", *prompt_ids))
    return int.from_bytes(digest.digest(), "little") >> 1


class HFRolloutServer:
    """Serves one small causal LM with :class:`HFGenerator`; concurrent requests are generated as one batch.

    verl's agent loop sends a step's requests concurrently. They wait in a queue until it stops growing for
    ``batch_window_s`` (or holds ``rollout.max_num_seqs``), then run together through
    :meth:`HFGenerator.generate_batch` in a worker thread, each with its own sampling parameters and seeded generator.

    A request without an explicit ``seed`` samples with :func:`request_seed` of the server seed, the global step, its
    prompt and the prompt's occurrence in this step, so a run's rollouts do not depend on the order in which
    concurrent requests arrive (see :meth:`generate`), nor on which requests share a batch (up to float rounding).

    Args:
        config: the rollout config (``actor_rollout_ref.rollout``): ``dtype``, ``seed``, ``prompt_length``,
            ``response_length``, ``max_model_len``, ``ignore_eos``.
        model_config: the model config (``actor_rollout_ref.model``); the weights come from its ``path``.
        replica_rank: rank of the replica; offsets the default sampling seed.
        num_threads: torch intra-op threads of this process; None keeps torch's default (``OMP_NUM_THREADS``).
        batch_window_s: how long the queue must stay unchanged before a batch starts.
        device: verl's device name, ``cpu`` or ``cuda`` (:func:`rollout_device`).
        ray_gpu: on cuda, the Ray GPU id of the replica's trainer worker, whose GPU the server shares
            (:func:`server_launch_options`); None: torch's current CUDA device.
    """

    def __init__(
        self,
        config: RolloutConfig | DictConfig,
        model_config: HFModelConfig | DictConfig,
        replica_rank: int = 0,
        num_threads: int | None = None,
        batch_window_s: float = 0.05,
        device: str = "cpu",
        ray_gpu: str | None = None,
    ):
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        self.config: RolloutConfig = omega_conf_to_dataclass(config, dataclass_type=RolloutConfig)
        model_config = omega_conf_to_dataclass(model_config, dataclass_type=HFModelConfig)
        device = rollout_device(device, device == "cuda" and torch.cuda.is_available(), ray_gpu,
                                os.environ.get("CUDA_VISIBLE_DEVICES"))
        self.generator = HFGenerator(model_config.local_path, dtype=rollout_dtype(self.config), device=device)
        self.max_model_len = self.config.max_model_len or self.config.prompt_length + self.config.response_length
        self._server_seed = self.config.seed + replica_rank
        self._lock = asyncio.Lock()
        self.global_steps: int | None = None
        self._prompt_counts: Counter[bytes] = Counter()
        self._batch_window_s = batch_window_s
        self._queue: list[_Pending] = []
        self._batcher: asyncio.Task | None = None

    async def generate(
        self,
        prompt_ids: list[int],
        sampling_params: dict[str, Any],
        request_id: str,
        image_data: Any = None,
        video_data: Any = None,
        audio_data: Any = None,
        **kwargs: Any,
    ) -> TokenOutput:
        """Generate a response to ``prompt_ids``; same contract as verl's vLLM server ``generate``.

        ``max_tokens`` defaults to ``min(response_length, prompt_length + response_length - len(prompt_ids))`` and is
        clipped to the room left in ``max_model_len``.

        An explicit ``sampling_params["seed"]`` seeds the request. Otherwise the seed is :func:`request_seed` of the
        server seed, the global step (training and validation requests alike), the prompt ids and the prompt's
        occurrence: the k-th request of a global step with a given prompt gets occurrence k, so the ``rollout.n``
        copies of a prompt get different seeds. Occurrences are numbered in arrival order, so with the same seed the
        SET of responses to each prompt is reproducible, while which of the n copies gets which response may follow
        arrival order.

        Raises:
            NotImplementedError: multimodal inputs.
            ValueError: the prompt leaves no room to generate, or an unsupported sampling parameter.
        """
        if any(x is not None for x in (image_data, video_data, audio_data)) or kwargs.get("mm_processor_kwargs"):
            raise NotImplementedError("hf rollout is text-only")
        room = self.max_model_len - len(prompt_ids)
        if room < 1:
            raise ValueError(f"prompt of {len(prompt_ids)} tokens leaves no room in max_model_len {self.max_model_len}")
        cfg = self.config
        default_max = min(cfg.response_length, cfg.prompt_length + cfg.response_length - len(prompt_ids))
        params = {"ignore_eos": cfg.ignore_eos, **sampling_params}
        spec = SamplingSpec.from_request(params, default_max_tokens=max(1, default_max))
        if spec.max_tokens > room:
            spec = SamplingSpec.from_request({**params, "max_tokens": room}, default_max_tokens=room)
        seed = spec.seed if spec.seed is not None else self._default_seed(prompt_ids)
        pending = _Pending(list(prompt_ids), spec, seed, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.create_task(self._run_batches())
        result = await pending.future
        return TokenOutput(
            token_ids=result.token_ids,
            log_probs=result.log_probs,
            stop_reason="completed",
            extra_fields={"global_steps": self.global_steps},
        )

    async def _run_batches(self) -> None:
        """Generate queued requests in batches until the queue is empty."""
        max_batch = max(1, self.config.max_num_seqs)
        while self._queue:
            size = -1
            while size != len(self._queue) and len(self._queue) < max_batch:
                size = len(self._queue)
                await asyncio.sleep(self._batch_window_s)
            batch, self._queue = self._queue[:max_batch], self._queue[max_batch:]
            async with self._lock:
                try:
                    results = await asyncio.to_thread(
                        self.generator.generate_batch, [p.prompt_ids for p in batch], [p.spec for p in batch],
                        [self.generator.new_rng(p.seed) for p in batch])
                except Exception as error:  # every waiting request gets the error, the server keeps serving
                    for pending in batch:
                        if not pending.future.done():
                            pending.future.set_exception(error)
                    continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():  # a cancelled request's future is already done
                    pending.future.set_result(result)

    async def update_weights(self, named_tensors: list[tuple[str, torch.Tensor]]) -> int:
        """Load the trainer's weights (HF names); returns the number of tensors loaded."""
        async with self._lock:
            return self.generator.load_weights(named_tensors)

    def _default_seed(self, prompt_ids: list[int]) -> int:
        """Seed of a request without one; counts the prompt's occurrence in this global step (call once per request)."""
        key = struct.pack(f"<{len(prompt_ids)}q", *prompt_ids)
        occurrence = self._prompt_counts[key]
        self._prompt_counts[key] += 1
        step = -1 if self.global_steps is None else self.global_steps
        return request_seed(self._server_seed, step, list(prompt_ids), occurrence)

    async def set_global_steps(self, global_steps: int) -> None:
        """Set the step reported with every output; a new step restarts the prompts' occurrence counts."""
        if global_steps != self.global_steps:
            self._prompt_counts.clear()
        self.global_steps = global_steps

    async def wake_up(self, tags: list[str] | None = None) -> None:
        """No-op: weights stay in host memory."""

    async def sleep(self) -> None:
        """No-op: weights stay in host memory."""

    async def clear_kv_cache(self) -> None:
        """No-op: the KV cache lives only for the duration of one request."""

    async def release_kv_cache(self) -> None:
        """No-op."""

    async def resume_kv_cache(self) -> None:
        """No-op."""

    async def wait_for_requests_to_drain(self) -> None:
        """Return once every queued request has been generated."""
        while self._batcher is not None and not self._batcher.done():
            await asyncio.wait({self._batcher})

    async def abort_all_requests(self, reset_prefix_cache: bool = True, reject_request: bool = False) -> dict:
        """Nothing is aborted: a running request finishes (partial rollout is not supported)."""
        return {"aborted_count": 0, "request_ids": []}

    async def resume_generation(self) -> None:
        """No-op."""

    async def start_profile(self, **kwargs: Any) -> None:
        """No-op."""

    async def stop_profile(self) -> None:
        """No-op."""


@dataclass
class _Pending:
    """A queued request and the future its ``generate`` call awaits."""

    prompt_ids: list[int]
    spec: SamplingSpec
    seed: int
    future: asyncio.Future


class HFRolloutReplica(RolloutReplica):
    """A hybrid ``hf`` replica: one :class:`HFRolloutServer` actor beside the trainer's workers (one node; on cuda,
    on the GPU of the replica's first worker)."""

    async def launch_servers(self) -> None:
        if self.nnodes != 1:
            raise NotImplementedError(f"hf rollout runs on one node; this replica spans {self.nnodes}")
        device = get_device_name()
        node_id = gpu = None
        if device == "cuda":
            node_id, gpu = await self.workers[0].__ray_call__.remote(_node_and_gpu)
        options, device_kwargs = server_launch_options(device, node_id, gpu)
        server = (
            ray.remote(HFRolloutServer)
            .options(name=server_actor_name(self.replica_rank), max_concurrency=self.max_concurrency, **options)
            .remote(config=self.config, model_config=self.model_config, replica_rank=self.replica_rank,
                    device=device, **device_kwargs)
        )
        self.servers = [server]
        set_replica_server(self, server, server_actor_name(self.replica_rank))


def _node_and_gpu(worker: Any) -> tuple[str, str]:
    """(Ray node id, first Ray GPU id) of the Ray actor this runs in (called through ``__ray_call__``)."""
    context = ray.get_runtime_context()
    return context.get_node_id(), context.get_accelerator_ids()["GPU"][0]


class HFServerAdapter(BaseRollout):
    """The trainer-side half of ``hf``: pushes updated actor weights to this replica's server.

    Every rank of the replica iterates the weight generator (gathering sharded parameters is collective); the first
    rank of the replica sends the tensors, on the host and in ``rollout.dtype``.
    """

    def __init__(self, config: RolloutConfig, model_config: HFModelConfig, device_mesh: Any, replica_rank: int = -1):
        super().__init__(config, model_config, device_mesh)
        rank = int(os.environ.get("RANK", "0"))
        world = self.config.tensor_model_parallel_size * self.config.data_parallel_size
        world *= self.config.pipeline_model_parallel_size
        self.replica_rank = rank // world if replica_rank == -1 else replica_rank
        self._is_sender = rank % world == 0
        self._dtype = rollout_dtype(self.config)
        self._server: ray.actor.ActorHandle | None = None

    def _rollout_server(self) -> ray.actor.ActorHandle:
        if self._server is None:
            self._server = ray.get_actor(server_actor_name(self.replica_rank))
        return self._server

    async def update_weights(
        self,
        weights: Iterable[tuple[str, torch.Tensor]] | AsyncIterable[tuple[str, torch.Tensor]],
        global_steps: int | None = None,
        wire_format: str = "named_tensors",
        **kwargs: Any,
    ) -> None:
        """Send full ``(name, tensor)`` pairs to the server; LoRA adapters and delta formats are not supported."""
        if wire_format != "named_tensors":
            raise NotImplementedError(f"hf rollout supports wire_format='named_tensors', got {wire_format!r}")
        if kwargs.get("peft_config") is not None:
            raise NotImplementedError("hf rollout does not support LoRA adapter updates (use model.lora.merge)")
        named = []
        async for name, tensor in ensure_async_iterator(weights):
            tensor = _to_host(tensor, self._dtype)
            if self._is_sender:
                named.append((name, tensor))
        if not self._is_sender:
            return
        server = self._rollout_server()
        await server.update_weights.remote(named)
        if global_steps is not None:
            await server.set_global_steps.remote(global_steps)

    async def resume(self, tags: list[str]) -> None:
        """No-op: the server never releases its weights."""

    async def release(self) -> None:
        """No-op: the server never releases its weights."""


def rollout_dtype(config: RolloutConfig) -> torch.dtype:
    """The torch dtype of ``rollout.dtype``.

    Raises:
        ValueError: a dtype the hf rollout does not support, naming the key.
    """
    if config.dtype not in _DTYPES:
        raise ValueError(f"actor_rollout_ref.rollout.dtype={config.dtype!r}; the hf rollout supports {list(_DTYPES)}")
    return _DTYPES[config.dtype]


def _to_host(tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A plain CPU tensor of floating ``dtype`` (other dtypes kept); DTensors are gathered to their full value (a
    collective: every rank must call it)."""
    if hasattr(tensor, "full_tensor"):
        tensor = tensor.full_tensor()
    tensor = tensor.detach()
    if tensor.is_floating_point():
        tensor = tensor.to(dtype)
    return tensor.to("cpu").clone()
