# Shared settings of every AsyPPO / symmetric PPO / GRPO launch script (sourced, not run).
#
# A run script picks the actor preset and the algorithm; everything else comes from here, so runs of one actor size
# differ only in the algorithm keys. Every variable can be overridden from the environment, e.g.
#   NNODES=2 GPUS_PER_NODE=8 bash recipe/asyppo/scripts/run_qwen3_8b_asyppo.sh
# and extra hydra overrides can follow the script's arguments:
#   bash recipe/asyppo/scripts/run_qwen3_4b_asyppo.sh --dry-run trainer.total_epochs=1
#
# Sources for the values below. "PAPER" = stated in AsyPPO (Liu et al., arXiv 2510.01656,
# https://arxiv.org/abs/2510.01656). The paper's full text was not available to us when these marks were last
# checked: PAPER values are quoted from its abstract ("a set of lightweight mini-critics, each trained on disjoint
# prompt shards"; "(i) masking advantages in states where critics agree [...] and (ii) filtering high-divergence
# states from entropy regularization"; "training on open-source data with only 5,000 samples"; gains "on
# Qwen3-4b-Base and [...] Qwen3-8b-Base and Qwen3-14b-Base over classic PPO") and Figure 1's caption ("Off-policy
# ratio=8"), or are what the recipe README recorded from an earlier reading of the paper and the abstract does not
# contradict (two mini-critics: 0.6B for 4B, 1.7B for 8B, 1.7B and 4B for 14B; avg@4 on six math benchmarks; GAE on
# the critics' mean). "OUR CHOICE" = not stated in the text we could read, or read earlier but not checked again
# (the mark says so); a documented default, not a reproduction of the authors' setting.

ASYPPO_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ASYPPO_REPO_ROOT="$(cd "${ASYPPO_SCRIPTS_DIR}/../../.." && pwd)"
# The interpreter of local launches and dry runs (e.g. PYTHON=VENV/bin/python needs no activated venv); a Ray job
# (RAY_ADDRESS) runs the cluster's python3.
: "${PYTHON:=python3}"

# ---- paths and machines -------------------------------------------------------------------------------------------
# Local model directories, e.g. `huggingface-cli download Qwen/Qwen3-8B-Base --local-dir $MODEL_ROOT/Qwen3-8B-Base`.
: "${MODEL_ROOT:=${HOME}/models}"
# `python -m data_prep build --out $DATA_DIR` (train.parquet, the 5k set) and
# `python -m recipe.asyppo.scripts.build_val_set --out $DATA_DIR/val_paper6.parquet` (six benchmarks).
: "${DATA_DIR:=${HOME}/data/asyppo}"
# Training set: PAPER 5,000 problems ("training on open-source data with only 5,000 samples", abstract).
# OUR CHOICE which data: data_prep's default source, DeepMath-103K (zwhe99/DeepMath-103K, verifiable final answers,
# decontaminated against the eval benchmarks); the paper's source was not in the text we could read.
: "${TRAIN_FILES:=${DATA_DIR}/train.parquet}"  # PAPER (5,000 problems) / OUR CHOICE (DeepMath-103K), see above
: "${VAL_FILES:=${DATA_DIR}/val_paper6.parquet}"
: "${GPUS_PER_NODE:=8}"                 # OUR CHOICE: 8 x 80 GB GPUs per node
: "${NNODES:=}"                         # empty: the actor preset's default (1 node; 2 for the 14B actor)
# Multi-node: start a Ray cluster (`ray start --head` on one node, `ray start --address=HEAD:6379` on the others)
# and set RAY_ADDRESS=http://HEAD:8265; the script then submits with `ray job submit` as verl documents.
: "${RAY_ADDRESS:=}"
: "${PROJECT_NAME:=asyppo}"
: "${EXPERIMENT_NAME:=}"                # empty: default_experiment_name below
# Experiment loggers (verl's trainer.logger): console and TensorBoard (./tensorboard_log/PROJECT/EXPERIMENT, or
# $TENSORBOARD_DIR), plus Weights & Biases only when WANDB_API_KEY is set: without a key, wandb.init stops the run
# after vLLM and the workers are up. Set LOGGER yourself for anything else, e.g. LOGGER='[console,wandb]' after
# `wandb login`, or '[console,file]' for verl's JSONL file logger.
_default_logger() { if [[ -n "${WANDB_API_KEY:-}" ]]; then echo "[console,tensorboard,wandb]"; else
  echo "[console,tensorboard]"; fi; }
