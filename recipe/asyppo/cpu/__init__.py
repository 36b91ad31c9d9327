"""Run verl 0.9.1's real trainer on CPU (development and demo only).

- :mod:`recipe.asyppo.cpu.platform`: the ``cpu`` verl platform (device cpu, gloo, Ray resource CPU).
- :mod:`recipe.asyppo.cpu.rollout`: ``hf_cpu``, a HuggingFace-transformers rollout server for verl's agent loop.
- :mod:`recipe.asyppo.cpu.patches`: the two unavoidable patches of verl, applied only on the CPU platform.
- :mod:`recipe.asyppo.cpu.plugin`: what ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin`` imports in every process.
- :mod:`recipe.asyppo.cpu.overrides`: the hydra overrides that make a run CPU-ready and tiny (also a CLI).

This package's ``__init__`` imports nothing, so ``python -m recipe.asyppo.cpu.overrides`` stays fast.
"""
