"""Turn the cost model's numbers for several setups into one comparison table (markdown) or a JSON-ready dict."""

from __future__ import annotations

from recipe.asyppo.tools.cost.model import (
    GIB,
    Card,
    Setup,
    StepShape,
    flops_per_step,
    headroom,
    memory_per_gpu,
    param_count,
)

PFLOP = 1e15

# (row label, section, key, unit divisor)
_ROWS = (
    ("actor parameters (B)", "params", "actor", 1e9),
    ("critic parameters, all critics (B)", "params", "critics", 1e9),
    ("actor states / GPU (GiB)", "memory", "actor_states", GIB),
    ("critic states / GPU (GiB)", "memory", "critic_states", GIB),
    ("reference weights / GPU (GiB)", "memory", "ref_weights", GIB),
    ("actor activations / GPU (GiB)", "memory", "actor_activations", GIB),
    ("critic activations / GPU (GiB)", "memory", "critic_activations", GIB),
    ("AdamW step transient, largest model / GPU (GiB)", "memory", "optimizer_transient", GIB),
    ("critic memory / GPU: states + activations (GiB)", "memory", "critic_total", GIB),
    ("peak training memory / GPU (GiB)", "memory", "peak", GIB),
    ("rollout generation (PFLOP)", "flops", "rollout", PFLOP),
    ("actor old log-probs (PFLOP)", "flops", "actor_old_logprob", PFLOP),
    ("reference log-probs (PFLOP)", "flops", "ref_logprob", PFLOP),
    ("critic value passes (PFLOP)", "flops", "critic_values", PFLOP),
    ("critic updates (PFLOP)", "flops", "critic_update", PFLOP),
    ("critic total (PFLOP)", "flops", "critic_total", PFLOP),
    ("actor update (PFLOP)", "flops", "actor_update", PFLOP),
    ("training total, excl. rollout (PFLOP)", "flops", "training", PFLOP),
    ("step total, incl. rollout (PFLOP)", "flops", "step", PFLOP),
)
_HEADROOM_ROWS = (
    ("rollout phase: training states + vLLM + CUDA contexts / GPU (GiB)", "headroom", "rollout_phase", GIB),
    ("training phase: peak + CUDA contexts / GPU (GiB)", "headroom", "training_phase", GIB),
    ("free on the card, worse phase (%)", "headroom", "free_fraction", 0.01),
)


def costs(setup: Setup, shape: StepShape, card: Card | None = None) -> dict[str, dict[str, float]]:
    """All numbers for one setup: ``params`` (counts), ``memory`` (bytes per GPU), ``flops`` (per step) and, with a
    ``card``, ``headroom`` (:func:`~recipe.asyppo.tools.cost.model.headroom`)."""
    memory = memory_per_gpu(setup, shape)
    memory["critic_total"] = memory["critic_states"] + memory["critic_activations"]
    flops = flops_per_step(setup, shape)
    flops["critic_total"] = flops["critic_values"] + flops["critic_update"]
    params = {
        "actor": float(param_count(setup.actor, "lm")),
        "critics": float(sum(param_count(critic, "value") for critic in setup.critics)),
    }
    result = {"params": params, "memory": memory, "flops": flops}
    if card is not None:
        result["headroom"] = headroom(setup, shape, card)
    return result


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def render_markdown(setups: list[Setup], shape: StepShape, card: Card | None = None) -> str:
    """A markdown table: one row per quantity, one column per setup, and ``first/second`` ratios of the first two;
    with a ``card``, the memory in use in each phase and the share of the card left free."""
    results = [costs(setup, shape, card) for setup in setups]
    ratio_name = f"{setups[0].name}/{setups[1].name}" if len(setups) > 1 else None
    header = ["quantity", *(setup.name for setup in setups), *([ratio_name] if ratio_name else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, section, key, divisor in _ROWS + (_HEADROOM_ROWS if card is not None else ()):
        values = [result[section][key] for result in results]
        cells = [label, *(f"{value / divisor:.2f}" for value in values)]
        if ratio_name:
            cells.append(_ratio(values[0], values[1]) if key != "free_fraction" else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
