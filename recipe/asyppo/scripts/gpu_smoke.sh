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

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPTS_DIR}/../../.." && pwd)"
PYTHON="${PYTHON:-python3}"  # the interpreter, also of the launch scripts this runs
export PYTHON
WORK_DIR="$(mkdir -p "${WORK_DIR:-gpu_smoke_run}" && cd "${WORK_DIR:-gpu_smoke_run}" && pwd)"
STEPS="${STEPS:-3}"
ACTOR_SHAPE="${ACTOR_SHAPE:-2048 16 16 8 6144}"
CRITIC_SHAPE="${CRITIC_SHAPE:-1024 8 16 8 3072}"
PROMPTS="${PROMPTS:-32}"
GROUP="${GROUP:-4}"
PROMPT_LEN="${PROMPT_LEN:-256}"
RESPONSE_LEN="${RESPONSE_LEN:-1024}"
EVAL_LIMIT="${EVAL_LIMIT:-8}"
ACTOR_TOKENS=$(( 2 * (PROMPT_LEN + RESPONSE_LEN) ))
CRITIC_TOKENS=$(( 2 * ACTOR_TOKENS ))
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
cd "${REPO_ROOT}"

if [[ ! -f "${WORK_DIR}/models/actor/config.json" ]]; then
  "${PYTHON}" - "${WORK_DIR}/models" ${ACTOR_SHAPE} ${CRITIC_SHAPE} <<'EOF'
import sys
from pathlib import Path

from recipe.asyppo.tools.tiny_models import build_model, build_tokenizer

out = Path(sys.argv[1])
actor, critic = [int(x) for x in sys.argv[2:7]], [int(x) for x in sys.argv[7:12]]
tokenizer = build_tokenizer(out / "tokenizer")
for name, (hidden, layers, heads, kv_heads, intermediate), seed in (("actor", actor, 0), ("critic", critic, 1)):
    build_model(out / name, tokenizer, hidden_size=hidden, num_layers=layers, num_heads=heads, num_kv_heads=kv_heads,
                intermediate_size=intermediate, arch="qwen3", seed=seed)
print(f"built {out}/actor and {out}/critic")
EOF
fi
[[ -f "${WORK_DIR}/data/train.parquet" ]] || "${PYTHON}" -m recipe.asyppo.tools.tiny_data "${WORK_DIR}/data"

# Settings shared by both runs (common.sh variables); everything else is the paper scripts' settings.
export ACTOR_MODEL="${WORK_DIR}/models/actor" CRITIC_MODEL="${WORK_DIR}/models/critic"
export TRAIN_FILES="${WORK_DIR}/data/train.parquet" VAL_FILES="${WORK_DIR}/data/val.parquet"
export GPUS_PER_NODE=1 NNODES=1 ROLLOUT_TP=1 RAY_ADDRESS=""
export TRAIN_BATCH_SIZE="${PROMPTS}" PPO_MINI_BATCH_SIZE=$(( PROMPTS / 2 )) GROUP_SIZE="${GROUP}"
export MAX_PROMPT_LENGTH="${PROMPT_LEN}" MAX_RESPONSE_LENGTH="${RESPONSE_LEN}"
export ACTOR_TOKENS_PER_GPU="${ACTOR_TOKENS}" CRITIC_TOKENS_PER_GPU="${CRITIC_TOKENS}"
export TOTAL_EPOCHS=1000 TEST_FREQ=-1 SAVE_FREQ=-1
export LOGGER="[console,file]" PROJECT_NAME=gpu_smoke

run_args() {  # the hydra overrides both runs add to the launch scripts' own
  local run_dir="$1"
  printf '%s\n' "trainer.total_training_steps=${STEPS}" "trainer.val_before_train=false" "trainer.resume_mode=disable" \
    "trainer.default_local_dir=${run_dir}/checkpoints" \
    "actor_rollout_ref.rollout.enforce_eager=true" \
    "+ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_PATH='${run_dir}/metrics.jsonl'" \
    "+ray_kwargs.ray_init.runtime_env.env_vars.VLLM_DISABLE_COMPILE_CACHE='1'"
}

for algorithm in asyppo ppo; do
  run_dir="${WORK_DIR}/${algorithm}"
  rm -rf "${run_dir}" && mkdir -p "${run_dir}"
  mapfile -t extra < <(run_args "${run_dir}")
  if [[ "${SMOKE_MODE}" == print-overrides ]]; then
    EXPERIMENT_NAME="smoke_${algorithm}" bash "${SCRIPTS_DIR}/run_qwen3_4b_${algorithm}.sh" --print-overrides \
      "${extra[@]}" > "${run_dir}/overrides.txt"
    continue
  fi
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 > "${run_dir}/gpu_memory_mib.txt" &
  sampler=$!
  echo "=== ${algorithm}: ${STEPS} steps, log ${run_dir}/train.log"
  status=0
  EXPERIMENT_NAME="smoke_${algorithm}" VERL_FILE_LOGGER_PATH="${run_dir}/metrics.jsonl" \
    bash "${SCRIPTS_DIR}/run_qwen3_4b_${algorithm}.sh" "${extra[@]}" > "${run_dir}/train.log" 2>&1 || status=$?
  kill "${sampler}" 2>/dev/null || true
  wait "${sampler}" 2>/dev/null || true
  if [[ "${status}" -ne 0 ]]; then
    echo "${algorithm} run failed (exit ${status}); last lines of ${run_dir}/train.log:" >&2
    tail -n 40 "${run_dir}/train.log" >&2
    exit "${status}"
  fi
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
  --tokens-per-gpu "${ACTOR_TOKENS}" "${CRITIC_TOKENS}" --gpu-memory-gib "${gpu_memory_gib}" \
  --rollout-memory-fraction "${ROLLOUT_GPU_MEMORY_UTILIZATION}" "${eval_args[@]}" | tee "${WORK_DIR}/report.md"
