"""The Hugging Face rollout (no vLLM): its names in verl's rollout registries and their registration.

``actor_rollout_ref.rollout.name=hf`` serves verl 0.9's agent loop with plain transformers
(:mod:`recipe.asyppo.cpu.rollout`) on the device of the run: CPU with the ``cpu`` platform, else one CUDA device per
replica, colocated with the trainer worker that owns that GPU. ``hf_cpu`` is an alias of the same backend (the name of
its first, CPU-only version; existing scripts keep working). It is for runs without vLLM, or with a model vLLM does
not support, at small scale: it generates with one batched HF forward per token, far slower than vLLM.

verl finds the backend through two registries, both written by :func:`register_hf_rollout` through the seam
(:func:`recipe.asyppo.verl_compat.cpu_backend.register_rollout`). Every verl process must run it:
:func:`recipe.asyppo.integration.launch.prepare` adds :data:`PLUGIN_MODULE` to ``VERL_USE_EXTERNAL_MODULES`` when the
rollout name is one of :data:`ROLLOUT_NAMES` (the CPU platform plugin registers it too). With stock
``python -m verl.trainer.main_ppo``, set ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.hf_rollout_plugin`` yourself.
The backend's classes are registered by ``module.Class`` path: verl imports them only when a run asks for them.
"""

from __future__ import annotations

from recipe.asyppo.verl_compat.cpu_backend import register_rollout

ROLLOUT_NAME = "hf"
ROLLOUT_ALIASES = ("hf_cpu",)
ROLLOUT_NAMES = (ROLLOUT_NAME, *ROLLOUT_ALIASES)
PLUGIN_MODULE = "recipe.asyppo.hf_rollout_plugin"
ADAPTER_CLASS = "recipe.asyppo.cpu.rollout.HFServerAdapter"
REPLICA_CLASS = "recipe.asyppo.cpu.rollout.HFRolloutReplica"


def register_hf_rollout() -> None:
    """Register every name of :data:`ROLLOUT_NAMES` in both of verl's rollout registries; idempotent.

    Nothing is imported from :mod:`recipe.asyppo.cpu.rollout` here: a Ray worker that unpickles a class from there
    imports verl, which imports the plugins, so an import from here would be circular.
    """
    for name in ROLLOUT_NAMES:
        register_rollout(name, ADAPTER_CLASS, REPLICA_CLASS)
