#!/usr/bin/env bash
# One-shot GPU check without vLLM (issue 20): on ONE GPU, in about 8 minutes, install the carried bundle (Ray, verl,
# hydra, TransferQueue, ...; python -m recipe.asyppo.scripts.gpu_bundle build), build Qwen3-shaped random models there,
# train STEPS AsyPPO steps (saving a checkpoint at the last), STEPS symmetric-PPO steps, then resume the AsyPPO run from
# its checkpoint for one more step, all through python -m recipe.asyppo.main_asyppo (launch scripts run_qwen3_4b_*.sh)
# with FSDP, bf16 compute, sdpa attention, the float32 value head, the hf rollout on the GPU and no torch.compile;
# write the summary SUMMARY_DIR/gpu_run.json (recipe.asyppo.scripts.smoke_report: measured beside the cost model's).
#
#   bash recipe/asyppo/scripts/gpu_check.sh
#   # on the device machine: WORK_DIR=/tmp/gpu_check SUMMARY_DIR=$OUT bash recipe/asyppo/scripts/gpu_check.sh
#
# Environment (defaults in brackets):
#   GPU_CHECK_MODE [gpu]   gpu: the check; cpu: the same flow on CPU with tiny shapes and the CPU overrides
#                          (recipe.asyppo.cpu.overrides; no bundle, for tests); print-overrides: build models and data,
#                          write each launch's hydra overrides to WORK_DIR/<run>/overrides.txt and stop
#   BUNDLE [build/gpu_bundle/gpu_bundle.tar.xz]  unpacked to WORK_DIR/site and put on PYTHONPATH (gpu mode)
#   WORK_DIR [gpu_check_run]  models, data, runs;  SUMMARY_DIR [WORK_DIR]  gpu_run.json, report.md, the launch logs
#   STEPS [3]  PROMPTS [16] GROUP [4]  PROMPT_LEN [128] RESPONSE_LEN [256]  LAUNCH_TIMEOUT_S [170; cpu mode 900]
#   ACTOR_SHAPE ["1024 28 16 8 3072"]  a Qwen3-0.6B-shaped body (hidden layers heads kv_heads intermediate), 353M
#   CRITIC_SHAPE ["512 18 8 4 1536"]   each of the 2 mini-critics, about 1/6 of the actor (as 0.6B/4B in the paper)
# Timing: three launches of ~1-2 min (Ray start, model loads, STEPS steps of 64 responses of 256 tokens generated with
# one HF forward per token); not yet run on a GPU by its authors.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/gpu_runs.sh"
GPU_CHECK_MODE="${GPU_CHECK_MODE:-gpu}"
case "${GPU_CHECK_MODE}" in
  gpu) ACTOR_SHAPE="${ACTOR_SHAPE:-1024 28 16 8 3072}"; CRITIC_SHAPE="${CRITIC_SHAPE:-512 18 8 4 1536}" ;;
  cpu | print-overrides)
    ACTOR_SHAPE="${ACTOR_SHAPE:-64 2 4 2 128}"; CRITIC_SHAPE="${CRITIC_SHAPE:-32 1 2 1 64}"
    PROMPTS="${PROMPTS:-4}"; GROUP="${GROUP:-2}"; RESPONSE_LEN="${RESPONSE_LEN:-16}"
    LAUNCH_TIMEOUT_S="${LAUNCH_TIMEOUT_S:-900}" ;;
  *) echo "gpu_check.sh: GPU_CHECK_MODE must be gpu, cpu or print-overrides, got '${GPU_CHECK_MODE}'" >&2; exit 2 ;;