: "${LOGGER:=$(_default_logger)}"
: "${SEED:=42}"                         # OUR CHOICE
# Attention of actor and critics: flash_attention_2 (verl's default; needs flash-attn, a source build, see the
# recipe README) or sdpa (plain torch). Remove-padding packs each micro-batch into one sequence, which only
# flash-attn's varlen kernels attend per sequence; with sdpa it would attend over the whole packed micro-batch, so it
# is off unless set.
: "${ATTN_IMPLEMENTATION:=flash_attention_2}"  # OUR CHOICE (verl's default)
if [[ -z "${USE_REMOVE_PADDING:-}" ]]; then
  if [[ "${ATTN_IMPLEMENTATION}" == flash_attention_* ]]; then USE_REMOVE_PADDING=true; else USE_REMOVE_PADDING=false; fi
fi

# ---- data and rollout ---------------------------------------------------------------------------------------------
: "${TRAIN_BATCH_SIZE:=128}"            # OUR CHOICE: prompts per step
: "${GROUP_SIZE:=8}"                    # OUR CHOICE: responses per prompt (rollout.n); must divide by NUM_CRITICS
: "${PPO_MINI_BATCH_SIZE:=16}"          # PAPER: off-policy ratio 8 = TRAIN_BATCH_SIZE / PPO_MINI_BATCH_SIZE updates
: "${PPO_EPOCHS:=1}"                    # OUR CHOICE: each sample used once; the reuse is the 8 mini-batch updates
: "${MAX_PROMPT_LENGTH:=1024}"          # OUR CHOICE
# OUR CHOICE: 8192 response tokens for training rollouts and validation; `python -m eval run` cuts at the same length
# (its --max-tokens default is eval.generation.MAX_RESPONSE_TOKENS; a test checks the two are equal).
: "${MAX_RESPONSE_LENGTH:=8192}"        # OUR CHOICE, = eval.generation.MAX_RESPONSE_TOKENS
: "${TEMPERATURE:=1.0}"                 # OUR CHOICE: training rollouts
: "${TOP_P:=1.0}"                       # OUR CHOICE
: "${VAL_N:=4}"                         # PAPER: avg@4
: "${VAL_TEMPERATURE:=0.6}"             # OUR CHOICE: validation sampling
: "${VAL_TOP_P:=0.95}"                  # OUR CHOICE
: "${ROLLOUT_GPU_MEMORY_UTILIZATION:=0.5}"  # OUR CHOICE (verl's default)

# ---- optimisation ------------------------------------------------------------------------------------------------
: "${ACTOR_LR:=1e-6}"                   # OUR CHOICE (verl's default)
: "${CRITIC_LR:=1e-5}"                  # OUR CHOICE (verl's default)
: "${CLIP_RATIO:=0.2}"                  # OUR CHOICE: symmetric PPO clip
# Dual-clip PPO (Ye et al., 2020): for negative advantages the ratio term is bounded by CLIP_RATIO_C * |A|.
: "${CLIP_RATIO_C:=3.0}"                # OUR CHOICE (verl's default, kept as verl's PPO baseline runs it)
: "${ENTROPY_COEFF:=0.001}"             # OUR CHOICE: small bonus so that entropy filtering has something to filter
: "${GAMMA:=1.0}"                       # OUR CHOICE
: "${LAM:=1.0}"                         # OUR CHOICE (asyppo.lam_actor / lam_critic fall back to it)
: "${TOTAL_EPOCHS:=10}"                 # OUR CHOICE: 10 passes over 5,000 problems = 390 steps at 128 prompts
: "${TEST_FREQ:=10}"                    # OUR CHOICE: validate every 10 steps (and before training)
: "${SAVE_FREQ:=50}"                    # OUR CHOICE
# Micro-batch token budgets per GPU (dynamic batch size): OUR CHOICE, 2x (and for critics 4x) the longest sequence.
: "${ACTOR_TOKENS_PER_GPU:=$(( 2 * (MAX_PROMPT_LENGTH + MAX_RESPONSE_LENGTH) ))}"
: "${CRITIC_TOKENS_PER_GPU:=$(( 2 * ACTOR_TOKENS_PER_GPU ))}"

