"""Launch scripts: each resolves to a valid verl config, baselines differ from AsyPPO only in the algorithm keys.

Model paths point at tiny local models (``MODEL_ROOT`` holds links named like the Qwen3 checkpoints), since verl's
config validation reads each model's config.json and tokenizer. Each script's overrides come from the script itself
(``--print-overrides``, pure bash) and are composed and validated in this process with the same function that
``--dry-run`` runs; one script runs its real ``--dry-run`` end to end to show the two agree.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from eval.generation import MAX_RESPONSE_TOKENS
from recipe.asyppo.integration import launch
from recipe.asyppo.integration.config import AsyPPOConfigError
from recipe.asyppo.integration.launch import prepare
from recipe.asyppo.scripts.build_val_set import build_val_set
from recipe.asyppo.scripts.check_config import (
    compose,
    composed_and_validated,
    critic_token_limit_warnings,
    logger_warnings,
    memory_report,
)
from recipe.asyppo.scripts.smoke_report import report, summarize
from recipe.asyppo.tools.cost.__main__ import DEFAULTS as COST_DEFAULTS
from recipe.asyppo.tools.cost.facts import FACTS_DIR

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "recipe" / "asyppo" / "scripts"
SCRIPTS = sorted(path.name for path in SCRIPTS_DIR.glob("run_*.sh"))
ACTORS = {"4b": "Qwen3-4B-Base", "8b": "Qwen3-8B-Base", "14b": "Qwen3-14B-Base"}
# The run name, and the keys that interpolate it.
NAME_KEYS = {"trainer.experiment_name", "trainer.default_local_dir", "actor_rollout_ref.rollout.trace.experiment_name"}


@pytest.fixture(scope="module")
def model_root(tiny_models, tmp_path_factory) -> Path:
    """A directory of links named like the Qwen3 checkpoints: actors to the tiny actor, critics to the tiny critic."""
    actor, critic = tiny_models
    root = tmp_path_factory.mktemp("models")
    for name in ("Qwen3-4B-Base", "Qwen3-8B-Base", "Qwen3-14B-Base"):
        (root / name).symlink_to(actor)
    for name in ("Qwen3-0.6B-Base", "Qwen3-1.7B-Base"):
        (root / name).symlink_to(critic)
    return root


def script_env(model_root: Path, **settings: str) -> dict[str, str]:
    """The environment the scripts run in: this interpreter (``PYTHON``; the first python on PATH may lack the
    project's dependencies), tiny models, a fixed data dir, no Ray cluster, sdpa attention (no flash-attn on a CPU
    machine), and ``settings``."""
    keep = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "PYTHONPATH", "LANG")}
    return {**keep, "PYTHON": sys.executable, "MODEL_ROOT": str(model_root), "DATA_DIR": "/data/asyppo",
            "RAY_ADDRESS": "", "ATTN_IMPLEMENTATION": "sdpa", **settings}


def run_script(script: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPTS_DIR / script), *args], env=env, capture_output=True, text=True,
                          timeout=300)


def overrides_of(script: str, env: dict[str, str]) -> list[str]:
    result = run_script(script, ["--print-overrides"], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


@pytest.fixture(scope="module")
def resolved(model_root) -> dict[str, dict[str, object]]:
    """Script name -> its validated, resolved config, flattened to dotted keys."""
    env = script_env(model_root)
    return {
        script: flatten(OmegaConf.to_container(composed_and_validated(overrides_of(script, env))))
        for script in SCRIPTS
    }


def differing_keys(a: dict[str, object], b: dict[str, object]) -> set[str]:
    return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}


def test_there_is_an_asyppo_ppo_and_grpo_script_for_every_paper_actor_size():
    assert SCRIPTS == [
        "run_qwen3_14b_asyppo_1.7b.sh", "run_qwen3_14b_asyppo_4b.sh", "run_qwen3_14b_grpo.sh", "run_qwen3_14b_ppo.sh",
        "run_qwen3_4b_asyppo.sh", "run_qwen3_4b_grpo.sh", "run_qwen3_4b_ppo.sh",
        "run_qwen3_8b_asyppo.sh", "run_qwen3_8b_grpo.sh", "run_qwen3_8b_ppo.sh",
    ]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_resolves_to_a_valid_verl_config(resolved, script):
    config = resolved[script]
    assert config["actor_rollout_ref.rollout.name"] == "vllm"
    assert config["trainer.v1.trainer_mode"] == ("asyppo" if "asyppo" in script else "sync")
    assert config["reward.custom_reward_function.path"].endswith("rewards/verl_reward.py")


def test_dry_run_prints_the_resolved_config_that_the_in_process_check_validates(model_root, resolved):
    result = run_script("run_qwen3_4b_asyppo.sh", ["--dry-run"], script_env(model_root))
    assert result.returncode == 0, result.stderr
    assert "dry run: config is valid (nothing launched)" in result.stderr
    assert "dry run: warning: no such file for data.train_files: /data/asyppo/train.parquet" in result.stderr
    assert flatten(yaml.safe_load(result.stdout)) == resolved["run_qwen3_4b_asyppo.sh"]


@pytest.mark.parametrize("size", ["4b", "8b", "14b"])
def test_ppo_differs_from_asyppo_only_in_the_algorithm_keys(resolved, size):
    asyppo_script = "run_qwen3_14b_asyppo_1.7b.sh" if size == "14b" else f"run_qwen3_{size}_asyppo.sh"
    asyppo, ppo = resolved[asyppo_script], resolved[f"run_qwen3_{size}_ppo.sh"]
    assert differing_keys(asyppo, ppo) == {"asyppo.enable", "trainer.v1.trainer_mode", "critic.model.path"} | NAME_KEYS
    assert (asyppo["asyppo.enable"], ppo["asyppo.enable"]) == (True, False)
    assert ppo["critic.model.path"] == ppo["actor_rollout_ref.model.path"]  # symmetric: critic the size of the actor


@pytest.mark.parametrize("size", ["4b", "8b", "14b"])
def test_grpo_differs_from_ppo_only_in_the_algorithm_keys(resolved, size):
    ppo, grpo = resolved[f"run_qwen3_{size}_ppo.sh"], resolved[f"run_qwen3_{size}_grpo.sh"]
    assert differing_keys(ppo, grpo) == {"algorithm.adv_estimator", "critic.enable"} | NAME_KEYS
    assert (grpo["algorithm.adv_estimator"], grpo["critic.enable"]) == ("grpo", False)


def test_the_two_14b_asyppo_runs_differ_only_in_critic_size(resolved):
    small, large = resolved["run_qwen3_14b_asyppo_1.7b.sh"], resolved["run_qwen3_14b_asyppo_4b.sh"]
    assert differing_keys(small, large) == {"critic.model.path"} | NAME_KEYS
    assert Path(small["critic.model.path"]).name == "Qwen3-1.7B-Base"
    assert Path(large["critic.model.path"]).name == "Qwen3-4B-Base"


@pytest.mark.parametrize("size", ["4b", "8b", "14b"])
def test_actor_and_critic_models_follow_the_paper(resolved, size):
    critic = {"4b": "Qwen3-0.6B-Base", "8b": "Qwen3-1.7B-Base", "14b": "Qwen3-1.7B-Base"}[size]
    asyppo_script = "run_qwen3_14b_asyppo_1.7b.sh" if size == "14b" else f"run_qwen3_{size}_asyppo.sh"
    config = resolved[asyppo_script]
    assert Path(config["actor_rollout_ref.model.path"]).name == ACTORS[size]
    assert Path(config["critic.model.path"]).name == critic
    assert config["asyppo.num_critics"] == 2


def test_shared_settings_state_the_papers_values(resolved):
    config = resolved["run_qwen3_8b_asyppo.sh"]
    assert config["actor_rollout_ref.rollout.val_kwargs.n"] == 4  # avg@4
    assert config["actor_rollout_ref.rollout.val_kwargs.do_sample"] is True
    assert config["data.train_batch_size"] / config["actor_rollout_ref.actor.ppo_mini_batch_size"] == 8
    assert config["data.val_files"] == "/data/asyppo/val_paper6.parquet"
    assert config["data.train_files"] == "/data/asyppo/train.parquet"
    assert (config["asyppo.critic_shard"], config["asyppo.value_aggregation"]) == ("response", "mean")
    assert (config["asyppo.adv_mask"], config["asyppo.adv_mask_ratio"]) == (True, 0.2)
    assert (config["asyppo.entropy_filter"], config["asyppo.entropy_filter_ratio"]) == (True, 0.2)


def test_every_value_in_the_shared_settings_is_sourced():
    # each default is either stated by the paper or marked as our choice (paths, machine, interpreter and logging
    # excepted)
    unsourced = [
        line for line in (SCRIPTS_DIR / "common.sh").read_text().splitlines()
        if line.startswith(': "${') and "PAPER" not in line and "OUR CHOICE" not in line
    ]
    names = {line.split("${")[1].split(":=")[0] for line in unsourced}
    assert names == {"MODEL_ROOT", "DATA_DIR", "VAL_FILES", "NNODES", "RAY_ADDRESS", "PROJECT_NAME",
                     "EXPERIMENT_NAME", "LOGGER", "ACTOR_TOKENS_PER_GPU", "CRITIC_TOKENS_PER_GPU", "CRITIC_MODEL_PATHS",
                     "PYTHON"}


def test_training_response_length_is_the_one_eval_cuts_responses_at(resolved):
    # common.sh's MAX_RESPONSE_LENGTH (training rollouts and validation) must equal eval's --max-tokens default
    lines = [line for line in (SCRIPTS_DIR / "common.sh").read_text().splitlines()
             if line.startswith(': "${MAX_RESPONSE_LENGTH:=')]
    assert len(lines) == 1
    assert int(lines[0].split(":=")[1].split("}")[0]) == MAX_RESPONSE_TOKENS
    assert resolved["run_qwen3_8b_asyppo.sh"]["data.max_response_length"] == MAX_RESPONSE_TOKENS


def test_ablation_switches_reach_the_asyppo_section(model_root, tiny_models):
    critic = str(tiny_models[1])
    env = script_env(model_root, NUM_CRITICS="4", CRITIC_SHARD="prompt", VALUE_AGGREGATION="min", ADV_MASK="false",
                     ADV_MASK_RATIO="0.1", ENTROPY_FILTER="false", ENTROPY_FILTER_RATIO="0.3",
                     CRITIC_MODEL_PATHS=",".join([critic] * 4))
    config = composed_and_validated(overrides_of("run_qwen3_4b_asyppo.sh", env))
    expected = {"num_critics": 4, "critic_shard": "prompt", "value_aggregation": "min", "adv_mask": False,
                "adv_mask_ratio": 0.1, "entropy_filter": False, "entropy_filter_ratio": 0.3,
                "critic_model_paths": [critic] * 4}
    asyppo = OmegaConf.to_container(config.asyppo)
    assert {key: asyppo[key] for key in expected} == expected
    # the run name records every switch that differs from the paper, so ablations never resume the main run
    assert config.trainer.experiment_name.startswith("qwen3-4b-base_asyppo_4xqwen3-0.6b-base_paths-")
    assert config.trainer.experiment_name.endswith("_shard-prompt_min_nomask_nofilter")


def test_ppo_baseline_trains_its_critic_with_the_same_unclipped_mse_loss_as_the_mini_critics(resolved):
    for script in ("run_qwen3_8b_asyppo.sh", "run_qwen3_8b_ppo.sh"):
        assert resolved[script]["asyppo.critic_loss"] == "mse"
        assert resolved[script]["critic.cliprange_value"] == math.inf  # verl's clipped loss with nothing clipped


def test_clipped_critic_loss_switch_reaches_the_ppo_critic_and_the_run_name(model_root):
    config = composed_and_validated(overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root, CRITIC_LOSS="clipped")))
    assert config.asyppo.critic_loss == "clipped"
    assert config.critic.cliprange_value == 0.5  # verl's default clip range
    assert config.trainer.experiment_name == "qwen3-4b-base_ppo_vf-clipped"


def test_an_impossible_ablation_fails_the_dry_run_naming_the_keys(model_root):
    overrides = overrides_of("run_qwen3_4b_asyppo.sh", script_env(model_root, NUM_CRITICS="3"))
    with pytest.raises(AsyPPOConfigError, match=r"rollout.n = 1024 is not divisible by asyppo.num_critics=3"):
        composed_and_validated(overrides)


@pytest.mark.parametrize("script", ["run_qwen3_4b_asyppo.sh", "run_qwen3_4b_grpo.sh"])
def test_dry_run_refuses_what_the_launch_refuses_with_the_launchs_message(model_root, script):
    env = script_env(model_root)
    with pytest.raises(ValueError) as refused:
        prepare(compose([*overrides_of(script, env), "budget.wall_clock_s=-5"]))
    assert str(refused.value) == "budget.wall_clock_s must be a positive number of seconds or null, got -5"
    result = run_script(script, ["--dry-run", "budget.wall_clock_s=-5"], env)
    assert result.returncode == 1
    assert f"dry run: invalid config: ValueError: {refused.value}" in result.stderr


def test_unknown_script_option_is_rejected(model_root):
    result = run_script("run_qwen3_4b_ppo.sh", ["--dryrun"], script_env(model_root))
    assert result.returncode == 2
    assert "unknown option '--dryrun'" in result.stderr


def test_multi_node_launch_without_a_ray_cluster_stops_before_launching(model_root):
    result = run_script("run_qwen3_14b_grpo.sh", [], script_env(model_root))
    assert result.returncode == 1
    assert "NNODES=2 needs a Ray cluster" in result.stderr


def test_cost_model_defaults_are_the_shared_settings(resolved):
    config = resolved["run_qwen3_8b_asyppo.sh"]
    assert COST_DEFAULTS["prompts"] == config["data.train_batch_size"]
    assert COST_DEFAULTS["group_size"] == config["actor_rollout_ref.rollout.n"]
    assert COST_DEFAULTS["gpus"] == config["trainer.n_gpus_per_node"] * config["trainer.nnodes"]
    assert COST_DEFAULTS["actor_tokens_per_gpu"] == config["actor_rollout_ref.actor.ppo_max_token_len_per_gpu"]
    assert COST_DEFAULTS["critic_tokens_per_gpu"] == config["critic.ppo_max_token_len_per_gpu"]
    assert COST_DEFAULTS["ppo_epochs"] == config["actor_rollout_ref.actor.ppo_epochs"]


def test_validation_set_holds_the_six_paper_benchmarks(tmp_path):
    counts = build_val_set(tmp_path / "val.parquet")
    assert dict(counts) == {"aime24": 30, "aime25": 30, "math500": 500, "olympiadbench": 675, "minerva": 272,
                            "amc23": 40}
    first = pd.read_parquet(tmp_path / "val.parquet").iloc[0]
    assert (first["data_source"], first["reward_model"]["ground_truth"]) == ("aime24", "204")


def test_gpu_smoke_runs_asyppo_and_ppo_through_the_launch_scripts_with_valid_configs(tmp_path):
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "PYTHONPATH", "LANG")}
    env.update(PYTHON=sys.executable, SMOKE_MODE="print-overrides", WORK_DIR=str(tmp_path), ACTOR_SHAPE="64 2 4 2 128",
               CRITIC_SHAPE="32 1 2 1 64")
    result = subprocess.run(["bash", str(SCRIPTS_DIR / "gpu_smoke.sh")], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    configs = {
        algorithm: flatten(OmegaConf.to_container(composed_and_validated(
            (tmp_path / algorithm / "overrides.txt").read_text().splitlines())))
        for algorithm in ("asyppo", "ppo")
    }
    assert configs["asyppo"]["trainer.n_gpus_per_node"] * configs["asyppo"]["trainer.nnodes"] == 1
    assert configs["asyppo"]["trainer.total_training_steps"] == 3
    assert configs["asyppo"]["actor_rollout_ref.rollout.enforce_eager"] is True  # no CUDA graphs, no compile
    assert configs["asyppo"]["ray_kwargs.ray_init.runtime_env.env_vars.VLLM_DISABLE_COMPILE_CACHE"] == "1"
    assert configs["ppo"]["critic.model.override_config.attn_implementation"] == "sdpa"  # no flash-attn here
    run_keys = {"trainer.default_local_dir", "ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_PATH"}
    assert differing_keys(configs["asyppo"], configs["ppo"]) == {
        "asyppo.enable", "trainer.v1.trainer_mode", "critic.model.path"} | NAME_KEYS | run_keys


def write_run(run_dir: Path, step_times: list[float], memory: list[float], gpu_mib: list[int]) -> Path:
    run_dir.mkdir()
    lines = [json.dumps({"step": 0, "data": {"val-core/tiny_arith/acc/mean@4": 0.0}})]
    for step, (seconds, gib) in enumerate(zip(step_times, memory, strict=True), start=1):
        data = {"timing_s/step": seconds, "actor/perf/max_memory_allocated_gb": gib,
                "critic/perf/max_memory_allocated_gb": gib / 2, "prompt_length/mean": 40.0,
                "response_length/mean": 1000.0 + step}
        lines.append(json.dumps({"step": step, "data": data}))
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (run_dir / "gpu_memory_mib.txt").write_text("\n".join(str(value) for value in gpu_mib) + "\n")
    return run_dir


def test_smoke_report_takes_median_step_time_after_warmup_and_the_largest_memory(tmp_path):
    run = summarize(write_run(tmp_path / "run", [30.0, 4.0, 6.0, 5.0], [10.0, 12.5, 12.0, 11.0], [1024, 40960, 2048]))
    assert run.steps == 4
    assert run.step_time_s == 5.0  # median of 4, 6, 5: the 30 s warm-up step is left out
    assert run.train_peak_gib == 12.5
    assert run.device_peak_gib == 40.0  # 40960 MiB
    assert (run.prompt_len, run.response_len) == (40.0, 1002.5)


def test_smoke_report_rejects_a_log_without_training_steps(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 0, "data": {"val-core/x/acc/mean@4": 1.0}}) + "\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl: no training step"):
        summarize(tmp_path)


def test_smoke_report_prints_measured_ratios_and_the_cost_model_error(tmp_path):
    asyppo = summarize(write_run(tmp_path / "a", [9.0, 8.0], [20.0, 22.0], [30000]))
    ppo = summarize(write_run(tmp_path / "p", [11.0, 10.0], [25.0, 27.5], [36000]))
    text = report(asyppo, ppo, predicted=(24.2, 22.0))
    assert "| median step time (s) | 8.00 | 10.00 | 0.80 |" in text
    assert "| training peak, torch allocator (GiB) | 22.00 | 27.50 | 0.80 |" in text
    assert "AsyPPO: cost model vs torch allocator peak +10% (within 20%)" in text
    assert "PPO: cost model vs torch allocator peak -20% (within 20%)" in text
    text = report(asyppo, ppo, predicted=(24.2, 22.0), rollout=(60.0, 75.0),
                  eval_timing={"engine_start_s": 20.0, "eval_s": 3.5, "problems": 8, "samples": 16})
    assert "| cost model rollout phase: states + vLLM share + contexts (GiB) | 60.00 | 75.00 | 0.80 |" in text
    assert "vLLM evaluation (eager): engine start 20.0 s, 16 samples of 8 problems in 3.5 s" in text


def fake_command(directory: Path, name: str) -> Path:
    """An executable ``name`` in ``directory`` that prints its arguments NUL-separated instead of running."""
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text("#!/usr/bin/env bash\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n")
    path.chmod(0o755)
    return directory


def fake_run(script: str, model_root: Path, tmp_path: Path, name: str, **settings: str) -> list[str]:
    """The arguments the script passes to command ``name`` (``PYTHON`` is ``name`` too, to catch the interpreter)."""
    env = script_env(model_root, **{"PYTHON": name, **settings})
    env["PATH"] = f"{fake_command(tmp_path / 'bin', name)}:{env['PATH']}"
    result = run_script(script, [], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\0")[:-1]


def test_launch_runs_the_asyppo_entry_point_with_the_printed_overrides(model_root, tmp_path):
    argv = fake_run("run_qwen3_4b_asyppo.sh", model_root, tmp_path, "my-python")
    assert argv[:2] == ["-m", "recipe.asyppo.main_asyppo"]
    assert argv[2:] == overrides_of("run_qwen3_4b_asyppo.sh", script_env(model_root))


def test_multi_node_launch_submits_a_ray_job_that_ships_the_repo(model_root, tmp_path):
    argv = fake_run("run_qwen3_14b_asyppo_1.7b.sh", model_root, tmp_path, "ray", RAY_ADDRESS="http://head:8265")
    assert argv[:4] == ["job", "submit", "--address", "http://head:8265"]
    runtime_env = json.loads(argv[argv.index("--runtime-env-json") + 1])
    assert runtime_env["working_dir"] == str(SCRIPTS_DIR.parents[2])
    # critics load through the attention plugin (configured attention, float32 value head) on every node
    assert runtime_env["env_vars"] == {
        "VERL_USE_EXTERNAL_MODULES": f"{launch.TRAINER_MODULE},{launch.CRITIC_LOADER_PLUGIN}"}
    entry = argv[argv.index("--") + 1:]
    assert entry[:3] == ["python3", "-m", "recipe.asyppo.main_asyppo"]
    assert "trainer.nnodes=2" in entry


# --------------------------------------------------------------------------------------- GPU readiness (issue 10)
def test_attention_implementation_reaches_actor_and_critic_and_sdpa_turns_remove_padding_off(resolved, model_root):
    config = resolved["run_qwen3_8b_asyppo.sh"]
    assert config["actor_rollout_ref.model.override_config.attn_implementation"] == "sdpa"
    assert config["critic.model.override_config.attn_implementation"] == "sdpa"
    assert config["actor_rollout_ref.model.use_remove_padding"] is False
    assert config["critic.model.use_remove_padding"] is False
    flash = overrides_of("run_qwen3_8b_asyppo.sh", script_env(model_root, ATTN_IMPLEMENTATION="flash_attention_2"))
    assert "++critic.model.override_config.attn_implementation=flash_attention_2" in flash
    assert "critic.model.use_remove_padding=true" in flash


def test_dry_run_names_the_attention_key_when_flash_attn_does_not_import(model_root):
    pytest.importorskip("torch")
    if importlib.util.find_spec("flash_attn") is not None:
        pytest.skip("flash-attn is installed here")
    overrides = overrides_of("run_qwen3_4b_asyppo.sh", script_env(model_root, ATTN_IMPLEMENTATION=""))  # default
    with pytest.raises(ValueError, match=r"actor_rollout_ref\.model\.override_config\.attn_implementation="
                                         r"flash_attention_2 needs the 'flash_attn' package"):
        composed_and_validated(overrides)


def test_unknown_attention_implementation_is_rejected_naming_the_key(model_root):
    overrides = overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root))
    with pytest.raises(ValueError, match=r"critic\.model\.override_config\.attn_implementation='flash' is not one"):
        composed_and_validated([*overrides, "critic.model.override_config.attn_implementation=flash"])


def test_critic_token_budget_is_the_key_verls_v1_trainer_reads(resolved):
    from verl.utils.config import omega_conf_to_dataclass

    config = resolved["run_qwen3_8b_ppo.sh"]
    assert config["critic.ppo_infer_max_token_len_per_gpu"] == config["critic.ppo_max_token_len_per_gpu"] == 36864
    critic = omega_conf_to_dataclass(composed_critic(config))
    assert critic.ppo_infer_max_token_len_per_gpu == 36864  # what trainer_base copies into the critic engine


def composed_critic(flat: dict[str, object]):
    """The ``critic`` section of a flattened resolved config, nested again."""
    tree: dict = {}
    for key, value in flat.items():
        if key.startswith("critic."):
            node = tree
            *parents, leaf = key.removeprefix("critic.").split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
    return OmegaConf.create(tree)


def test_dry_run_warns_when_the_critic_token_limit_is_one_verl_ignores(model_root):
    overrides = overrides_of("run_qwen3_4b_asyppo.sh", script_env(model_root))
    config = composed_and_validated([*overrides, "critic.ppo_infer_max_token_len_per_gpu=4096"])
    (warning,) = critic_token_limit_warnings(config)
    assert "critic.ppo_max_token_len_per_gpu=36864 has no effect" in warning
    assert not critic_token_limit_warnings(composed_and_validated(overrides))


def test_loggers_default_to_console_and_tensorboard_and_add_wandb_with_a_key(model_root):
    assert "trainer.logger=[console,tensorboard]" in overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root))
    with_key = overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root, WANDB_API_KEY="k"))
    assert "trainer.logger=[console,tensorboard,wandb]" in with_key
    chosen = overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root, LOGGER="[console,file]"))
    assert "trainer.logger=[console,file]" in chosen


def test_dry_run_warns_about_wandb_without_a_key(model_root, tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc from `wandb login`
    config = composed_and_validated(overrides_of("run_qwen3_4b_ppo.sh", script_env(model_root,
                                                                                   LOGGER="[console,wandb]")))
    (warning,) = logger_warnings(config)
    assert "includes wandb but no W&B key is set" in warning
    monkeypatch.setenv("WANDB_API_KEY", "k")
    assert logger_warnings(config) == []


@pytest.fixture(scope="module")
def qwen3_shaped_root(tmp_path_factory) -> Path:
    """Model directories holding only the shipped Qwen3 config.json files (enough for the cost model)."""
    root = tmp_path_factory.mktemp("qwen3_configs")
    for stem in ("Qwen3-1.7B", "Qwen3-8B"):
        (root / f"{stem}-Base").mkdir()
        (root / f"{stem}-Base" / "config.json").write_text((FACTS_DIR / f"{stem}.json").read_text())
    return root


def composed(script: str, env: dict[str, str]):
    config = compose(overrides_of(script, env))
    OmegaConf.resolve(config)
    return config


def test_memory_headroom_of_the_8b_runs_on_80gb_cards(qwen3_shaped_root, monkeypatch):
    # 8 GPUs of 79.6 GiB, vLLM at 0.5: symmetric PPO keeps 8.2B actor + 8.2B critic states (16 B/param / 8 GPUs)
    # resident while vLLM takes 39.8 GiB, leaving about 10.6% free; AsyPPO's 2x 1.7B critics leave about 20%
    monkeypatch.setenv("GPU_MEMORY_GIB", "79.6")
    env = script_env(qwen3_shaped_root)
    ppo_line, ppo_warnings = memory_report(composed("run_qwen3_8b_ppo.sh", env))
    asyppo_line, _ = memory_report(composed("run_qwen3_8b_asyppo.sh", env))
    assert "10.6% free" in ppo_line and ppo_warnings == []
    assert "20.3% free" in asyppo_line
    # with vLLM at 0.6 of the card the PPO baseline no longer leaves 10% free
    _, warnings = memory_report(composed("run_qwen3_8b_ppo.sh", {**env, "ROLLOUT_GPU_MEMORY_UTILIZATION": "0.6"}))
    assert len(warnings) == 1 and "leaves 0.6% of a 79.6 GiB GPU free" in warnings[0]


def test_ray_job_ships_the_repo_without_runs_smoke_dirs_models_or_weights(model_root, tmp_path):
    from ray._private.runtime_env.packaging import create_package

    argv = fake_run("run_qwen3_14b_asyppo_1.7b.sh", model_root, tmp_path, "ray", RAY_ADDRESS="http://head:8265")
    excludes = json.loads(argv[argv.index("--runtime-env-json") + 1])["excludes"]
    tree = tmp_path / "repo"
    for path in ("recipe/asyppo/integration/trainer.py", "recipe/asyppo/scripts/gpu_smoke.sh", "rewards/verl_reward.py",
                 "runs/a/metrics.jsonl", "gpu_smoke_run/models/actor/model.safetensors", "checkpoints/x/opt.pt",
                 "models/Qwen3-8B-Base/config.json", "tensorboard_log/p/e/events", "wandb/run/files",
                 "outputs/o.txt", ".git/HEAD", "data/critic.bin"):
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text("x")
    create_package(str(tree), tmp_path / "pkg.zip", include_gitignore=False, excludes=excludes)
    with zipfile.ZipFile(tmp_path / "pkg.zip") as package:
        shipped = sorted(name for name in package.namelist() if not name.endswith("/"))
    assert shipped == ["recipe/asyppo/integration/trainer.py", "recipe/asyppo/scripts/gpu_smoke.sh",
                       "rewards/verl_reward.py"]
