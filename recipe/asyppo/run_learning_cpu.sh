#!/usr/bin/env bash
# Does AsyPPO learn, and does it beat PPO? SmolLM2-135M-Instruct on graded arithmetic, on CPU: a seeded study of
# AsyPPO, symmetric PPO, GRPO and AsyPPO ablations at the same number of actor updates. A benchmark, not a test.
#
#   bash recipe/asyppo/run_learning_cpu.sh [hydra overrides for all runs...]
#
# Every (arm, seed) run lives in WORK_DIR/<arm>/seed<k>/: run_info.json (arm, seed, commit, settings), metrics.jsonl
# (verl's file logger), peak_memory.json (python -m recipe.asyppo.tools.proc_monitor), val_generations/, run.log,
# hf_actor/ (the final actor as a float32 Hugging Face model, saved by verl's checkpoint manager with the last
# checkpoint: `python -m eval run --model` reads it) and summary.json. A run whose directory holds 'finished' is
# skipped; an unfinished one starts over, so the study can be stopped and resumed at any time. After each run,
# WORK_DIR/cpu_study.csv (one row per finished run), cpu_study_curves.csv (per step), learning.md and learning.png
# (mean +- standard error per arm) are rewritten by python -m recipe.asyppo.tools.study and
# python -m recipe.asyppo.tools.learning_report.
#
# Arms (ARMS): asyppo (2 four-layer mini-critics, defaults), ppo (one critic = the actor's 30 layers, the same value
# loss), grpo (no critic), asyppo_nomask (asyppo.adv_mask=false), asyppo_warmup and ppo_warmup (WARMUP_STEPS
# critic-only steps first, then STEPS actor updates like the other arms), asyppo_deep (mini-critics of
# DEEP_CRITIC_LAYERS layers).
#
# Environment (OUR CHOICE: sized so that the default study, 7 arms x 3 seeds, fits about 4-5 hours of 2 idle cores;
# see the recipe README's study section):
#   WORK_DIR           runs/learning_cpu
#   ARMS               "asyppo ppo grpo asyppo_nomask asyppo_warmup ppo_warmup asyppo_deep"
#   SEEDS              3        seeds 0 .. SEEDS-1 (training seeds: data order, rollout sampling, value-head init)
#   STEPS              10       actor updates per run (every arm the same); BUDGET_S=seconds instead trains each
#                               run for a wall-clock budget (budget.wall_clock_s), as the earlier comparison did
#   WARMUP_STEPS       3        critic-only steps of the *_warmup arms (they train STEPS + WARMUP_STEPS steps)
#   THREADS            2        torch threads per process (phases run one after another; use 1 on a busy machine)
#   TRAIN_BATCH_SIZE   8        prompts per step;  ROLLOUT_N 4 responses each (32 sequences per step)
#   MINI_BATCH_SIZE    4        prompts per PPO update (2 actor/critic updates per step)
#   MAX_RESPONSE_LENGTH 16      tokens (the short_answer prompt asks for just the number)
#   ACTOR_LR 2e-5, CRITIC_LR 5e-5, ENTROPY_COEFF 0.001
#   TEMPERATURE 0.7    sampling temperature of training rollouts and of the sampled validation
#   NUM_CRITICS 2, CRITIC_LAYERS 4 (mini-critic = the actor's first 4 of 30 layers + value head), DEEP_CRITIC_LAYERS 15
#   TEST_FREQ 5        validation every TEST_FREQ steps, plus before training and after the last step: greedy
#                      accuracy on every validation problem and one sample per problem at TEMPERATURE
#   NUM_TRAIN 512, NUM_VAL 200, LEVELS add1,mul1,add2,sub2,mul21 (python -m data_prep arithmetic, seed 0 for all runs)
#   PYTHON             python3  the interpreter, e.g. VENV/bin/python (no activated venv needed)
#
# The reward is rewards.verl_reward with plain_number=true: the answer must be the computed number, so restating the
# question ("87 * 2" for "What is 87 * 2?", which the default rules accept as numeric) earns nothing.
#
# Settings: every value above is OUR CHOICE, sized for a 2-core CPU (the recipe README says why); the AsyPPO keys not
# set here keep config/asyppo_trainer.yaml's defaults, marked PAPER / OUR CHOICE there. Critic loss: the ppo arm is
# stock verl launched through python -m recipe.asyppo.main_asyppo (asyppo.enable=false), so its critic gets
# asyppo.critic_loss like the mini-critics (default mse, unclipped: the entry point sets critic.cliprange_value=inf).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
WORK_DIR="$(mkdir -p "${WORK_DIR:-runs/learning_cpu}" && cd "${WORK_DIR:-runs/learning_cpu}" && pwd)"
ARMS="${ARMS:-asyppo ppo grpo asyppo_nomask asyppo_warmup ppo_warmup asyppo_deep}"
SEEDS="${SEEDS:-3}"
STEPS="${STEPS:-10}"
BUDGET_S="${BUDGET_S:-}"
WARMUP_STEPS="${WARMUP_STEPS:-3}"
THREADS="${THREADS:-2}"
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
DEEP_CRITIC_LAYERS="${DEEP_CRITIC_LAYERS:-15}"
TEST_FREQ="${TEST_FREQ:-5}"
NUM_TRAIN="${NUM_TRAIN:-512}"
NUM_VAL="${NUM_VAL:-200}"
LEVELS="${LEVELS:-add1,mul1,add2,sub2,mul21}"
# sequences per forward/backward in the updates: divides the actor's mini-batch (MINI_BATCH_SIZE x ROLLOUT_N) and
# each mini-critic's share of it (/ NUM_CRITICS)
MICRO_BATCH_SIZE="${MICRO_BATCH_SIZE:-$(( MINI_BATCH_SIZE * ROLLOUT_N / NUM_CRITICS ))}"
MAX_PROMPT_LENGTH=56  # the SmolLM2 chat template with the longest short_answer question is 49 tokens

