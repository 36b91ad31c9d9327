#!/usr/bin/env bash
# AsyPPO: Qwen3-4B-Base actor (PAPER), NUM_CRITICS (2) x Qwen3-0.6B-Base mini-critics (PAPER, as the recipe
# README records the paper's setup).
# Settings: common.sh (shared by every script; only the algorithm keys differ between runs of one actor size).
# Usage: bash run_qwen3_4b_asyppo.sh [--dry-run | --print-overrides] [hydra overrides...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
use_actor Qwen3-4B-Base
ALGORITHM=asyppo
: "${CRITIC_MODEL:=${MODEL_ROOT}/Qwen3-0.6B-Base}"  # PAPER
launch "$@"
