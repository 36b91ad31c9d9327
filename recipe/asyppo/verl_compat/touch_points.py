"""Every touch point of upstream internals in the recipe: what it touches, where it is, what we change and why.

One :class:`TouchPoint` per upstream object the recipe overrides, calls privately, patches, writes, reads or copies.
``upstream`` is ``module:qualname``; ``where`` is the file and line of its definition in verl 0.9.1 (or the package
named first in ``upstream``); ``fingerprint`` is :func:`recipe.asyppo.verl_compat.contract.fingerprint` of that
definition (None: pinned by ``must_contain`` only, for packages whose version the project does not pin).
``tests/recipe/test_verl_contract.py`` checks all of them; ``recipe/asyppo/README.md`` ("Architecture") shows the table.
No import here.
"""

from __future__ import annotations

from dataclasses import dataclass

OVERRIDE, CALL, PATCH, INTERNAL, COPY, RELIES = "override", "private call", "patch", "internal", "copy", "relies on"


@dataclass(frozen=True)
class TouchPoint:
    """One upstream object the recipe depends on beyond verl's public extension points.

    Attributes:
        upstream: ``module:qualname`` of the upstream object.
        where: its definition in the installed package, ``file:line``.
        kind: override (a private method we override), private call, patch (we rebind it), internal (a private
            attribute we read or write), copy (we copy part of its body), relies on (we depend on its behaviour).
        ours: ``module:qualname`` of our code that touches it (in :mod:`recipe.asyppo.verl_compat`).
        change: what we change and why.
        public: the public extension point that would do, or why there is none.
        fingerprint: see the module docstring.
        must_contain: source fragments our code relies on.
    """

    upstream: str
    where: str
    kind: str
    ours: str
    change: str
    public: str
    fingerprint: str | None
    must_contain: tuple[str, ...] = ()


_TB = "verl.trainer.ppo.v1.trainer_base:PPOTrainer"
_HOOKS = "recipe.asyppo.verl_compat.trainer_hooks"
_COPIES = "recipe.asyppo.verl_compat.copies"
_CPU = "recipe.asyppo.verl_compat.cpu_backend"
_NO_STEP_HOOK = "none: the V1 trainer's update steps are private methods called by _step_once"

