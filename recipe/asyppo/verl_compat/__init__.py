"""The compat seam: every place where the recipe depends on verl's (and vLLM's, Ray's, transformers') internals.

Everything outside this package uses verl through its public extension points only: the trainer registry
(``register_trainer``), the platform registry, ``RolloutReplicaRegistry.register``, ``EngineRegistry.register``,
``set_loss_fn``, ``VERL_USE_EXTERNAL_MODULES``, public functions and the public hooks of the V1 trainer
(``on_init_end``, ``on_train_begin``, ``on_step_end``, ``on_train_end``, ...). What cannot be done that way is here,
one module per kind of touch point:

- :mod:`.trainer_hooks`: the private V1-trainer methods we override, each delegating to a public, well-named method
  of our trainer (so the trainer reads as the paper's algorithm), and the two private methods we call.
- :mod:`.copies`: the few upstream bodies we copy (the reward corrections and critic-update settings of the V1
  trainer, the checkpoint-resume rule, the loss-metric aggregation rule).
- :mod:`.critic_loader` (installed in every process by :mod:`.install_critic_loader`): the replaced value-model loader.
- :mod:`.value_head`: the float32 value head patched onto transformers' token-classification head.
- :mod:`.cpu_backend`: the registry writes and the process-group patch the CPU development backend needs.
- :mod:`.entry`: running verl's ``main_ppo`` body under our own hydra entry point.

:data:`.touch_points.TOUCH_POINTS` lists each touch point with its upstream qualified name, the verl 0.9.1 file and
line, what we change and why, and the fingerprint of the upstream source; ``tests/recipe/test_verl_contract.py``
fails, naming the touch points to review, when the installed verl differs. This ``__init__`` imports nothing.
"""

VERL_VERSION = "0.9.1"
"""The verl release every touch point was written against (``pip install verl[verl-core]==0.9.1``)."""

SYNC_TRAINER_MODE = "sync"
"""verl's name of its synchronous V1 trainer mode; verl picks its synchronous code paths by this name."""
