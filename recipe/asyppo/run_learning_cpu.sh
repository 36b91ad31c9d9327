#!/usr/bin/env bash
# Does it learn? SmolLM2-135M-Instruct on graded arithmetic, on CPU: AsyPPO (2 mini-critics) vs symmetric PPO (critic =
# actor size) vs GRPO, same settings and seed, a fixed training wall-clock budget each. A benchmark, not a test.
#
#   bash recipe/asyppo/run_learning_cpu.sh [hydra overrides for all runs...]
#
# Writes under WORK_DIR: models/ (actor, critic_mini), data/ (train/val parquet), one directory per algorithm with
# metrics.jsonl (verl's file logger), peak_memory.json (python -m recipe.asyppo.tools.proc_monitor), val_generations/
# (every validation's responses and scores, verl's dump) and run.log, then
# learning.md (table) and learning.png (val accuracy and reward vs step) from python -m recipe.asyppo.tools.learning_report.
# An algorithm whose directory holds a 'finished' file is not run again (delete the directory to rerun); a failed or
# interrupted one starts over.
#
# Environment (defaults chosen so that one run takes about BUDGET_S + 4 minutes on 2 idle cores: start-up and
# validations come on top of the training budget):
#   WORK_DIR           runs/learning_cpu
#   ALGORITHMS         "asyppo ppo grpo"
#   BUDGET_S           900      training seconds per run (budget.wall_clock_s), counted from the first step
#   THREADS            2        torch threads per process (phases run one after another; use 1 on a busy machine)
#   SEED               0        data, rollout and critic seeds
#   TRAIN_BATCH_SIZE   8        prompts per step;  ROLLOUT_N 4 responses each (32 sequences per step)
#   MINI_BATCH_SIZE    4        prompts per PPO update (2 actor/critic updates per step)
#   MAX_RESPONSE_LENGTH 16      tokens (the short_answer prompt asks for just the number)
#   ACTOR_LR 2e-5, CRITIC_LR 5e-5, ENTROPY_COEFF 0.001
#   TEMPERATURE 0.7    sampling temperature of training rollouts and of validation (one sample per problem)
#   NUM_CRITICS 2, CRITIC_LAYERS 4 (mini-critic = the actor's first 4 of 30 layers + value head)
#   TEST_FREQ 5        validation every TEST_FREQ steps, plus before training and after the last step
#   NUM_TRAIN 512, NUM_VAL 200, LEVELS add1,mul1,add2,sub2,mul21 (python -m data_prep arithmetic)
#   PYTHON             python3  the interpreter, e.g. VENV/bin/python (no activated venv needed)
#
# The reward is rewards.verl_reward with plain_number=true: the answer must be the computed number, so restating the
# question ("87 * 2" for "What is 87 * 2?", which the default rules accept as numeric) earns nothing.
set -euo pipefail

WORK_DIR="$(mkdir -p "${WORK_DIR:-runs/learning_cpu}" && cd "${WORK_DIR:-runs/learning_cpu}" && pwd)"
ALGORITHMS="${ALGORITHMS:-asyppo ppo grpo}"
PYTHON="${PYTHON:-python3}"
BUDGET_S="${BUDGET_S:-900}"
THREADS="${THREADS:-2}"
SEED="${SEED:-0}"
TRAIN_BATCH_SIZE="${TRAIN_BATCH_SIZE:-8}"
ROLLOUT_N="${ROLLOUT_N:-4}"
MINI_BATCH_SIZE="${MINI_BATCH_SIZE:-4}"
MAX_RESPONSE_LENGTH="${MAX_RESPONSE_LENGTH:-16}"
ACTOR_LR="${ACTOR_LR:-2e-5}"
CRITIC_LR="${CRITIC_LR:-5e-5}"
TEMPERATURE="${TEMPERATURE:-0.7}"
ENTROPY_COEFF="${ENTROPY_COEFF:-0.001}"
NUM_CRITICS="${NUM_CRITICS:-2}"
CRITIC_LAYERS="${CRITIC_LAYERS:-4}"
TEST_FREQ="${TEST_FREQ:-5}"
NUM_TRAIN="${NUM_TRAIN:-512}"
NUM_VAL="${NUM_VAL:-200}"
LEVELS="${LEVELS:-add1,mul1,add2,sub2,mul21}"
# sequences per forward/backward in the updates: divides the actor's mini-batch (MINI_BATCH_SIZE x ROLLOUT_N) and
# each mini-critic's share of it (/ NUM_CRITICS)
MICRO_BATCH_SIZE="${MICRO_BATCH_SIZE:-$(( MINI_BATCH_SIZE * ROLLOUT_N / NUM_CRITICS ))}"
MAX_PROMPT_LENGTH=56  # the SmolLM2 chat template with the longest short_answer question is 49 tokens

