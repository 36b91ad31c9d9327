"""Run verl 0.9.1's real trainer on CPU (development and demo only).

- :mod:`recipe.asyppo.cpu.platform`: the ``cpu`` verl platform (device cpu, gloo, Ray resource CPU).
- :mod:`recipe.asyppo.cpu.hf_generation`: token-in/token-out sampling with log-probs from a HF causal LM.
- :mod:`recipe.asyppo.cpu.rollout`: the ``hf`` rollout (alias ``hf_cpu``): server, replica and adapter for verl's
  agent loop, on CPU or CUDA (:mod:`recipe.asyppo.integration.hf_rollout` names and registers it).
- :mod:`recipe.asyppo.cpu.plugin`: what ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin`` imports in every
  process; registers the platform and, with ``VERL_PLATFORM=cpu``, activates the rest (the verl internals it needs
  are written in :mod:`recipe.asyppo.verl_compat.cpu_backend`).
- :mod:`recipe.asyppo.cpu.overrides`: the hydra overrides and environment of a tiny CPU run (also a CLI).

What stops stock verl 0.9.1 on a CPU-only machine, and where each is handled:

1. No CPU platform (falls back to cuda/nccl): ``platform.PlatformCPU``, selected by ``VERL_PLATFORM=cpu``.
2. ``get_device_id()`` is used as a ``.to(...)`` target; an int there means an accelerator:
   the CPU platform's ``current_device()`` returns ``"cpu"`` (as ``torch.cpu.current_device`` does).
3. "Total available GPUs 0 is less than total desired GPUs": the resource check counts Ray ``GPU`` resources, so
   the overrides declare ``num_gpus=1`` to Ray; workers themselves request Ray ``CPU``.
4. Process group backend ``"cpu:gloo,cpu:gloo"`` (duplicate device): ``plugin.activate`` (gloo only).
5. FSDP engines registered for cuda/npu only: ``plugin.activate`` registers them for ``cpu``.
6. FSDP1 needs a GPU for ``sync_module_states``: the overrides use ``fsdp2`` for actor, reference and critic.
7. The value-model loader hard-codes flash-attention 2: ``plugin.activate`` installs the critic loader (sdpa).
8. Remove-padding needs flash-attn: the overrides turn it off.
9. No CPU rollout server: ``hf`` (``rollout``), registered in both rollout registries by ``plugin``.
10. Rollout tensor-parallel size 2 by default gives zero replicas on one worker: the overrides set it to 1.
11. With 2 Ray CPUs the TransferQueue storage actors cannot be scheduled (hang): the overrides declare 16 logical
    CPUs, one storage unit, one agent-loop worker and one reward worker.
12. Ray rejects non-string ``runtime_env`` env values (hydra parses ``1`` as an int): the overrides quote them.
13. verl's ``file`` logger does not create the directory of ``VERL_FILE_LOGGER_PATH``: ``overrides.cpu_env`` does.

This package's ``__init__`` imports nothing, so ``python -m recipe.asyppo.cpu.overrides`` stays fast.
"""
