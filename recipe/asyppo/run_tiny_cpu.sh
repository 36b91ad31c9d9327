#!/usr/bin/env bash
# Train a few AsyPPO steps on CPU with tiny random local models and a synthetic arithmetic set (minutes, offline).
#
#   bash recipe/asyppo/run_tiny_cpu.sh [hydra overrides...]
#
# Environment:
#   WORK_DIR  where models, data, checkpoints and metrics.jsonl go   (default: runs/tiny_cpu)
#   STEPS     training steps; validation runs after the last one      (default: 2)
#   ENTRY     asyppo: python -m recipe.asyppo.main_asyppo with NUM_CRITICS mini-critics (default)
#             verl:   stock python -m verl.trainer.main_ppo (GAE PPO, one critic)
#   NUM_CRITICS  mini-critics for ENTRY=asyppo                        (default: 2)
#   PYTHON    the interpreter, e.g. VENV/bin/python (no activated venv needed) (default: python3)
#
# Every CPU setting comes from recipe/asyppo/cpu/overrides.py (python -m recipe.asyppo.cpu.overrides); extra
# arguments are appended as hydra overrides and win. Development/demo only: the hf rollout is slow by design.
set -euo pipefail

WORK_DIR="$(mkdir -p "${WORK_DIR:-runs/tiny_cpu}" && cd "${WORK_DIR:-runs/tiny_cpu}" && pwd)"
STEPS="${STEPS:-2}"
PYTHON="${PYTHON:-python3}"
ENTRY="${ENTRY:-asyppo}"
NUM_CRITICS="${NUM_CRITICS:-2}"

[ -f "$WORK_DIR/models/actor/config.json" ] || "$PYTHON" -m recipe.asyppo.tools.tiny_models "$WORK_DIR/models"
[ -f "$WORK_DIR/data/train.parquet" ] || "$PYTHON" -m recipe.asyppo.tools.tiny_data "$WORK_DIR/data"

# VERL_PLATFORM=cpu, VERL_USE_EXTERNAL_MODULES=recipe.asyppo.cpu.plugin, one thread per process, metrics file.
set -a
eval "$("$PYTHON" -m recipe.asyppo.cpu.overrides --env --out "$WORK_DIR")"
set +a

mapfile -t OVERRIDES < <("$PYTHON" -m recipe.asyppo.cpu.overrides --out "$WORK_DIR" --steps "$STEPS" \
    --actor "$WORK_DIR/models/actor" --critic "$WORK_DIR/models/critic" \
    --train "$WORK_DIR/data/train.parquet" --val "$WORK_DIR/data/val.parquet")

case "$ENTRY" in
    asyppo) CMD=("$PYTHON" -m recipe.asyppo.main_asyppo "${OVERRIDES[@]}" "asyppo.num_critics=$NUM_CRITICS") ;;
    verl) CMD=("$PYTHON" -m verl.trainer.main_ppo "${OVERRIDES[@]}") ;;
    *) echo "ENTRY must be 'asyppo' or 'verl', got '$ENTRY'" >&2; exit 2 ;;
esac

echo "run directory: $WORK_DIR"
start=$(date +%s)
"${CMD[@]}" "$@"
echo "finished $STEPS steps in $(( $(date +%s) - start )) s; metrics: $WORK_DIR/metrics.jsonl"
