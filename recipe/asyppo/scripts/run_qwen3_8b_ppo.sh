#!/usr/bin/env bash
# Symmetric PPO baseline (PAPER: AsyPPO is compared with "classic PPO", abstract): Qwen3-8B-Base actor, one
# Qwen3-8B-Base critic (the critic the size of the actor), trained with AsyPPO's value loss (CRITIC_LOSS in
# common.sh, default mse: unclipped, through verl's critic.cliprange_value=inf).
# Settings: common.sh (shared by every script; only the algorithm keys differ between runs of one actor size).
# Usage: bash run_qwen3_8b_ppo.sh [--dry-run | --print-overrides] [hydra overrides...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
use_actor Qwen3-8B-Base
ALGORITHM=ppo
launch "$@"
