"""The hydra overrides and environment that make a verl 0.9.1 PPO run CPU-ready and tiny: one source of truth.

Used by ``recipe/asyppo/run_tiny_cpu.sh`` (through the CLI below), by end-to-end tests, and by anyone launching
``python -m verl.trainer.main_ppo`` or ``python -m recipe.asyppo.main_asyppo`` on a CPU machine::

    python -m recipe.asyppo.cpu.overrides --actor A --critic C --train T --val V --out DIR   # one override per line
    python -m recipe.asyppo.cpu.overrides --env --out DIR                                     # KEY=VALUE per line

Why each group is there (verl 0.9.1, 2-core machine):

- platform: ``VERL_PLATFORM=cpu`` + ``VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin`` in the environment and in
  ``ray_kwargs.ray_init.runtime_env`` (every Ray process), ``trainer.device=cpu``.
- resources: verl counts Ray ``GPU`` resources before placing workers, so ``num_gpus=1`` is declared (no GPU is used:
  workers take Ray ``CPU``); 16 logical CPUs so the TransferQueue storage, agent-loop and reward actors can all be
  scheduled (with 2 the run hangs); one storage unit, one agent-loop worker, one reward worker; torch threads per
  process ``threads`` (``OMP_NUM_THREADS``; default 1, right for tiny models and a busy machine; rollout, log-probs
  and updates run one after another, so on an idle machine a real model gains from one thread per core).
- engines: ``fsdp2`` for actor, reference and critic (FSDP1 needs a GPU for ``sync_module_states``), ``sdpa``
  attention (no flash-attn), no remove-padding (needs flash-attn's varlen kernels), no gradient checkpointing, fp32
  mixed precision, no torch.compile.
- rollout: ``hf`` with tensor parallel size 1, fp32.
- size: tiny batches and lengths, ``total_training_steps=steps``, validation after the last step.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from recipe.asyppo.integration.hf_rollout import ROLLOUT_NAME
from recipe.asyppo.integration.reward import REWARD_FUNCTION_NAME, reward_function_path

PLUGIN_MODULE = "recipe.asyppo.cpu.plugin"


def cpu_env(out_dir: str | Path, threads: int = 1) -> dict[str, str]:
    """Environment variables for the driver and every Ray process of a CPU run (``threads`` torch threads each).

    Metrics go to ``out_dir/metrics.jsonl`` (verl's ``file`` logger; launches through ``recipe.asyppo.main_asyppo``
    keep earlier launches in ``out_dir/metrics.history.jsonl``, and
    ``recipe.asyppo.integration.history.read_metrics(out_dir)`` reads both); ``out_dir`` is created, since that logger
    does not create the directory of an explicit path.
    """
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return {
        "VERL_PLATFORM": "cpu",
        "VERL_USE_EXTERNAL_MODULES": PLUGIN_MODULE,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "TOKENIZERS_PARALLELISM": "false",
        "RAY_DEDUP_LOGS": "0",
        "VERL_FILE_LOGGER_PATH": str(Path(out_dir).resolve() / "metrics.jsonl"),
    }


def cpu_overrides(
    actor_path: str | Path,
    critic_path: str | Path,
    train_file: str | Path,
    val_file: str | Path,
    out_dir: str | Path,
    *,
    steps: int = 2,
    train_batch_size: int = 4,
    rollout_n: int = 2,
    max_prompt_length: int = 128,
    max_response_length: int = 32,
    reward_function: str | Path | None = None,
    ray_num_cpus: int = 16,
    extra_env: Mapping[str, str] | None = None,
    threads: int = 1,
) -> list[str]:
    """Hydra overrides (``key=value`` strings) for a tiny GAE-PPO run on CPU with the ``hf`` rollout.

    Args:
        actor_path, critic_path: HF model directories (e.g. from ``python -m recipe.asyppo.tools.tiny_models``).
        train_file, val_file: verl-schema parquet files (e.g. from ``python -m recipe.asyppo.tools.tiny_data``).
        out_dir: run directory: checkpoints go to ``out_dir/checkpoints``, metrics to ``out_dir/metrics.jsonl``.
        steps: training steps; validation runs after the last one.
        train_batch_size: prompts per step (also the PPO mini-batch, so one update per step); ``rollout_n``
            responses each.
        max_prompt_length, max_response_length: tokens.
        reward_function: file defining ``compute_score`` (verl's custom reward function); None: the project's
            (:func:`recipe.asyppo.integration.reward.reward_function_path`).
        ray_num_cpus: logical CPUs declared to Ray (not threads used).
        extra_env: environment variables for every Ray process, over :func:`cpu_env` (e.g. more
            ``VERL_USE_EXTERNAL_MODULES``); give them to the driver's environment as well.
        threads: torch threads per process (:func:`cpu_env`).

    Raises:
        ValueError: a non-positive size.
    """
    sizes = {"steps": steps, "train_batch_size": train_batch_size, "rollout_n": rollout_n,
             "max_prompt_length": max_prompt_length, "max_response_length": max_response_length, "threads": threads}
    bad = {k: v for k, v in sizes.items() if v < 1}
    if bad:
        raise ValueError(f"cpu_overrides sizes must be >= 1, got {bad}")
    out_dir = Path(out_dir).resolve()
    micro = train_batch_size * rollout_n
    # quoted: Ray rejects non-string env values, and hydra would parse "1" as an int
    env_vars = {**cpu_env(out_dir, threads), **(extra_env or {})}
    env = [f"+ray_kwargs.ray_init.runtime_env.env_vars.{k}='{v}'" for k, v in env_vars.items()]
    overrides = [
        # data
        f"data.train_files={Path(train_file).resolve()}",
        f"data.val_files={Path(val_file).resolve()}",
        f"data.train_batch_size={train_batch_size}",
        f"data.max_prompt_length={max_prompt_length}",
        f"data.max_response_length={max_response_length}",
        "data.dataloader_num_workers=0",
        "data.seed=0",
        # models
        f"actor_rollout_ref.model.path={Path(actor_path).resolve()}",
        f"critic.model.path={Path(critic_path).resolve()}",
        "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
        "+critic.model.override_config.attn_implementation=sdpa",
        "actor_rollout_ref.model.use_remove_padding=false",
        "critic.model.use_remove_padding=false",
        "actor_rollout_ref.model.enable_gradient_checkpointing=false",
        "critic.model.enable_gradient_checkpointing=false",
        # engines
        "actor_rollout_ref.actor.strategy=fsdp2",
        "actor_rollout_ref.ref.strategy=fsdp2",
        "critic.strategy=fsdp2",
        "+actor_rollout_ref.actor.fsdp_config.mixed_precision.param_dtype=fp32",
        "+actor_rollout_ref.ref.fsdp_config.mixed_precision.param_dtype=fp32",
        "+critic.fsdp.mixed_precision.param_dtype=fp32",
        "actor_rollout_ref.actor.fsdp_config.use_torch_compile=false",
        "actor_rollout_ref.ref.fsdp_config.use_torch_compile=false",
        "critic.fsdp.use_torch_compile=false",
        f"actor_rollout_ref.actor.ppo_mini_batch_size={train_batch_size}",
        f"actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu={micro}",
        f"actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu={micro}",
        f"actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu={micro}",
        f"critic.ppo_micro_batch_size_per_gpu={micro}",
        # rollout
        f"actor_rollout_ref.rollout.name={ROLLOUT_NAME}",
        f"actor_rollout_ref.rollout.n={rollout_n}",
        "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
        "actor_rollout_ref.rollout.dtype=float32",
        "actor_rollout_ref.rollout.agent.num_workers=1",
        # algorithm and reward
        "algorithm.adv_estimator=gae",
        f"reward.custom_reward_function.path={Path(reward_function or reward_function_path()).resolve()}",
        f"reward.custom_reward_function.name={REWARD_FUNCTION_NAME}",
        "reward.num_workers=1",
        # resources
        "trainer.device=cpu",
        "trainer.nnodes=1",
        "trainer.n_gpus_per_node=1",
        f"ray_kwargs.ray_init.num_cpus={ray_num_cpus}",
        "+ray_kwargs.ray_init.num_gpus=1",
        "+ray_kwargs.ray_init.include_dashboard=false",
        "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
        *env,
        # schedule and logging
        f"trainer.total_training_steps={steps}",
        "trainer.total_epochs=1000",
        "trainer.val_before_train=false",
        f"trainer.test_freq={steps}",
        "trainer.save_freq=-1",
        "trainer.resume_mode=disable",
        "trainer.logger=[console,file]",
        "trainer.project_name=asyppo_cpu",
        "trainer.experiment_name=tiny",
        f"trainer.default_local_dir={out_dir / 'checkpoints'}",
    ]
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the hydra overrides (or env) of a tiny verl run on CPU.")
    parser.add_argument("--out", required=True, help="run directory")
    parser.add_argument("--env", action="store_true", help="print KEY=VALUE environment lines instead")
    parser.add_argument("--actor")
    parser.add_argument("--critic")
    parser.add_argument("--train")
    parser.add_argument("--val")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    parser.add_argument("--train-batch-size", type=int, default=4, help="prompts per step (default 4)")
    parser.add_argument("--rollout-n", type=int, default=2, help="responses per prompt (default 2)")
    parser.add_argument("--max-prompt-length", type=int, default=128, help="tokens (default 128)")
    parser.add_argument("--max-response-length", type=int, default=32, help="tokens (default 32)")
    args = parser.parse_args()
    if args.env:
        lines = [f"{k}={v}" for k, v in cpu_env(args.out, args.threads).items()]
    else:
        missing = [f"--{k}" for k in ("actor", "critic", "train", "val") if getattr(args, k) is None]
        if missing:
            parser.error(f"missing {', '.join(missing)}")
        lines = cpu_overrides(args.actor, args.critic, args.train, args.val, args.out, steps=args.steps,
                              train_batch_size=args.train_batch_size, rollout_n=args.rollout_n,
                              max_prompt_length=args.max_prompt_length,
                              max_response_length=args.max_response_length, threads=args.threads)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