# ---- AsyPPO switches (ablations) ----------------------------------------------------------------------------------
# Critic loss of every critic, the symmetric PPO baseline's included (the entry point sets verl's
# critic.cliprange_value=inf for mse): PAPER mse, each critic's plain squared error to the return on its own shard;
# clipped = verl's clipped value loss (our ablation). Factor 1/2 and loss aggregation are verl's (OUR CHOICE).
: "${CRITIC_LOSS:=mse}"                 # PAPER: plain MSE per shard, no value clipping
: "${NUM_CRITICS:=2}"                   # PAPER: two mini-critics
: "${CRITIC_MODEL_PATHS:=}"             # comma list, one path per critic (heterogeneous critics); empty: CRITIC_MODEL
# PAPER: disjoint shards ("each trained on disjoint prompt shards", abstract); `response` splits every prompt's
# responses among the critics, as the README's earlier reading of the method section has it (not checked again).
: "${CRITIC_SHARD:=response}"           # PAPER: each critic gets a disjoint share of every prompt's responses
: "${VALUE_AGGREGATION:=mean}"          # PAPER: GAE on the critics' mean value (ablation: min)
: "${ADV_MASK:=true}"                   # PAPER: on ("masking advantages in states where critics agree", abstract)
# k and h: OUR CHOICE, 20% each, as the README's earlier reading of the paper recorded; we could not check them against
# the paper's text, and an unofficial AsyPPO implementation defaults to k = 10%, h = 20%. The std ranking runs over
# all valid response tokens of the batch at once (OUR CHOICE; not per response or per prompt).
: "${ADV_MASK_RATIO:=0.2}"              # OUR CHOICE: k = 20% lowest critic std (see above)
: "${ENTROPY_FILTER:=true}"             # PAPER: on ("filtering high-divergence states from entropy regularization")
: "${ENTROPY_FILTER_RATIO:=0.2}"        # OUR CHOICE: h = 20% highest critic std (see above)

usage() {
  cat <<EOF
usage: bash $(basename "${0}") [--dry-run | --print-overrides] [hydra overrides...]
  (no flag)          launch training (locally, or with 'ray job submit' when RAY_ADDRESS is set)
  --dry-run          print the resolved config and validate it (verl dataclasses, batch divisibility, asyppo keys)
  --print-overrides  print the hydra overrides this script passes, one per line
Settings and ablation switches: environment variables documented in ${ASYPPO_SCRIPTS_DIR}/common.sh
EOF
}

# use_actor NAME: the per-actor preset (model, rollout tensor parallelism, default node count); same for all algorithms.
use_actor() {
  ACTOR_NAME="$1"
  case "${ACTOR_NAME}" in
    Qwen3-4B-Base)  _ROLLOUT_TP=1; _NNODES=1 ;;  # OUR CHOICE
    Qwen3-8B-Base)  _ROLLOUT_TP=2; _NNODES=1 ;;  # OUR CHOICE
    Qwen3-14B-Base) _ROLLOUT_TP=4; _NNODES=2 ;;  # OUR CHOICE: symmetric PPO with a 14B critic needs 16 GPUs (cost model)
    *) echo "use_actor: unknown actor preset '${ACTOR_NAME}'" >&2; return 1 ;;
  esac
  : "${ACTOR_MODEL:=${MODEL_ROOT}/${ACTOR_NAME}}"
  : "${ROLLOUT_TP:=${_ROLLOUT_TP}}"
  NNODES="${NNODES:-${_NNODES}}"
}

