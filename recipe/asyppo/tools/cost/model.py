"""Analytic cost of one RL step: parameters, per-GPU training memory and FLOPs for AsyPPO, symmetric PPO and GRPO.

Every number comes from the model shapes (:class:`~recipe.asyppo.tools.cost.facts.ModelFacts`) and the step shape
(:class:`StepShape`) under the assumptions below, which mirror verl 0.9's FSDP defaults as the launch scripts set them.

Memory (bytes, per GPU, training phase):
    * Trainable model (actor, every critic): fp32 master weights 4 B + fp32 gradients 4 B + AdamW m and v in fp32
      8 B = ``TRAIN_STATE_BYTES`` = 16 B per parameter, fully sharded over all GPUs (FSDP, ``model_dtype: fp32``), and
      resident for the whole step (no parameter/optimizer offload).
    * Reference policy (only with a KL term): fp32 weights, ``REF_STATE_BYTES`` = 4 B per parameter, sharded.
    * Activations of the model being trained, for one micro-batch of ``tokens_per_gpu`` tokens (dynamic batch size,
      padding removed), bf16, full per-layer gradient checkpointing, FlashAttention (no sequence^2 term):
      the checkpointed layer inputs ``2 * hidden * layers`` B/token, plus the recomputed working set of one layer
      during backward, taken as twice its forward activations ``2 * 2 * (4*hidden + 2*q_dim + 2*kv_dim +
      4*intermediate)`` B/token, plus the output head: an LM head materialises fp32 logits and their gradient,
      ``8 * vocab`` B/token; a value head ``8`` B/token.
    * AdamW step transient: ``OPTIMIZER_TEMP_BYTES`` = 4 B per parameter of the model being stepped (the fp32
      ``sqrt(v)`` buffer of torch's foreach AdamW), sharded; it occurs after backward, when activations are freed.
    * Peak = all resident states + the largest of the actor's and one critic's activation peak and optimizer-step
      transient (models train one after another). Not counted: the rollout engine (vLLM sleeps during training,
      ``free_cache_engine``), FSDP's transient unsharded layer, allocator fragmentation, CUDA context (roughly
      1-3 GiB per GPU in practice).

Headroom on one GPU (:func:`headroom`), for the colocated run the launch scripts start (actor, critics and vLLM on
every GPU, no parameter or optimizer offload):
    * rollout phase: the training states stay resident (``actor_states + critic_states + ref_weights``) while the
      awake vLLM engine takes ``gpu_memory_utilization`` of the card (vLLM sizes its weights, activations and KV cache
      to that share of the total), plus ``Card.other_gib`` (CUDA contexts of the training and vLLM processes);
    * training phase: the training peak above plus ``other_gib`` (vLLM asleep: weights offloaded to CPU, KV cache
      freed, verl's ``free_cache_engine``);
    * free: the card minus the larger of the two, as a fraction of the card.

FLOPs per step (T = sequences x (prompt + response) tokens; N = parameters):
    * training pass: ``6 * N * T`` (forward + backward), times ``ppo_epochs``; a critic in AsyPPO trains on its shard
      only (``T / M`` tokens). Gradient-checkpoint recompute (+``2 * N * T``) and attention-score FLOPs are not
      included, so real GPU work is roughly 1.3-1.5x these numbers for every algorithm alike.
    * forward-only pass: ``2 * N * T``: actor old log-probs, reference log-probs (with KL only), and every critic's
      value pass over the whole batch (each mini-critic predicts values for all tokens).
    * rollout generation: ``2 * N_actor * T`` (prefill + decode, no prefix-cache savings), shown separately; it is
      the same for all three algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass

from recipe.asyppo.tools.cost.facts import ModelFacts

TRAIN_STATE_BYTES = 16
REF_STATE_BYTES = 4
OPTIMIZER_TEMP_BYTES = 4
GIB = 1024**3
CARD_80GB_GIB = 79.6  # total memory torch reports for an H100 80GB (an A100 80GB reports 79.2)
OTHER_GIB = 2.0  # CUDA contexts of the training process and the vLLM worker, vLLM's residue while asleep


@dataclass(frozen=True)
class StepShape:
    """What one RL step processes, and on how many GPUs.

    Attributes:
        prompts: prompts per step (``data.train_batch_size``).
        group_size: responses per prompt (``actor_rollout_ref.rollout.n``).
        prompt_len: mean prompt length in tokens.
        response_len: mean response length in tokens.
        gpus: GPUs holding the colocated actor, critics and rollout (``n_gpus_per_node * nnodes``).
        actor_tokens_per_gpu: actor micro-batch token budget (``actor.ppo_max_token_len_per_gpu``).
        critic_tokens_per_gpu: critic micro-batch token budget (``critic.ppo_max_token_len_per_gpu``).
        ppo_epochs: passes over each rollout batch (``ppo_epochs``).
        use_ref: a reference policy is loaded (KL loss or KL in reward).
    """

    prompts: int
    group_size: int
    prompt_len: int
    response_len: int
    gpus: int
    actor_tokens_per_gpu: int
    critic_tokens_per_gpu: int
    ppo_epochs: int = 1
    use_ref: bool = False

    @property
    def tokens(self) -> int:
        """Prompt plus response tokens of all sequences in one step."""
        return self.prompts * self.group_size * (self.prompt_len + self.response_len)


@dataclass(frozen=True)
class Card:
    """One GPU and the share of it the rollout engine takes.

    Attributes:
        memory_gib: total memory of the card (GiB, as ``torch.cuda.get_device_properties`` reports it).
        rollout_fraction: vLLM's ``gpu_memory_utilization`` (``actor_rollout_ref.rollout.gpu_memory_utilization``).
        other_gib: memory outside the model: CUDA contexts, vLLM's residue while asleep.
    """

    memory_gib: float = CARD_80GB_GIB
    rollout_fraction: float = 0.5
    other_gib: float = OTHER_GIB


@dataclass(frozen=True)
class Setup:
    """One algorithm's models.

    Attributes:
        name: label for the table ("AsyPPO", "PPO", "GRPO").
        actor: the policy.
        critics: the value models (empty for GRPO).
        critic_shard: fraction of the batch each critic trains on (1/M for AsyPPO, 1 for PPO).
    """

    name: str
    actor: ModelFacts
    critics: tuple[ModelFacts, ...]
    critic_shard: float


def param_count(facts: ModelFacts, head: str) -> int:
    """Parameters of the causal LM (``head="lm"``) or of the value model (``head="value"``: no LM head, a
    ``Linear(hidden, 1)`` score head with bias, as ``AutoModelForTokenClassification`` with one label builds it)."""
    if head not in ("lm", "value"):
        raise ValueError(f"head must be 'lm' or 'value', got {head!r}")
    h = facts.hidden_size
    attention = h * facts.q_dim + 2 * h * facts.kv_dim + facts.q_dim * h
    if facts.attention_bias:
        attention += facts.q_dim + 2 * facts.kv_dim
    if facts.qk_norm:
        attention += 2 * facts.head_dim
    mlp = 3 * h * facts.intermediate_size
    layer = attention + mlp + 2 * h
    embedding = facts.vocab_size * h
    body = embedding + facts.num_layers * layer + h
    if head == "value":
        return body + h + 1
    return body + (0 if facts.tie_embeddings else embedding)


def activation_bytes_per_token(facts: ModelFacts, head: str) -> int:
    """Training activation bytes per micro-batch token (bf16, full gradient checkpointing); see the module doc."""
    h = facts.hidden_size
    checkpoints = 2 * h * facts.num_layers
    layer_forward = 4 * h + 2 * facts.q_dim + 2 * facts.kv_dim + 4 * facts.intermediate_size
    recompute = 2 * 2 * layer_forward
    head_bytes = 8 * facts.vocab_size if head == "lm" else 8
    return checkpoints + recompute + head_bytes


def memory_per_gpu(setup: Setup, shape: StepShape) -> dict[str, float]:
    """Per-GPU training-phase memory in bytes.

    Returns:
        ``actor_states``, ``critic_states``, ``ref_weights``, ``actor_activations``, ``critic_activations``
        (one critic's micro-batch), ``optimizer_transient`` (the largest model's AdamW step), ``peak`` (states + the
        largest transient).
    """
    actor_params = param_count(setup.actor, "lm")
    critic_params = sum(param_count(critic, "value") for critic in setup.critics)
    actor_activations = shape.actor_tokens_per_gpu * activation_bytes_per_token(setup.actor, "lm")
    critic_activations = max(
        (shape.critic_tokens_per_gpu * activation_bytes_per_token(critic, "value") for critic in setup.critics),
        default=0,
    )
    largest_params = max([actor_params, *(param_count(critic, "value") for critic in setup.critics)])
    memory = {
        "actor_states": TRAIN_STATE_BYTES * actor_params / shape.gpus,
        "critic_states": TRAIN_STATE_BYTES * critic_params / shape.gpus,
        "ref_weights": REF_STATE_BYTES * actor_params / shape.gpus if shape.use_ref else 0.0,
        "actor_activations": float(actor_activations),
        "critic_activations": float(critic_activations),
        "optimizer_transient": OPTIMIZER_TEMP_BYTES * largest_params / shape.gpus,
    }
    memory["peak"] = (
        memory["actor_states"]
        + memory["critic_states"]
        + memory["ref_weights"]
        + max(memory["actor_activations"], memory["critic_activations"], memory["optimizer_transient"])
    )
    return memory


def headroom(setup: Setup, shape: StepShape, card: Card) -> dict[str, float]:
    """Memory in use on one GPU in the rollout and training phases of a step and the share of the card left free.

    Returns:
        ``card``, ``rollout_phase``, ``training_phase`` (bytes) and ``free_fraction`` (the card minus the larger
        phase, over the card; negative when the estimate does not fit).
    """
    memory = memory_per_gpu(setup, shape)
    total = card.memory_gib * GIB
    resident = memory["actor_states"] + memory["critic_states"] + memory["ref_weights"]
    rollout = resident + card.rollout_fraction * total + card.other_gib * GIB
    training = memory["peak"] + card.other_gib * GIB
    return {"card": total, "rollout_phase": rollout, "training_phase": training,
            "free_fraction": (total - max(rollout, training)) / total}


def critic_memory_per_gpu(setup: Setup, shape: StepShape) -> dict[str, float]:
    """Per-GPU memory of the critics alone (the actor not loaded), in bytes, under the assumptions above.

    What a critic-only measurement (``benchmarks/gpu_critic_bench.py``) holds: every critic's training states,
    plus the larger of one critic micro-batch's activations and the largest critic's AdamW step buffer.

    Returns:
        ``states`` (all critics), ``activations`` (one critic's micro-batch), ``optimizer_transient``, ``peak``.
    """
    critic_params = [param_count(critic, "value") for critic in setup.critics]
    memory = {
        "states": TRAIN_STATE_BYTES * sum(critic_params) / shape.gpus,
        "activations": float(max(
            (shape.critic_tokens_per_gpu * activation_bytes_per_token(critic, "value") for critic in setup.critics),
            default=0,
        )),
        "optimizer_transient": OPTIMIZER_TEMP_BYTES * max(critic_params, default=0) / shape.gpus,
    }
    memory["peak"] = memory["states"] + max(memory["activations"], memory["optimizer_transient"])
    return memory


def flops_per_step(setup: Setup, shape: StepShape) -> dict[str, float]:
    """FLOPs of one step, by phase; see the module doc.

    Returns:
        ``rollout``, ``actor_old_logprob``, ``ref_logprob``, ``critic_values``, ``critic_update``, ``actor_update``
        ``training`` (everything except rollout) and ``step`` (training + rollout).
    """
    tokens = shape.tokens
    actor_params = param_count(setup.actor, "lm")
    critic_params = [param_count(critic, "value") for critic in setup.critics]
    flops = {
        "rollout": 2.0 * actor_params * tokens,
        "actor_old_logprob": 2.0 * actor_params * tokens,
        "ref_logprob": 2.0 * actor_params * tokens if shape.use_ref else 0.0,
        "critic_values": sum(2.0 * n * tokens for n in critic_params),
        "critic_update": sum(6.0 * n * tokens * setup.critic_shard * shape.ppo_epochs for n in critic_params),
        "actor_update": 6.0 * actor_params * tokens * shape.ppo_epochs,
    }
    flops["training"] = sum(value for key, value in flops.items() if key != "rollout")
    flops["step"] = flops["training"] + flops["rollout"]
    return flops
