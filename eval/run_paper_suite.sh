#!/usr/bin/env bash
# Evaluate MODEL_PATH on the paper's suite (AIME 24, AIME 25, MATH-500, OlympiadBench, Minerva, AMC 23) with avg@4.
# Usage: eval/run_paper_suite.sh MODEL_PATH OUT_DIR [extra `python -m eval run` arguments, e.g. --data-dir DIR or --hub]
# The benchmark files ship with eval (eval/data), so no data directory or network is needed.
# Responses stop at `python -m eval run`'s default --max-tokens, eval.generation.MAX_RESPONSE_TOKENS (8192), the
# response length the training scripts allow and validate with (MAX_RESPONSE_LENGTH in recipe/asyppo/scripts/common.sh).
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: $0 MODEL_PATH OUT_DIR [extra python -m eval run arguments]" >&2
    exit 2
fi
model_path=$1
out_dir=$2
shift 2
exec python -m eval run --model "$model_path" --benchmarks paper --n 4 --out "$out_dir" "$@"