TOUCH_POINTS: tuple[TouchPoint, ...] = (
    TouchPoint(f"{_TB}._build_replay_buffer", "verl/trainer/ppo/v1/trainer_base.py:139", OVERRIDE,
               f"{_HOOKS}:SyncTrainerHooks._build_replay_buffer",
               "sets trainer_mode='sync' first: verl picks its synchronous code paths by that name, our trainers "
               "are registered under their own names",
               "none: trainer.v1.trainer_mode selects the class and is the name verl compares", "0df8ee76920f3f0e"),
    TouchPoint(f"{_TB}._consume_sync_metrics", "verl/trainer/ppo/v1/trainer_base.py:674", OVERRIDE,
               f"{_HOOKS}:SyncTrainerHooks._consume_sync_metrics",
               "adds step_end_metrics() (the budget's budget/elapsed_s, budget/stopped) to the step's metrics",
               "none: on_step_end returns nothing; fit merges this method's result into the step's metrics",
               "ae81db87526b2425"),
    TouchPoint(f"{_TB}._save_checkpoint", "verl/trainer/ppo/v1/trainer_base.py:948", CALL,
               f"{_HOOKS}:SyncTrainerHooks.save_checkpoint",
               "the budget saves the checkpoint of the step that crosses it, as verl does on a last step",
               "none: fit saves only on save_freq or its own last step", "f6001231801f7656"),
    TouchPoint(f"{_TB}._validate", "verl/trainer/ppo/v1/trainer_base.py:1031", CALL,
               f"{_HOOKS}:SyncTrainerHooks.validate",
               "the budget runs the final validation after the step that crosses it",
               "none: fit validates only on test_freq or its own last step", "e5419c34e04a01c4"),
    TouchPoint(f"{_TB}.fit", "verl/trainer/ppo/v1/trainer_base.py:412", RELIES,
               "recipe.asyppo.integration.budget:WallClockBudgetMixin.on_step_end",
               "the budget lowers total_training_steps in on_step_end; fit then ends after that step and calls "
               "on_train_end", "public hooks; the stop itself relies on how fit reads total_training_steps",
               "6cbe304f3cb34ddc"),
    TouchPoint(f"{_TB}._init_resource_pool_mgr", "verl/trainer/ppo/v1/trainer_base.py:788", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._init_resource_pool_mgr",
               "maps Role.Critic to the M-critic ensemble worker instead of one TrainingWorker (same pool)",
               "none: the role -> worker mapping is built inside this method", "bb17284733aeafce"),
    TouchPoint(f"{_TB}._setup", "verl/trainer/ppo/v1/trainer_base.py:226", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._setup",
               "after verl builds the workers, installs the AsyPPO actor loss (public set_loss_fn)",
               "set_loss_fn is public; there is no hook between worker creation and training", "fabc02e4323640d9"),
    TouchPoint(f"{_TB}._step_once", "verl/trainer/ppo/v1/trainer_base.py:562", RELIES,
               "recipe.asyppo.integration.trainer:AsyPPOTrainer.update_actor",
               "the order values -> advantage -> critic update -> actor update, and the critic_warmup test before "
               "the actor update (step N still updates; ours skips it)", _NO_STEP_HOOK, "95c2ebdfd41bbc45"),
    TouchPoint(f"{_TB}._compute_values", "verl/trainer/ppo/v1/trainer_base.py:1721", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._compute_values",
               "every critic's values (values_i) instead of one critic's values", _NO_STEP_HOOK, "07896f98215f8751"),
    TouchPoint(f"{_TB}._compute_advantage", "verl/trainer/ppo/v1/trainer_base.py:1743", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._compute_advantage",
               "GAE on the ensemble value (lambda_actor / lambda_critic), sigma masks; verl's estimator registry "
               "never sees values", _NO_STEP_HOOK, "5aebc4046ecebb23"),
    TouchPoint(f"{_TB}._compute_advantage", "verl/trainer/ppo/v1/trainer_base.py:1743", COPY,
               f"{_COPIES}:apply_reward_corrections",
               "steps 1-2 (KL penalty in the reward, rollout correction) copied unchanged before our advantage",
               "none: no function holds those steps", "5aebc4046ecebb23"),
    TouchPoint(f"{_TB}._update_critic", "verl/trainer/ppo/v1/trainer_base.py:1804", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._update_critic",
               "critic i trains on its own disjoint shard with a per-critic mini-batch", _NO_STEP_HOOK,
               "05dbd5c9ee035051"),
    TouchPoint(f"{_TB}._update_critic", "verl/trainer/ppo/v1/trainer_base.py:1804", COPY,
               f"{_COPIES}:critic_update_info",
               "mini-batch settings and metric names (critic/*, perf/mfu/critic) copied; mini-batch per critic",
               "none: the settings are built inside this method", "05dbd5c9ee035051"),
    TouchPoint(f"{_TB}._update_actor", "verl/trainer/ppo/v1/trainer_base.py:1827", OVERRIDE,
               f"{_HOOKS}:CriticEnsembleTrainerHooks._update_actor",
               "writes loss_mask (masked tokens out of the denominator) and skips step critic_warmup, then calls "
               "verl's own actor update", _NO_STEP_HOOK, "dd4131b40f5b7640"),
    TouchPoint(f"{_TB}._load_checkpoint", "verl/trainer/ppo/v1/trainer_base.py:850", COPY,
               f"{_COPIES}:resume_step",
               "the checkpoint-folder rule, needed before verl starts to keep the metric history of a resumed run",
               "none: the rule is applied inside the trainer only", "9c7dac0e0e684023"),
    TouchPoint("verl.workers.utils.losses:ppo_loss", "verl/workers/utils/losses.py:57", COPY,
               f"{_COPIES}:loss_metric_aggregation",
               "the SUM/MEAN rule of a loss metric, for the filtered entropy bonus and the mse critic loss "
               "(value_loss applies the same rule); the loss itself is called",
               "ppo_loss is called through set_loss_fn; the rule has no function of its own", "e6ca104643efbe00"),
    TouchPoint("verl.workers.utils.losses:value_loss", "verl/workers/utils/losses.py:147", RELIES,
               "recipe.asyppo.integration.losses:own_old_values_loss",
               "clips around data['values']; each critic gets its own values_i there", "set_loss_fn (public)",
               "40c78b88ce557d7f"),
    TouchPoint("verl.utils.model:load_valuehead_model", "verl/utils/model.py:641", PATCH,
               "recipe.asyppo.verl_compat.critic_loader:install_value_model_loader",
               "rebound to a loader with the configured attention (verl hard-codes flash_attention_2) and a "
               "float32 value head", "none: the FSDP value engine imports this function by name", "a4d8cc4d24552cc9"),
    TouchPoint("verl.workers.engine.fsdp.transformer_impl:FSDPEngine._build_module",
               "verl/workers/engine/fsdp/transformer_impl.py:254", RELIES,
               "recipe.asyppo.verl_compat.critic_loader:install_value_model_loader",
               "imports load_valuehead_model from verl.utils.model when it builds the model, so the rebinding "
               "reaches it", "none", None, ("from verl.utils.model import load_valuehead_model",)),
    TouchPoint("transformers.modeling_layers:GenericForTokenClassification.forward",
               "transformers/modeling_layers.py:253", PATCH,
               "recipe.asyppo.verl_compat.value_head:float32_value_head",
               "the head (self.score) of each critic instance computes in float32 (bf16 values tied 88.5% of "
               "sigma on an H200)", "none: transformers has no dtype option for one layer", None,
               ("self.score(",)),
    TouchPoint("verl.trainer.main_ppo:main", "verl/trainer/main_ppo.py:166", INTERNAL,
               "recipe.asyppo.verl_compat.entry:run_verl_main",
               "calls __wrapped__ (the body without verl's @hydra.main) on our composed config",
               "run_ppo skips auto_set_device and validate_config", "6ce46864f4385961"),
    TouchPoint("verl.workers.rollout.base:get_rollout_class", "verl/workers/rollout/base.py:96", INTERNAL,
               f"{_CPU}:register_rollout",
               "writes (hf, async) and (hf_cpu, async) into the private _ROLLOUT_REGISTRY this function reads",
               "none for adapters (RolloutReplicaRegistry.register is public and used for the replica)",
               "3734af040a5e5534"),
    TouchPoint("verl.workers.rollout.replica:RolloutReplica.__init__", "verl/workers/rollout/replica.py:93",
               INTERNAL, f"{_CPU}:set_replica_server",
               "sets _server_handle/_server_address, behind the public properties server_handle/server_address",
               "none: the properties have no setter; every upstream launch_servers sets the private fields",
               "63c52ac95ec7bb7a"),
    TouchPoint("verl.workers.engine.base:EngineRegistry.register", "verl/workers/engine/base.py:350", RELIES,
               f"{_CPU}:register_engines_for_device",
               "registers verl's FSDP engines for device cpu (asserts on a duplicate, so once per process)",
               "public", "b37e05a78b9a2df8"),
    TouchPoint("verl.utils.distributed:initialize_global_process_group_ray", "verl/utils/distributed.py:83", PATCH,
               f"{_CPU}:use_gloo_process_group",
               "backend cpu:gloo when none is given (verl builds 'cpu:gloo,cpu:gloo' on the CPU platform)",
               "none: TrainingWorker calls it without a backend", "c6f85bda3384d2b0"),
    TouchPoint("verl.workers.engine_workers:TrainingWorker.__init__", "verl/workers/engine_workers.py:84", PATCH,
               f"{_CPU}:use_gloo_process_group",
               "rebinds the initialize_global_process_group_ray this module imported by name", "none",
               "6d5cc70a99f700a3",
               ("initialize_global_process_group_ray(timeout_second=None)",)),
)