MODELS="$WORK_DIR/models"
DEEP_MODELS="$WORK_DIR/models_deep"
DATA="$WORK_DIR/data"
[ -f "$MODELS/models.json" ] || "$PYTHON" -m recipe.asyppo.tools.models smollm2 --out "$MODELS" --critic-layers "$CRITIC_LAYERS"
[ -f "$DATA/train.parquet" ] || "$PYTHON" -m data_prep arithmetic --out "$DATA" --train "$NUM_TRAIN" --val "$NUM_VAL" \
    --levels "$LEVELS" --seed 0
[ -f "$DATA/val_greedy_sampled.parquet" ] || \
    "$PYTHON" -m recipe.asyppo.integration.greedy_validation "$DATA/val.parquet" "$DATA/val_greedy_sampled.parquet"
AGENT_LOOPS="$("$PYTHON" -c 'from recipe.asyppo.integration.greedy_validation import AGENT_LOOP_CONFIG; print(AGENT_LOOP_CONFIG)')"

# arm_overrides ARM: print the arm's critic model, training steps and hydra overrides, one per line
arm_overrides() {
    local arm="$1" train_steps="$STEPS"
    case "$arm" in
        *_warmup) train_steps=$(( STEPS + WARMUP_STEPS )) ;;
    esac
    case "$arm" in
        asyppo|asyppo_nomask|asyppo_warmup) echo "$MODELS/critic_mini" ;;
        asyppo_deep)
            [ -f "$DEEP_MODELS/models.json" ] || "$PYTHON" -m recipe.asyppo.tools.models smollm2 --out "$DEEP_MODELS" \
                --critic-layers "$DEEP_CRITIC_LAYERS" >&2
            echo "$DEEP_MODELS/critic_mini" ;;
        ppo|ppo_warmup|grpo) echo "$MODELS/actor" ;;
        *) echo "unknown arm '$arm' (asyppo ppo grpo asyppo_nomask asyppo_warmup ppo_warmup asyppo_deep)" >&2
           return 2 ;;
    esac
    echo "$train_steps"
    case "$arm" in
        asyppo|asyppo_deep) printf '%s\n' asyppo.enable=true "asyppo.num_critics=$NUM_CRITICS" ;;
        asyppo_nomask) printf '%s\n' asyppo.enable=true "asyppo.num_critics=$NUM_CRITICS" asyppo.adv_mask=false ;;
        # the AsyPPO trainer counts trainer.critic_warmup=W as W critic-only steps
        asyppo_warmup) printf '%s\n' asyppo.enable=true "asyppo.num_critics=$NUM_CRITICS" \
                           "trainer.critic_warmup=$WARMUP_STEPS" ;;
        ppo) printf '%s\n' asyppo.enable=false algorithm.adv_estimator=gae ;;
        # stock verl 0.9.1 updates the actor from step critic_warmup on (W-1 critic-only steps): W+1 gives W
        ppo_warmup) printf '%s\n' asyppo.enable=false algorithm.adv_estimator=gae \
                        "trainer.critic_warmup=$(( WARMUP_STEPS + 1 ))" ;;
        grpo) printf '%s\n' asyppo.enable=false algorithm.adv_estimator=grpo critic.enable=false ;;
    esac
}

