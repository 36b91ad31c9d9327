#!/usr/bin/env bash
# GRPO baseline (PAPER: the abstract compares against GRPO): Qwen3-4B-Base actor, no critic.
# Settings: common.sh (shared by every script; only the algorithm keys differ between runs of one actor size).
# Usage: bash run_qwen3_4b_grpo.sh [--dry-run | --print-overrides] [hydra overrides...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
use_actor Qwen3-4B-Base
ALGORITHM=grpo
launch "$@"