_critic_paths_override() {
  if [[ -z "${CRITIC_MODEL_PATHS}" ]]; then
    echo "asyppo.critic_model_paths=null"
  else
    echo "asyppo.critic_model_paths=[${CRITIC_MODEL_PATHS}]"
  fi
}

# default_experiment_name: the run name from the actor, the algorithm and, for AsyPPO, the critics and every ablation
# switch that differs from the paper's setting. Runs with the same name share a checkpoint directory and resume each
# other (trainer.resume_mode=auto), so set EXPERIMENT_NAME yourself when you change any other setting.
default_experiment_name() {
  local name="${ACTOR_NAME,,}_${ALGORITHM}"
  [[ "${ALGORITHM}" != grpo && "${CRITIC_LOSS}" != mse ]] && name+="_vf-${CRITIC_LOSS}"
  if [[ "${ALGORITHM}" == asyppo ]]; then
    name+="_${NUM_CRITICS}x$(basename "${CRITIC_MODEL}")"
    [[ -n "${CRITIC_MODEL_PATHS}" ]] && name+="_paths-$(echo "${CRITIC_MODEL_PATHS}" | cksum | cut -d' ' -f1)"
    [[ "${CRITIC_SHARD}" != response ]] && name+="_shard-${CRITIC_SHARD}"
    [[ "${VALUE_AGGREGATION}" != mean ]] && name+="_${VALUE_AGGREGATION}"
    if [[ "${ADV_MASK}" != true ]]; then name+="_nomask"; elif [[ "${ADV_MASK_RATIO}" != 0.2 ]]; then
      name+="_k${ADV_MASK_RATIO}"; fi
    if [[ "${ENTROPY_FILTER}" != true ]]; then name+="_nofilter"; elif [[ "${ENTROPY_FILTER_RATIO}" != 0.2 ]]; then
      name+="_h${ENTROPY_FILTER_RATIO}"; fi
  fi
  echo "${name,,}"
}