run_one() {
    local arm="$1" seed="$2"; shift 2
    local out="$WORK_DIR/$arm/seed$seed"
    if [ -f "$out/finished" ]; then
        echo "$arm seed $seed: already done ($out); delete it to rerun"
        return
    fi
    rm -rf "$out"
    mkdir -p "$out"
    local spec critic train_steps algo_overrides schedule
    spec="$(arm_overrides "$arm")"
    mapfile -t algo_overrides <<< "$spec"
    critic="${algo_overrides[0]}"
    train_steps="${algo_overrides[1]}"
    algo_overrides=("${algo_overrides[@]:2}")
    local warmup=0
    case "$arm" in *_warmup) warmup="$WARMUP_STEPS" ;; esac
    if [ -n "$BUDGET_S" ]; then  # the budget stop saves a checkpoint when trainer.save_freq > 0
        schedule=("budget.wall_clock_s=$BUDGET_S" "trainer.save_freq=1000")
        train_steps=1000
    else
        schedule=("trainer.save_freq=$train_steps")
    fi
    "$PYTHON" -m recipe.asyppo.tools.study start "$out" --arm "$arm" --seed "$seed" --steps "$train_steps" \
        --critic-warmup-steps "$warmup" --budget-s "${BUDGET_S:-0}" --overrides "${algo_overrides[@]}" "$@"
    local env_lines overrides
    env_lines="$("$PYTHON" -m recipe.asyppo.cpu.overrides --env --out "$out" --threads "$THREADS")"
    mapfile -t overrides < <("$PYTHON" -m recipe.asyppo.cpu.overrides --out "$out" --threads "$THREADS" \
        --steps "$train_steps" --train-batch-size "$TRAIN_BATCH_SIZE" --rollout-n "$ROLLOUT_N" \
        --max-prompt-length "$MAX_PROMPT_LENGTH" --max-response-length "$MAX_RESPONSE_LENGTH" \
        --actor "$MODELS/actor" --critic "$critic" --train "$DATA/train.parquet" \
        --val "$DATA/val_greedy_sampled.parquet")
    echo "== $arm seed $seed: ${BUDGET_S:+budget ${BUDGET_S}s, }$train_steps steps, log $out/run.log"
    (
        set -a; eval "$env_lines"; set +a
        "$PYTHON" -m recipe.asyppo.tools.proc_monitor --out "$out/peak_memory.json" -- \
            "$PYTHON" -m recipe.asyppo.main_asyppo "${overrides[@]}" "${algo_overrides[@]}" "${schedule[@]}" \
            "trainer.experiment_name=learning_${arm}_seed$seed" \
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
            "actor_rollout_ref.rollout.agent.agent_loop_config_path=$AGENT_LOOPS" \
            "++reward.custom_reward_function.reward_kwargs.plain_number=true" \
            "trainer.validation_data_dir=$out/val_generations" \
            "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]" \
            "data.seed=$seed" "actor_rollout_ref.rollout.seed=$seed" \
            "actor_rollout_ref.actor.data_loader_seed=$seed" "critic.data_loader_seed=$seed" \
            "actor_rollout_ref.actor.fsdp_config.seed=$seed" "critic.fsdp.seed=$seed" \
            "$@" > "$out/run.log" 2>&1
    ) || { echo "$arm seed $seed failed; end of $out/run.log:" >&2; tail -40 "$out/run.log" >&2; exit 1; }
    "$PYTHON" -m recipe.asyppo.tools.study finish "$out" >> "$out/run.log" 2>&1 \
        || { echo "$arm seed $seed: export failed; end of $out/run.log:" >&2; tail -20 "$out/run.log" >&2; exit 1; }
    touch "$out/finished"
    "$PYTHON" -m recipe.asyppo.tools.study collect "$WORK_DIR"
    "$PYTHON" -m recipe.asyppo.tools.learning_report "$WORK_DIR/cpu_study.csv" > /dev/null
}

start=$(date +%s)
for (( seed = 0; seed < SEEDS; seed++ )); do
    for arm in $ARMS; do
        run_one "$arm" "$seed" "$@"
    done
done
"$PYTHON" -m recipe.asyppo.tools.study collect "$WORK_DIR"
"$PYTHON" -m recipe.asyppo.tools.learning_report "$WORK_DIR/cpu_study.csv"
echo "done in $(( $(date +%s) - start )) s: $WORK_DIR/cpu_study.csv, $WORK_DIR/learning.md, $WORK_DIR/learning.png"
