"""Per-step AsyPPO metrics as pure functions returning ``{name: float}`` for verl's logger.

Names (all under ``asyppo/``): ``critic_{i}/vf_loss``, ``critic_{i}/explained_var``, ``critic_{i}/value_mean`` ...
for each critic; ``ensemble/explained_var`` and ``ensemble/value_mean``; ``std/mean``, ``std/p10|p50|p90`` and
``std/tie_fraction`` (share of tokens whose std equals another token's: ties the masks must break by seed);
``adv_mask/fraction``, ``entropy_filter/fraction`` and their ``degenerate`` flags (1.0 on a step whose std values
were all equal, so nothing was selected; summed over steps they count degenerate steps); ``entropy/kept_mean`` and
``entropy/filtered_mean``. Statistics run over ``valid``: (B, T) bool, the response tokens of real samples.
"""

from __future__ import annotations

import torch
from torch import Tensor

from recipe.asyppo.core.algorithm import QuantileMask
from recipe.asyppo.core.token_classes import TOKEN_CLASSES

PREFIX = "asyppo"
STD_PERCENTILES = (10, 50, 90)


def explained_variance(values: Tensor, returns: Tensor, valid: Tensor) -> float:
    """1 - Var(returns - values) / Var(returns) over ``valid`` tokens (population variances); NaN if Var = 0.

    Args:
        values: (B, T) predicted values.
        returns: (B, T) regression targets.
        valid: (B, T) bool.
    """
    target = returns[valid].double()
    residual = target - values[valid].double()
    variance = target.var(correction=0) if target.numel() else torch.tensor(float("nan"))
    if target.numel() == 0 or float(variance) == 0.0:
        return float("nan")
    return float(1.0 - residual.var(correction=0) / variance)


def masked_mean(x: Tensor, valid: Tensor) -> float:
    """Mean of ``x`` over ``valid`` entries; NaN when there are none."""
    selected = x[valid].double()
    return float(selected.mean()) if selected.numel() else float("nan")


def critic_value_metrics(critic_values: Tensor, returns: Tensor, valid: Tensor) -> dict[str, float]:
    """Explained variance and mean of each critic's values and of their ensemble.

    Args:
        critic_values: (M, B, T) old values of the M critics (before this step's critic update).
        returns: (B, T) the critics' targets.
        valid: (B, T) bool.
    """
    metrics: dict[str, float] = {}
    for index, values in enumerate(critic_values):
        metrics[f"{PREFIX}/critic_{index}/explained_var"] = explained_variance(values, returns, valid)
        metrics[f"{PREFIX}/critic_{index}/value_mean"] = masked_mean(values, valid)
    return metrics


def ensemble_metrics(values: Tensor, returns: Tensor, valid: Tensor) -> dict[str, float]:
    """Explained variance and mean of the ensemble value ``values`` (B, T) against ``returns`` (B, T)."""
    return {
        f"{PREFIX}/ensemble/explained_var": explained_variance(values, returns, valid),
        f"{PREFIX}/ensemble/value_mean": masked_mean(values, valid),
    }


def std_metrics(std: Tensor, valid: Tensor) -> dict[str, float]:
    """Mean, 10th/50th/90th percentiles (linear interpolation) and tie fraction of the critic std ``std`` (B, T).

    The tie fraction is the share of valid tokens whose std value (exactly, in its own dtype) is also another valid
    token's: bf16 values give many, float32 value heads almost none.
    """
    selected = std[valid]
    names = ("mean", *(f"p{p}" for p in STD_PERCENTILES), "tie_fraction")
    if selected.numel() == 0:
        return {f"{PREFIX}/std/{name}": float("nan") for name in names}
    counts = torch.unique(selected, return_counts=True)[1]
    selected = selected.double()
    quantiles = torch.quantile(selected, torch.tensor([p / 100 for p in STD_PERCENTILES], dtype=torch.float64))
    metrics = {f"{PREFIX}/std/mean": float(selected.mean()),
               f"{PREFIX}/std/tie_fraction": float(counts[counts > 1].sum()) / selected.numel()}
    metrics.update({f"{PREFIX}/std/p{p}": float(q) for p, q in zip(STD_PERCENTILES, quantiles, strict=True)})
    return metrics


def quantile_mask_metrics(name: str, selection: QuantileMask) -> dict[str, float]:
    """Fraction of valid tokens selected by a std mask and its degenerate flag, under ``asyppo/{name}/``."""
    fraction = selection.num_selected / selection.num_valid if selection.num_valid else 0.0
    return {
        f"{PREFIX}/{name}/fraction": float(fraction),
        f"{PREFIX}/{name}/degenerate": float(selection.degenerate),
    }


