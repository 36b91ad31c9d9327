# Shared parts of the one-GPU scripts gpu_smoke.sh (vLLM rollout) and gpu_check.sh (hf rollout, carried bundle)
# (sourced, not run). Both train AsyPPO and symmetric PPO through the launch scripts (run_qwen3_4b_{asyppo,ppo}.sh and
# common.sh) with Qwen3-shaped random models built locally, so the two runs differ only in the algorithm keys.

GPU_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GPU_REPO_ROOT="$(cd "${GPU_SCRIPTS_DIR}/../../.." && pwd)"
PYTHON="${PYTHON:-python3}"  # the interpreter, also of the launch scripts these runs call (common.sh)
export PYTHON

# gpu_prepare MODELS_DIR DATA_DIR ACTOR_SHAPE CRITIC_SHAPE: random Qwen3 actor and critic base ("hidden layers heads
# kv_heads intermediate", shared tiny tokenizer; MODELS_DIR/models.json holds shapes and parameter counts) and the
# synthetic arithmetic data, each built once.
gpu_prepare() {
  local models="$1" data="$2" actor_shape="$3" critic_shape="$4"
  [[ -f "${models}/models.json" ]] || "${PYTHON}" -m recipe.asyppo.scripts.shaped_models "${models}" \
    --actor "${actor_shape}" --critic "${critic_shape}" > /dev/null
  [[ -f "${data}/train.parquet" ]] || "${PYTHON}" -m recipe.asyppo.tools.tiny_data "${data}" > /dev/null
}

# gpu_export_settings MODELS_DIR DATA_DIR: the common.sh settings of a one-GPU run of PROMPTS prompts x GROUP responses
# of at most PROMPT_LEN + RESPONSE_LEN tokens (two PPO mini-batches per step).
gpu_export_settings() {
  local models="$1" data="$2"
  export ACTOR_MODEL="${models}/actor" CRITIC_MODEL="${models}/critic"
  export TRAIN_FILES="${data}/train.parquet" VAL_FILES="${data}/val.parquet"
  export GPUS_PER_NODE=1 NNODES=1 ROLLOUT_TP=1 RAY_ADDRESS=""
  export TRAIN_BATCH_SIZE="${PROMPTS}" PPO_MINI_BATCH_SIZE=$(( PROMPTS / 2 )) GROUP_SIZE="${GROUP}"
  export MAX_PROMPT_LENGTH="${PROMPT_LEN}" MAX_RESPONSE_LENGTH="${RESPONSE_LEN}"
  export ACTOR_TOKENS_PER_GPU=$(( 2 * (PROMPT_LEN + RESPONSE_LEN) ))
  export CRITIC_TOKENS_PER_GPU=$(( 2 * ACTOR_TOKENS_PER_GPU ))
  export TOTAL_EPOCHS=1000 TEST_FREQ=-1 SAVE_FREQ=-1
  export LOGGER="[console,file]"
}

# gpu_run_args RUN_DIR STEPS: the hydra overrides every run adds to the launch scripts' own (its step count, its own
# checkpoint directory and metrics file, no validation, no resume).
gpu_run_args() {
  local run_dir="$1" steps="$2"
  printf '%s\n' "trainer.total_training_steps=${steps}" "trainer.val_before_train=false" "trainer.resume_mode=disable" \
    "trainer.default_local_dir=${run_dir}/checkpoints" \
    "+ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_PATH='${run_dir}/metrics.jsonl'"
}

# gpu_launch ALGORITHM RUN_DIR LOG TIMEOUT_S [hydra overrides...]: one launch of run_qwen3_4b_ALGORITHM.sh in its own
# session, its output appended to LOG, with nvidia-smi sampling device memory every 250 ms into
# RUN_DIR/gpu_memory_mib.txt (when there is one). After TIMEOUT_S seconds (0: no limit) the session is killed; so are
# processes it leaves behind (the Ray cluster a driver started lives in the driver's session). Returns the launch's exit
# status (124: timed out), printing the log's last lines on failure.
gpu_launch() {
  local algorithm="$1" run_dir="$2" log="$3" limit="$4"
  shift 4
  local sampler="" status=0 waited=0 pid
  if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 >> "${run_dir}/gpu_memory_mib.txt" &
    sampler=$!
  fi
  EXPERIMENT_NAME="${EXPERIMENT_NAME:-check}_${algorithm}" VERL_FILE_LOGGER_PATH="${run_dir}/metrics.jsonl" \
    setsid bash "${GPU_SCRIPTS_DIR}/run_qwen3_4b_${algorithm}.sh" "$@" >> "${log}" 2>&1 &
  pid=$!
  while kill -0 "${pid}" 2>/dev/null; do
    if [[ "${limit}" -gt 0 && "${waited}" -ge "${limit}" ]]; then
      echo "${algorithm} launch: still running after ${limit} s, killing its session ${pid}" >> "${log}"
      status=124
      break
    fi
    sleep 1
    waited=$(( waited + 1 ))
  done
  [[ "${status}" -eq 124 ]] || wait "${pid}" || status=$?
  pkill -KILL -s "${pid}" 2>/dev/null || true
  if [[ -n "${sampler}" ]]; then kill "${sampler}" 2>/dev/null || true; wait "${sampler}" 2>/dev/null || true; fi
  if [[ "${status}" -ne 0 ]]; then
    echo "${algorithm} launch failed (exit ${status}); last lines of ${log}:" >&2
    tail -n 40 "${log}" >&2
  fi
  return "${status}"
}
