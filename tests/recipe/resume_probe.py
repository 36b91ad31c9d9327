"""Test probe: what the AsyPPO trainer holds right after it loads its checkpoint, saved as a verl checkpoint.

Imported by every verl process of a test launch (``VERL_USE_EXTERNAL_MODULES``, see ``verl_runs.probe_env``). With
``$ASYPPO_PROBE_DIR`` set, ``AsyPPOTrainer._load_checkpoint`` is wrapped: after verl's own loading (or finding no
checkpoint), the actor and every critic save their in-memory state with verl's ``save_checkpoint`` to
``$ASYPPO_PROBE_DIR/global_step_{k}/{actor,critic}``, ``k`` being the step the launch starts from (0 when fresh). A
test can then compare the reloaded tensors with the checkpoint they were loaded from.
"""

from __future__ import annotations

import os

PROBE_DIR_ENV = "ASYPPO_PROBE_DIR"


def _install(probe_dir: str) -> None:
    from recipe.asyppo.integration.trainer import AsyPPOTrainer

    load_checkpoint = AsyPPOTrainer._load_checkpoint

    def load_then_save_state(self) -> None:
        load_checkpoint(self)
        folder = os.path.join(probe_dir, f"global_step_{self.global_steps}")
        self.actor_rollout_wg.save_checkpoint(os.path.join(folder, "actor"), None, self.global_steps,
                                              max_ckpt_to_keep=None)
        self.critic_wg.save_checkpoint(os.path.join(folder, "critic"), None, self.global_steps,
                                       max_ckpt_to_keep=None)

    AsyPPOTrainer._load_checkpoint = load_then_save_state


if os.environ.get(PROBE_DIR_ENV):
    _install(os.environ[PROBE_DIR_ENV])