# build_overrides: fill OVERRIDES from ALGORITHM (asyppo | ppo | grpo), the actor preset and the settings above.
build_overrides() {
  local asyppo_enable adv_estimator critic_enable critic_model
  case "${ALGORITHM}" in
    asyppo) asyppo_enable=true;  adv_estimator=gae;  critic_enable=null;  critic_model="${CRITIC_MODEL}" ;;
    ppo)    asyppo_enable=false; adv_estimator=gae;  critic_enable=null;  critic_model="${ACTOR_MODEL}" ;;
    grpo)   asyppo_enable=false; adv_estimator=grpo; critic_enable=false; critic_model="${ACTOR_MODEL}" ;;
    *) echo "build_overrides: ALGORITHM must be asyppo, ppo or grpo, got '${ALGORITHM}'" >&2; return 1 ;;
  esac
  OVERRIDES=(
    # the algorithm keys: the only ones that differ between runs of one actor size
    "asyppo.enable=${asyppo_enable}"
    "algorithm.adv_estimator=${adv_estimator}"
    "critic.enable=${critic_enable}"
    "critic.model.path=${critic_model}"
    "trainer.experiment_name=${EXPERIMENT_NAME:-$(default_experiment_name)}"
    # data
    "data.train_files=${TRAIN_FILES}"
    "data.val_files=${VAL_FILES}"
    "data.train_batch_size=${TRAIN_BATCH_SIZE}"
    "data.max_prompt_length=${MAX_PROMPT_LENGTH}"
    "data.max_response_length=${MAX_RESPONSE_LENGTH}"
    # OUR CHOICE: prompts longer than MAX_PROMPT_LENGTH are dropped, and any left over fail loudly
    "data.filter_overlong_prompts=true"
    "data.truncation=error"
    "data.seed=${SEED}"
    # actor
    "actor_rollout_ref.model.path=${ACTOR_MODEL}"
    "++actor_rollout_ref.model.override_config.attn_implementation=${ATTN_IMPLEMENTATION}"
    "actor_rollout_ref.model.use_remove_padding=${USE_REMOVE_PADDING}"
    # OUR CHOICE: gradient checkpointing and dynamic batch sizes trade speed for memory; the loss is unchanged
    "actor_rollout_ref.model.enable_gradient_checkpointing=true"
    "actor_rollout_ref.actor.optim.lr=${ACTOR_LR}"
    "actor_rollout_ref.actor.ppo_mini_batch_size=${PPO_MINI_BATCH_SIZE}"
    "actor_rollout_ref.actor.ppo_epochs=${PPO_EPOCHS}"
    "actor_rollout_ref.actor.use_dynamic_bsz=true"
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=${ACTOR_TOKENS_PER_GPU}"
    "actor_rollout_ref.actor.clip_ratio_low=${CLIP_RATIO}"
    "actor_rollout_ref.actor.clip_ratio_high=${CLIP_RATIO}"
    "actor_rollout_ref.actor.clip_ratio_c=${CLIP_RATIO_C}"
    "actor_rollout_ref.actor.entropy_coeff=${ENTROPY_COEFF}"
    # OUR CHOICE: no KL term and no reference model (nor a KL penalty in the reward, below)
    "actor_rollout_ref.actor.use_kl_loss=false"
    # OUR CHOICE (verl's default): token-mean over all response tokens of the mini-batch; advantage-masked tokens add 0
    # but stay in the denominator (asyppo.masked_tokens_in_denominator=true, OUR CHOICE, see the config's comment)
    "actor_rollout_ref.actor.loss_agg_mode=token-mean"
    # rollout (OUR CHOICE: vLLM) and avg@4 validation (PAPER: sampled, VAL_N=4)
    "actor_rollout_ref.rollout.name=vllm"
    "actor_rollout_ref.rollout.n=${GROUP_SIZE}"
    "actor_rollout_ref.rollout.temperature=${TEMPERATURE}"
    "actor_rollout_ref.rollout.top_p=${TOP_P}"
    "actor_rollout_ref.rollout.tensor_model_parallel_size=${ROLLOUT_TP}"
    "actor_rollout_ref.rollout.gpu_memory_utilization=${ROLLOUT_GPU_MEMORY_UTILIZATION}"
    "actor_rollout_ref.rollout.val_kwargs.n=${VAL_N}"
    "actor_rollout_ref.rollout.val_kwargs.do_sample=true"
    "actor_rollout_ref.rollout.val_kwargs.temperature=${VAL_TEMPERATURE}"
    "actor_rollout_ref.rollout.val_kwargs.top_p=${VAL_TOP_P}"
    # critic(s); unused by GRPO
    "critic.optim.lr=${CRITIC_LR}"
    # verl's V1 trainer sizes the critics' training and inference micro-batches by the infer key; both are set
    "critic.ppo_max_token_len_per_gpu=${CRITIC_TOKENS_PER_GPU}"
    "++critic.ppo_infer_max_token_len_per_gpu=${CRITIC_TOKENS_PER_GPU}"
    "++critic.model.override_config.attn_implementation=${ATTN_IMPLEMENTATION}"
    "critic.model.use_remove_padding=${USE_REMOVE_PADDING}"
    "critic.model.enable_gradient_checkpointing=true"
    # advantage
    "algorithm.gamma=${GAMMA}"
    "algorithm.lam=${LAM}"
    "algorithm.use_kl_in_reward=false"
    # AsyPPO switches; ignored when asyppo.enable=false, except critic_loss (the PPO critic's loss)
    "asyppo.num_critics=${NUM_CRITICS}"
    "asyppo.critic_loss=${CRITIC_LOSS}"
    "$(_critic_paths_override)"
    "asyppo.critic_shard=${CRITIC_SHARD}"
    "asyppo.value_aggregation=${VALUE_AGGREGATION}"
    "asyppo.adv_mask=${ADV_MASK}"
    "asyppo.adv_mask_ratio=${ADV_MASK_RATIO}"
    "asyppo.entropy_filter=${ENTROPY_FILTER}"
    "asyppo.entropy_filter_ratio=${ENTROPY_FILTER_RATIO}"
    # trainer
    "trainer.project_name=${PROJECT_NAME}"
    "trainer.logger=${LOGGER}"
    "trainer.nnodes=${NNODES}"
    "trainer.n_gpus_per_node=${GPUS_PER_NODE}"
    "trainer.total_epochs=${TOTAL_EPOCHS}"
    "trainer.test_freq=${TEST_FREQ}"
    "trainer.save_freq=${SAVE_FREQ}"
    "trainer.val_before_train=true"  # OUR CHOICE: a step-0 validation to measure gains from
  )
}

