#!/usr/bin/env bash
# Symmetric PPO baseline: Qwen3-14B-Base actor, one Qwen3-14B-Base critic (critic the size of the actor).
# Settings: common.sh (shared by every script; only the algorithm keys differ between runs of one actor size).
# Usage: bash run_qwen3_14b_ppo.sh [--dry-run | --print-overrides] [hydra overrides...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
use_actor Qwen3-14B-Base
ALGORITHM=ppo
launch "$@"