esac
WORK_DIR="$(mkdir -p "${WORK_DIR:-gpu_check_run}" && cd "${WORK_DIR:-gpu_check_run}" && pwd)"
SUMMARY_DIR="$(mkdir -p "${SUMMARY_DIR:-${WORK_DIR}}" && cd "${SUMMARY_DIR:-${WORK_DIR}}" && pwd)"
BUNDLE="${BUNDLE:-${GPU_REPO_ROOT}/build/gpu_bundle/gpu_bundle.tar.xz}"
STEPS="${STEPS:-3}"
PROMPTS="${PROMPTS:-16}"
GROUP="${GROUP:-4}"
PROMPT_LEN="${PROMPT_LEN:-128}"
RESPONSE_LEN="${RESPONSE_LEN:-256}"
LAUNCH_TIMEOUT_S="${LAUNCH_TIMEOUT_S:-170}"
export ATTN_IMPLEMENTATION=sdpa PROJECT_NAME=gpu_check
cd "${GPU_REPO_ROOT}"

declare -A PHASE_S
start_phase() { PHASE_START=$(date +%s.%N); }
end_phase() { PHASE_S[$1]=$("${PYTHON}" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" \
  "${PHASE_START}" "$(date +%s.%N)"); }

if [[ "${GPU_CHECK_MODE}" == gpu ]]; then
  command -v nvidia-smi > /dev/null || { echo "gpu_check.sh: nvidia-smi not found; needs an NVIDIA GPU" >&2; exit 1; }
  [[ -f "${BUNDLE}" ]] || { echo "gpu_check.sh: no bundle at ${BUNDLE}; build it with" \
    "'python -m recipe.asyppo.scripts.gpu_bundle build' and carry it" >&2; exit 1; }
  start_phase
  rm -rf "${WORK_DIR}/site" && mkdir -p "${WORK_DIR}/site"
  tar -xJf "${BUNDLE}" -C "${WORK_DIR}/site"
  export PYTHONPATH="${WORK_DIR}/site:${GPU_REPO_ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
  end_phase bundle_install
fi

start_phase
gpu_prepare "${WORK_DIR}/models" "${WORK_DIR}/data" "${ACTOR_SHAPE}" "${CRITIC_SHAPE}"
end_phase models_and_data
gpu_export_settings "${WORK_DIR}/models" "${WORK_DIR}/data"

# launch_args RUN_DIR STEPS: the overrides of one launch after the launch script's own: the hf rollout, and in cpu mode
# the CPU overrides (less the keys the launch scripts and this check own; "+key" made "++key", since the launch scripts
# may have added the key), then the run's own settings.
CPU_KEYS_DROPPED='critic\.model\.path|algorithm\.adv_estimator|actor_rollout_ref\.actor\.ppo_mini_batch_size|trainer\.'
CPU_KEYS_DROPPED+='(total_training_steps|save_freq|resume_mode|default_local_dir|test_freq|val_before_train|logger|'
CPU_KEYS_DROPPED+='project_name|experiment_name)'
launch_args() {
  local run_dir="$1" steps="$2"
  # the hf rollout; no torch.compile of verl's entropy/log-prob kernels (minutes of compiling in three launches)
  printf '%s\n' "actor_rollout_ref.rollout.name=hf" "actor_rollout_ref.actor.fsdp_config.use_torch_compile=false" \
    "critic.fsdp.use_torch_compile=false"
  if [[ "${GPU_CHECK_MODE}" == cpu ]]; then
    "${PYTHON}" -m recipe.asyppo.cpu.overrides --out "${run_dir}" --steps "${steps}" --actor "${ACTOR_MODEL}" \
      --critic "${CRITIC_MODEL}" --train "${TRAIN_FILES}" --val "${VAL_FILES}" --train-batch-size "${PROMPTS}" \
      --rollout-n "${GROUP}" --max-prompt-length "${PROMPT_LEN}" --max-response-length "${RESPONSE_LEN}" \
      | grep -v -E "^(${CPU_KEYS_DROPPED})=|VERL_FILE_LOGGER_PATH=" | sed -E 's/^[+]([^+])/++\1/'
  fi
  gpu_run_args "${run_dir}" "${steps}"
}
if [[ "${GPU_CHECK_MODE}" == cpu ]]; then
  set -a
  eval "$("${PYTHON}" -m recipe.asyppo.cpu.overrides --env --out "${WORK_DIR}")"
  set +a
fi

# run NAME ALGORITHM STEPS [overrides...]: one launch into WORK_DIR/<algorithm>, timed as phase NAME; a failed launch
# is recorded, the check goes on.
declare -A STATUS
run() {
  local name="$1" algorithm="$2" steps="$3"
  shift 3
  local run_dir="${WORK_DIR}/${algorithm}"
  mkdir -p "${run_dir}"
  mapfile -t args < <(launch_args "${run_dir}" "${steps}")
  args+=("$@")
  if [[ "${GPU_CHECK_MODE}" == print-overrides ]]; then
    EXPERIMENT_NAME="check_${algorithm}" bash "${GPU_SCRIPTS_DIR}/run_qwen3_4b_${algorithm}.sh" --print-overrides \
      "${args[@]}" > "${WORK_DIR}/${name}.overrides.txt"
    return 0
  fi
  echo "=== ${name}: ${algorithm}, ${steps} steps, log ${SUMMARY_DIR}/${name}.log"
  start_phase
  STATUS[${name}]=0
  gpu_launch "${algorithm}" "${run_dir}" "${SUMMARY_DIR}/${name}.log" "${LAUNCH_TIMEOUT_S}" "${args[@]}" \
    || STATUS[${name}]=$?
  end_phase "${name}"
}

rm -rf "${WORK_DIR}/asyppo" "${WORK_DIR}/ppo"
run asyppo asyppo "${STEPS}" "trainer.save_freq=${STEPS}"
run ppo ppo "${STEPS}"
run asyppo_resume asyppo $(( STEPS + 1 )) "trainer.resume_mode=auto"
if [[ "${GPU_CHECK_MODE}" == print-overrides ]]; then echo "overrides written under ${WORK_DIR}"; exit 0; fi

device=cpu
gpu_args=()
if command -v nvidia-smi > /dev/null; then
  device="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)"
  gpu_args=(--gpu-memory-gib "$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -n 1 \
    | awk '{print $1 / 1024}')" --rollout-memory-fraction 0)
fi
{
  printf '{"check": {"mode": "%s", "steps_per_run": %s, "prompts": %s, "group": %s, "prompt_len": %s, ' \
    "${GPU_CHECK_MODE}" "${STEPS}" "${PROMPTS}" "${GROUP}" "${PROMPT_LEN}"
  printf '"response_len": %s, "rollout": "hf", "attention": "sdpa", "launch_timeout_s": %s, "phases_s": {' \
    "${RESPONSE_LEN}" "${LAUNCH_TIMEOUT_S}"
  first=1
  for phase in "${!PHASE_S[@]}"; do
    [[ "${first}" -eq 1 ]] || printf ', '
    printf '"%s": %s' "${phase}" "${PHASE_S[${phase}]}"
    first=0
  done
  printf '}, "exit_status": {"asyppo": %s, "ppo": %s, "asyppo_resume": %s}, "models": %s}}\n' \
    "${STATUS[asyppo]}" "${STATUS[ppo]}" "${STATUS[asyppo_resume]}" "$(cat "${WORK_DIR}/models/models.json")"
} > "${WORK_DIR}/check.json"
"${PYTHON}" -m recipe.asyppo.scripts.smoke_report --asyppo "${WORK_DIR}/asyppo" --ppo "${WORK_DIR}/ppo" \
  --actor "${ACTOR_MODEL}" --critics 2x "${CRITIC_MODEL}" --prompts "${PROMPTS}" --group-size "${GROUP}" \
  --tokens-per-gpu "${ACTOR_TOKENS_PER_GPU}" "${CRITIC_TOKENS_PER_GPU}" "${gpu_args[@]}" --steps "${STEPS}" \
  --resumed-from "${STEPS}" --device "${device}" --extra "${WORK_DIR}/check.json" --json "${SUMMARY_DIR}/gpu_run.json" \
  | tee "${SUMMARY_DIR}/report.md"
echo "summary: ${SUMMARY_DIR}/gpu_run.json"
