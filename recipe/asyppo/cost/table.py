"""Turn the cost model's numbers for several setups into one comparison table (markdown) or a JSON-ready dict."""

from __future__ import annotations

from recipe.asyppo.cost.model import GIB, Setup, StepShape, flops_per_step, memory_per_gpu, param_count

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


def costs(setup: Setup, shape: StepShape) -> dict[str, dict[str, float]]:
    """All numbers for one setup: ``params`` (counts), ``memory`` (bytes per GPU), ``flops`` (per step)."""
    memory = memory_per_gpu(setup, shape)
    memory["critic_total"] = memory["critic_states"] + memory["critic_activations"]
    flops = flops_per_step(setup, shape)
    flops["critic_total"] = flops["critic_values"] + flops["critic_update"]
    params = {
        "actor": float(param_count(setup.actor, "lm")),
        "critics": float(sum(param_count(critic, "value") for critic in setup.critics)),
    }
    return {"params": params, "memory": memory, "flops": flops}


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def render_markdown(setups: list[Setup], shape: StepShape) -> str:
    """A markdown table: one row per quantity, one column per setup, and ``first/second`` ratios of the first two."""
    results = [costs(setup, shape) for setup in setups]
    ratio_name = f"{setups[0].name}/{setups[1].name}" if len(setups) > 1 else None
    header = ["quantity", *(setup.name for setup in setups), *([ratio_name] if ratio_name else [])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, section, key, divisor in _ROWS:
        values = [result[section][key] for result in results]
        cells = [label, *(f"{value / divisor:.2f}" for value in values)]
        if ratio_name:
            cells.append(_ratio(values[0], values[1]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