MODELS="$WORK_DIR/models"
DATA="$WORK_DIR/data"
[ -f "$MODELS/models.json" ] || "$PYTHON" -m recipe.asyppo.tools.models smollm2 --out "$MODELS" --critic-layers "$CRITIC_LAYERS"
[ -f "$DATA/train.parquet" ] || "$PYTHON" -m data_prep arithmetic --out "$DATA" --train "$NUM_TRAIN" --val "$NUM_VAL" \
    --levels "$LEVELS" --seed "$SEED"

run_algorithm() {
    local algorithm="$1"; shift
    local out="$WORK_DIR/$algorithm"
    if [ -f "$out/finished" ]; then
        echo "$algorithm: already done ($out); delete it to rerun"
        return
    fi
    rm -rf "$out"
    local critic="$MODELS/actor"
    local algo_overrides=()
    case "$algorithm" in
        asyppo) critic="$MODELS/critic_mini"
                algo_overrides=(asyppo.enable=true "asyppo.num_critics=$NUM_CRITICS") ;;
        ppo)    algo_overrides=(asyppo.enable=false algorithm.adv_estimator=gae) ;;
        grpo)   algo_overrides=(asyppo.enable=false algorithm.adv_estimator=grpo critic.enable=false) ;;
        *) echo "unknown algorithm '$algorithm' (asyppo, ppo, grpo)" >&2; exit 2 ;;
    esac
    local env_lines overrides
    env_lines="$("$PYTHON" -m recipe.asyppo.cpu.overrides --env --out "$out" --threads "$THREADS")"
    mapfile -t overrides < <("$PYTHON" -m recipe.asyppo.cpu.overrides --out "$out" --threads "$THREADS" \
        --steps 1000 --train-batch-size "$TRAIN_BATCH_SIZE" --rollout-n "$ROLLOUT_N" \
        --max-prompt-length "$MAX_PROMPT_LENGTH" --max-response-length "$MAX_RESPONSE_LENGTH" \
        --actor "$MODELS/actor" --critic "$critic" --train "$DATA/train.parquet" --val "$DATA/val.parquet")
    echo "== $algorithm: budget ${BUDGET_S}s, log $out/run.log"
    (
        set -a; eval "$env_lines"; set +a
        "$PYTHON" -m recipe.asyppo.tools.proc_monitor --out "$out/peak_memory.json" -- \
            "$PYTHON" -m recipe.asyppo.main_asyppo "${overrides[@]}" "${algo_overrides[@]}" \
            "budget.wall_clock_s=$BUDGET_S" \
            "trainer.experiment_name=learning_$algorithm" \
            "trainer.val_before_train=true" "trainer.test_freq=$TEST_FREQ" \
            "actor_rollout_ref.actor.ppo_mini_batch_size=$MINI_BATCH_SIZE" \
            "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=$MICRO_BATCH_SIZE" \
            "critic.ppo_micro_batch_size_per_gpu=$MICRO_BATCH_SIZE" \
            "actor_rollout_ref.actor.optim.lr=$ACTOR_LR" "critic.optim.lr=$CRITIC_LR" \
            "actor_rollout_ref.actor.entropy_coeff=$ENTROPY_COEFF" \
            "actor_rollout_ref.rollout.temperature=$TEMPERATURE" \
            "actor_rollout_ref.rollout.val_kwargs.do_sample=true" \
            "actor_rollout_ref.rollout.val_kwargs.temperature=$TEMPERATURE" \
            "actor_rollout_ref.rollout.val_kwargs.top_p=1.0" "actor_rollout_ref.rollout.val_kwargs.n=1" \
            "++reward.custom_reward_function.reward_kwargs.plain_number=true" \
            "trainer.validation_data_dir=$out/val_generations" \
            "data.seed=$SEED" "actor_rollout_ref.rollout.seed=$SEED" \
            "actor_rollout_ref.actor.data_loader_seed=$SEED" "critic.data_loader_seed=$SEED" \
            "$@" > "$out/run.log" 2>&1
    ) || { echo "$algorithm failed; end of $out/run.log:" >&2; tail -40 "$out/run.log" >&2; exit 1; }
    touch "$out/finished"
}

start=$(date +%s)
for algorithm in $ALGORITHMS; do
    run_algorithm "$algorithm" "$@"
done
# shellcheck disable=SC2086
"$PYTHON" -m recipe.asyppo.tools.learning_report "$WORK_DIR" $ALGORITHMS
echo "done in $(( $(date +%s) - start )) s: $WORK_DIR/learning.md, $WORK_DIR/learning.png"