def entropy_split_metrics(entropy: Tensor, valid: Tensor, filtered: Tensor) -> dict[str, float]:
    """Mean token entropy of the actor (at rollout-batch time) on kept vs entropy-filtered tokens.

    Args:
        entropy: (B, T) per-token entropy.
        valid: (B, T) bool.
        filtered: (B, T) bool, True on tokens left out of the entropy bonus.
    """
    return {
        f"{PREFIX}/entropy/kept_mean": masked_mean(entropy, valid & ~filtered),
        f"{PREFIX}/entropy/filtered_mean": masked_mean(entropy, valid & filtered),
    }


def critic_update_metrics(critic_index: int, reduced: dict[str, float], num_samples: int,
                          seconds: float) -> dict[str, float]:
    """One critic's update metrics from verl's reduced ``train_mini_batch`` output, renamed under
    ``asyppo/critic_{i}/`` (``critic/vf_loss`` -> ``asyppo/critic_{i}/vf_loss``, ``perf/...`` kept as a suffix),
    plus the size of its shard and the wall time of its update."""
    prefix = f"{PREFIX}/critic_{critic_index}"
    metrics = {f"{prefix}/{key.removeprefix('critic/')}": float(value) for key, value in reduced.items()}
    metrics[f"{prefix}/num_samples"] = float(num_samples)
    metrics[f"{prefix}/update_time_s"] = float(seconds)
    return metrics


def std_error_metrics(std: Tensor, values: Tensor, returns: Tensor, valid: Tensor,
                      adv_masked: Tensor) -> dict[str, float]:
    """Does sigma predict the ensemble's error? Pearson correlation of sigma_t with |V_t - R_t| over ``valid``
    tokens, and the mean |V_t - R_t| on advantage-masked vs kept tokens (NaN where a set is empty).

    Args:
        std: (B, T) critic std sigma.
        values: (B, T) ensemble value.
        returns: (B, T) the critics' targets R_t.
        valid: (B, T) bool.
        adv_masked: (B, T) bool, the advantage mask (lowest sigma).
    """
    error = (values.double() - returns.double()).abs()
    sigma, err = std[valid].double(), error[valid]
    if sigma.numel() < 2 or float(sigma.std()) == 0.0 or float(err.std()) == 0.0:
        correlation = float("nan")
    else:
        correlation = float(torch.corrcoef(torch.stack([sigma, err]))[0, 1])
    return {
        f"{PREFIX}/std/error_corr": correlation,
        f"{PREFIX}/adv_mask/abs_error_masked": masked_mean(error, valid & adv_masked),
        f"{PREFIX}/adv_mask/abs_error_kept": masked_mean(error, valid & ~adv_masked),
    }


def mask_composition_metrics(name: str, mask: Tensor, valid: Tensor, token_class: Tensor) -> dict[str, float]:
    """What a sigma mask removes, by token class and by position in the response.

    Under ``asyppo/{name}/``: ``share_<class>`` (share of the masked tokens in each class of
    :data:`recipe.asyppo.core.token_classes.TOKEN_CLASSES`) and ``rate_first|rate_middle|rate_last`` (fraction of the
    valid tokens at the first response position, the last valid position of each response, and in between, that
    the mask selects); under ``asyppo/tokens/``: ``share_<class>`` of all valid tokens, the baseline to compare with.

    Args:
        mask: (B, T) bool, the tokens the mask selects.
        valid: (B, T) bool, left-aligned response tokens of real samples.
        token_class: (B, T) int64, an index into ``TOKEN_CLASSES`` per token.
    """
    selected = mask & valid
    metrics: dict[str, float] = {}
    for index, cls in enumerate(TOKEN_CLASSES):
        in_class = token_class == index
        metrics[f"{PREFIX}/{name}/share_{cls}"] = _share(selected & in_class, selected)
        metrics[f"{PREFIX}/tokens/share_{cls}"] = _share(valid & in_class, valid)
    lengths = valid.long().sum(dim=1, keepdim=True)
    position = torch.arange(valid.shape[1], device=valid.device)[None, :]
    first = valid & (position == 0)
    last = valid & (position == lengths - 1) & ~first
    middle = valid & ~first & ~last
    for where, at in (("first", first), ("middle", middle), ("last", last)):
        metrics[f"{PREFIX}/{name}/rate_{where}"] = _share(selected & at, at)
    return metrics


def _share(part: Tensor, whole: Tensor) -> float:
    total = int(whole.sum())
    return float(int(part.sum()) / total) if total else float("nan")
