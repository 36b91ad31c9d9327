#!/usr/bin/env bash
# GPU smoke test: on ONE GPU with vLLM, train a few AsyPPO steps and the same run as symmetric PPO, with Qwen3-shaped
# random models built locally (no download), run a short vLLM evaluation of the actor, then print step time and peak
# memory of both runs, measured in this run, next to the cost model's prediction for the same models.
#
#   bash recipe/asyppo/scripts/gpu_smoke.sh
#
# Needs: pip install -e ".[gpu,dev]" (verl[vllm]: vLLM, Ray, torch). flash-attn is used when it imports, else sdpa
# (ATTN_IMPLEMENTATION overrides). vLLM runs eager (no torch.compile, no CUDA graphs) and with its compile cache
# off, so nothing is compiled or reused between runs. Both runs go through the launch scripts
# (run_qwen3_4b_{asyppo,ppo}.sh and common.sh) with the small sizes below, so they differ only in the algorithm keys.
# Budget: 8 minutes on one H200 with the defaults (two Ray/vLLM start-ups dominate; not yet timed on a GPU).
#
# Environment (defaults in brackets):
#   WORK_DIR [./gpu_smoke_run]  models, data, metrics.jsonl and nvidia-smi samples per run, eval/
#   STEPS [3]                   training steps per run (the first is treated as warm-up for the step time)
#   ACTOR_SHAPE ["2048 16 16 8 6144"]  hidden layers heads kv_heads intermediate of the actor (and the PPO critic)
#   CRITIC_SHAPE ["1024 8 16 8 3072"]  the same for each of the 2 AsyPPO mini-critics
#   PROMPTS [32] GROUP [4]      prompts per step, responses per prompt
#   PROMPT_LEN [256] RESPONSE_LEN [1024]  max prompt / response tokens
#   ROLLOUT_GPU_MEMORY_UTILIZATION [0.3]  vLLM's share of the GPU during rollout (and in the eval step)
#   EVAL_LIMIT [8]              problems of MATH-500 in the vLLM evaluation step (0 skips it)
#   SMOKE_MODE [run]            print-overrides: build models and data, write each run's hydra overrides to
#                               WORK_DIR/<algorithm>/overrides.txt and stop (no GPU needed; used by the CPU tests)
#
# Status: NOT RUN on a GPU by its authors yet; written from reading verl 0.9.1 and vLLM 0.24. The CPU tests cover the
# configs it produces (tests/recipe/test_scripts.py) and benchmarks/gpu_critic_bench.py checks the critic path on a
# GPU without verl.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/gpu_runs.sh"
WORK_DIR="$(mkdir -p "${WORK_DIR:-gpu_smoke_run}" && cd "${WORK_DIR:-gpu_smoke_run}" && pwd)"
STEPS="${STEPS:-3}"
ACTOR_SHAPE="${ACTOR_SHAPE:-2048 16 16 8 6144}"
CRITIC_SHAPE="${CRITIC_SHAPE:-1024 8 16 8 3072}"
PROMPTS="${PROMPTS:-32}"
GROUP="${GROUP:-4}"
PROMPT_LEN="${PROMPT_LEN:-256}"
RESPONSE_LEN="${RESPONSE_LEN:-1024}"
EVAL_LIMIT="${EVAL_LIMIT:-8}"
export ROLLOUT_GPU_MEMORY_UTILIZATION="${ROLLOUT_GPU_MEMORY_UTILIZATION:-0.3}"
if [[ -z "${ATTN_IMPLEMENTATION:-}" ]]; then
  if "${PYTHON}" -c "import flash_attn" 2>/dev/null; then ATTN_IMPLEMENTATION=flash_attention_2; else ATTN_IMPLEMENTATION=sdpa; fi
fi
export ATTN_IMPLEMENTATION
export VLLM_DISABLE_COMPILE_CACHE=1