# What `ray job submit` leaves out of the shipped working directory (gitignore patterns; Ray refuses packages over
# 512 MiB): version control, run outputs (checkpoints, logs, smoke-test work dirs), model directories and weight files.
RAY_JOB_EXCLUDES=(.git checkpoints outputs runs gpu_smoke_run tensorboard_log wandb models build "*.egg-info"
  __pycache__ .pytest_cache .hypothesis "*.safetensors" "*.bin" "*.pt" "*.pth" "*.gguf")

ray_job_excludes_json() {
  local json="" pattern
  for pattern in "${RAY_JOB_EXCLUDES[@]}"; do json+="${json:+, }\"${pattern}\""; done
  echo "[${json}]"
}

# launch [--dry-run | --print-overrides] [hydra overrides...]: needs use_actor, ALGORITHM, and for asyppo
# CRITIC_MODEL; EXPERIMENT_NAME (optional) replaces default_experiment_name.
launch() {
  local mode=run
  local extra=()
  local arg
  for arg in "$@"; do
    case "${arg}" in
      --dry-run) mode=dry-run ;;
      --print-overrides) mode=print ;;
      -h|--help) usage; return 0 ;;
      --*) echo "unknown option '${arg}'" >&2; usage >&2; return 2 ;;
      *) extra+=("${arg}") ;;
    esac
  done
  build_overrides || return 1
  OVERRIDES+=("${extra[@]}")
  case "${mode}" in
    print)
      printf '%s\n' "${OVERRIDES[@]}" ;;
    dry-run)
      (cd "${ASYPPO_REPO_ROOT}" && "${PYTHON}" -m recipe.asyppo.scripts.check_config "${OVERRIDES[@]}") ;;
    run)
      if [[ -n "${RAY_ADDRESS}" ]]; then
        # working_dir ships the repo to every node; the entry point registers the AsyPPO trainer and the critic
        # loader (configured attention, float32 value head) through VERL_USE_EXTERNAL_MODULES in its own process
        # only, so the job-wide env carries them to other nodes.
        # (the module names of recipe/asyppo/integration/launch.py: TRAINER_MODULE, CRITIC_LOADER_PLUGIN)
        local modules=(recipe.asyppo.verl_compat.install_critic_loader)
        [[ "${ALGORITHM}" == asyppo ]] && modules=(recipe.asyppo.integration.trainer "${modules[@]}")
        local env_vars="{\"VERL_USE_EXTERNAL_MODULES\": \"$(IFS=,; echo "${modules[*]}")\"}"
        ray job submit --address "${RAY_ADDRESS}" \
          --runtime-env-json "{\"working_dir\": \"${ASYPPO_REPO_ROOT}\", \"excludes\": $(ray_job_excludes_json), \"env_vars\": ${env_vars}}" \
          -- python3 -m recipe.asyppo.main_asyppo "${OVERRIDES[@]}"
      elif [[ "${NNODES}" -gt 1 ]]; then
        echo "NNODES=${NNODES} needs a Ray cluster: start one and set RAY_ADDRESS=http://HEAD:8265" >&2
        return 1
      else
        (cd "${ASYPPO_REPO_ROOT}" && "${PYTHON}" -m recipe.asyppo.main_asyppo "${OVERRIDES[@]}")
      fi ;;
  esac
}