SMOKE_MODE="${SMOKE_MODE:-run}"
case "${SMOKE_MODE}" in
  run) command -v nvidia-smi >/dev/null || { echo "gpu_smoke.sh: nvidia-smi not found; needs an NVIDIA GPU" >&2; exit 1; } ;;
  print-overrides) ;;
  *) echo "gpu_smoke.sh: SMOKE_MODE must be run or print-overrides, got '${SMOKE_MODE}'" >&2; exit 2 ;;
esac
cd "${GPU_REPO_ROOT}"

gpu_prepare "${WORK_DIR}/models" "${WORK_DIR}/data" "${ACTOR_SHAPE}" "${CRITIC_SHAPE}"
gpu_export_settings "${WORK_DIR}/models" "${WORK_DIR}/data"
export PROJECT_NAME=gpu_smoke EXPERIMENT_NAME=smoke

run_args() {  # the hydra overrides both runs add to the launch scripts' own: gpu_run_args and vLLM without compiling
  gpu_run_args "$1" "${STEPS}"
  printf '%s\n' "actor_rollout_ref.rollout.enforce_eager=true" \
    "+ray_kwargs.ray_init.runtime_env.env_vars.VLLM_DISABLE_COMPILE_CACHE='1'"
}

for algorithm in asyppo ppo; do
  run_dir="${WORK_DIR}/${algorithm}"
  rm -rf "${run_dir}" && mkdir -p "${run_dir}"
  mapfile -t extra < <(run_args "${run_dir}")
  if [[ "${SMOKE_MODE}" == print-overrides ]]; then
    EXPERIMENT_NAME="smoke_${algorithm}" bash "${GPU_SCRIPTS_DIR}/run_qwen3_4b_${algorithm}.sh" --print-overrides \
      "${extra[@]}" > "${run_dir}/overrides.txt"
    continue
  fi
  echo "=== ${algorithm}: ${STEPS} steps, log ${run_dir}/train.log"
  gpu_launch "${algorithm}" "${run_dir}" "${run_dir}/train.log" 0 "${extra[@]}" || exit $?
done
[[ "${SMOKE_MODE}" == print-overrides ]] && { echo "overrides written under ${WORK_DIR}/{asyppo,ppo}/"; exit 0; }

eval_args=()
if [[ "${EVAL_LIMIT}" -gt 0 ]]; then
  echo "=== vLLM evaluation: ${EVAL_LIMIT} MATH-500 problems, log ${WORK_DIR}/eval.log"
  rm -rf "${WORK_DIR}/eval"
  "${PYTHON}" -m recipe.asyppo.scripts.smoke_eval --model "${ACTOR_MODEL}" --out "${WORK_DIR}/eval" \
    --limit "${EVAL_LIMIT}" --gpu-memory-utilization "${ROLLOUT_GPU_MEMORY_UTILIZATION}" > "${WORK_DIR}/eval.log" 2>&1 \
    || { echo "vLLM evaluation failed; last lines of ${WORK_DIR}/eval.log:" >&2; tail -n 40 "${WORK_DIR}/eval.log" >&2; exit 1; }
  eval_args=(--eval "${WORK_DIR}/eval")
fi

gpu_memory_gib=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -n 1 | awk '{print $1 / 1024}')
"${PYTHON}" -m recipe.asyppo.scripts.smoke_report --asyppo "${WORK_DIR}/asyppo" --ppo "${WORK_DIR}/ppo" \
  --actor "${ACTOR_MODEL}" --critics 2x "${CRITIC_MODEL}" --prompts "${PROMPTS}" --group-size "${GROUP}" \
  --tokens-per-gpu "${ACTOR_TOKENS_PER_GPU}" "${CRITIC_TOKENS_PER_GPU}" --gpu-memory-gib "${gpu_memory_gib}" \
  --rollout-memory-fraction "${ROLLOUT_GPU_MEMORY_UTILIZATION}" "${eval_args[@]}" | tee "${WORK_DIR}/report.md"
