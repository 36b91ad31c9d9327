"""The AsyPPO rules as pure tensor functions (arXiv 2510.01656).

One actor, M mini-critics. Every critic predicts a value for every response token; the trainer stacks them into
``critic_values: (M, B, T)`` and calls, in the order of the paper's Algorithm 1:

1. :func:`ensemble_value` -- V_t, the mean (or min) over critics; GAE runs on it.
2. :func:`critic_std` -- sigma_t, the per-token population std across critics (the critics' disagreement).
3. :func:`compute_asyppo_advantages` -- GAE advantages (lambda_actor, whitened) and critic returns (lambda_critic).
4. :func:`lowest_std_mask` -- tokens whose advantage is set to 0 (lowest ``adv_mask_ratio`` of sigma).
5. :func:`highest_std_mask` -- tokens left out of the entropy bonus (highest ``entropy_filter_ratio`` of sigma).
6. :func:`critic_shard_ids` -- which critic trains on which sample (disjoint shards of the batch).

Shapes: ``B`` samples (rows) of ``T`` response positions. ``response_mask: (B, T)`` is 1/True on valid response
tokens; ``sample_mask: (B,)`` is False for padding samples (verl's ``_balance_batch`` adds them, tagged
``is_padding``): they never enter a statistic or a mask. Critic values may arrive in bf16 (verl's critic engine
returns the model dtype); the ensemble, sigma, GAE, advantages and returns are computed in float32 (float64 inputs
stay float64). No verl or ray import here (the GPU check imports this module alone); the tests compare with verl.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

AGGREGATIONS = ("mean", "min")
SHARD_MODES = ("response", "prompt")
GAE_BLOCK_SIZE = 128
_COUNT_SLACK = 1e-9  # tokens; see _std_quantile_mask


# --------------------------------------------------------------------------------------------------- input checks
def _as_bool_mask(mask: Tensor, name: str) -> Tensor:
    """``mask`` as a bool tensor; a non-bool mask must hold only 0 and 1."""
    if mask.dtype == torch.bool:
        return mask
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"{name} must hold only 0 and 1 (or be bool); got other values")
    return mask != 0


def _valid_tokens(response_mask: Tensor, sample_mask: Tensor | None, shape: torch.Size) -> Tensor:
    """(B, T) bool: valid response tokens of real (non-padding) samples."""
    if response_mask.shape != shape:
        raise ValueError(f"response_mask has shape {tuple(response_mask.shape)}, expected {tuple(shape)}")
    valid = _as_bool_mask(response_mask, "response_mask")
    if sample_mask is None:
        return valid
    if sample_mask.shape != shape[:1]:
        raise ValueError(f"sample_mask has shape {tuple(sample_mask.shape)}, expected ({shape[0]},)")
    return valid & _as_bool_mask(sample_mask, "sample_mask")[:, None]


def _check_critic_values(critic_values: Tensor) -> None:
    if critic_values.ndim != 3 or critic_values.shape[0] < 1:
        raise ValueError(
            f"critic_values must have shape (num_critics >= 1, batch, response_len); got {tuple(critic_values.shape)}"
        )


def _at_least_float32(values: Tensor) -> Tensor:
    """``values`` cast to float32 unless already float32 or float64 (bf16/fp16 critic outputs are cast up)."""
    return values if values.dtype in (torch.float32, torch.float64) else values.float()


def _check_unit_interval(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; got {value}")


# ------------------------------------------------------------------------------------------------ ensemble and sigma
def ensemble_value(critic_values: Tensor, aggregation: str = "mean") -> Tensor:
    """The ensemble value V_t that GAE uses.

    Args:
        critic_values: (M, B, T) values of the M critics.
        aggregation: ``"mean"`` (the paper: V_t = 1/M sum_i V_t^i) or ``"min"`` (a pessimistic ensemble).

    Returns:
        (B, T) ensemble value, float32 (float64 if ``critic_values`` is float64).
    """
    _check_critic_values(critic_values)
    critic_values = _at_least_float32(critic_values)
    if aggregation == "mean":
        return critic_values.mean(dim=0)
    if aggregation == "min":
        return critic_values.min(dim=0).values
    raise ValueError(f"aggregation (asyppo.value_aggregation) must be one of {AGGREGATIONS}; got {aggregation!r}")


def critic_std(critic_values: Tensor) -> Tensor:
    """sigma_t: the per-token population standard deviation across critics (correction 0).

    Args:
        critic_values: (M, B, T) values of the M critics.

    Returns:
        (B, T) std, float32 (float64 if ``critic_values`` is float64); all zeros when M == 1.
    """
    _check_critic_values(critic_values)
    critic_values = _at_least_float32(critic_values)
    if critic_values.shape[0] == 1:
        return torch.zeros_like(critic_values[0])
    return critic_values.std(dim=0, correction=0)


# ------------------------------------------------------------------------------------------------------ std masks
@dataclass
class QuantileMask:
    """Tokens picked by their critic std.

    Attributes:
        mask: (B, T) bool, True on the selected tokens; always False on invalid tokens and padding samples.
        num_selected: number of True entries, ``floor(ratio * num_valid)`` unless degenerate.
        num_valid: valid response tokens of real samples in the batch (the population ranked).
        degenerate: all valid std values lie within ``equal_tol`` of each other (e.g. identical critics at step
            one), so no ranking exists and nothing is selected. False when there are no valid tokens.
    """

    mask: Tensor
    num_selected: int
    num_valid: int
    degenerate: bool


def _std_quantile_mask(
    std: Tensor,
    response_mask: Tensor,
    ratio: float,
    sample_mask: Tensor | None,
    equal_tol: float,
    highest: bool,
    name: str,
    seed: int,
) -> QuantileMask:
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {ratio}")
    if equal_tol < 0:
        raise ValueError(f"equal_tol must be >= 0; got {equal_tol}")
    if std.ndim != 2:
        raise ValueError(f"std must have shape (batch, response_len); got {tuple(std.shape)}")
    valid = _valid_tokens(response_mask, sample_mask, std.shape)
    valid_std = std[valid]  # row-major order, so position in it follows the flat (B, T) index
    num_valid = valid_std.numel()
    if not bool(torch.isfinite(valid_std).all()):
        raise ValueError("std holds NaN or inf on valid response tokens")
    mask = torch.zeros_like(valid)
    degenerate = num_valid > 0 and float(valid_std.max() - valid_std.min()) <= equal_tol
    # The slack absorbs binary rounding below an integer: 0.29 * 100 (28.999999999999996) selects 29 and 1/3 of 3
    # tokens selects 1 (the decimal 0.3333333333333333 times 3 is just below 1). It is far above float64's error
    # on ratio * n for any batch that fits in memory and far below a whole token.
    num_selected = math.floor(float(ratio) * num_valid + _COUNT_SLACK)
    if degenerate or num_selected == 0:
        return QuantileMask(mask=mask, num_selected=0, num_valid=num_valid, degenerate=degenerate)
    # Ties: a stable sort of a seeded random shuffle ranks equal std values in random order, so which of the tied
    # tokens at the threshold are selected does not depend on their position in the batch. The shuffle is drawn on
    # the CPU (the same order on every device) and moved to the device of ``std``.
    shuffle = torch.randperm(num_valid, generator=torch.Generator().manual_seed(seed)).to(valid_std.device)
    ranked = torch.sort(valid_std[shuffle], descending=highest, stable=True).indices[:num_selected]
    order = shuffle[ranked]
    flat_index = valid.flatten().nonzero().squeeze(1)
    mask.view(-1)[flat_index[order]] = True
    return QuantileMask(mask=mask, num_selected=num_selected, num_valid=num_valid, degenerate=False)


def lowest_std_mask(
    std: Tensor,
    response_mask: Tensor,
    ratio: float,
    sample_mask: Tensor | None = None,
    equal_tol: float = 1e-6,
    *,
    name: str = "ratio",
    seed: int = 0,
) -> QuantileMask:
    """Advantage masking: the ``floor(ratio * n_valid)`` valid tokens of the batch with the lowest sigma.

    The ranking runs over every valid response token of every real sample in the batch at once. Ties are broken
    at random: among equal std values the order is a random permutation drawn from ``seed`` (the trainer passes
    :func:`tie_break_seed` of ``asyppo.tie_break_seed`` and the global step), so tied tokens at the threshold are
    selected without regard to their sample or position, and the same seed selects the same tokens. When all
    valid std values are within ``equal_tol`` of each other, nothing is selected and ``degenerate`` is True.

    Args:
        std: (B, T) critic std sigma_t (see :func:`critic_std`).
        response_mask: (B, T) 1/True on valid response tokens.
        ratio: fraction in [0, 1) to select (``asyppo.adv_mask_ratio``, default 0.2, our choice).
        sample_mask: (B,) False for padding samples; None means all samples are real.
        equal_tol: max - min spread at or below which the std values count as all equal.
        name: the config key named in errors.
        seed: seed of the random order among tied std values.

    Returns:
        :class:`QuantileMask` whose ``mask`` marks the tokens whose advantage is set to 0.
    """
    return _std_quantile_mask(std, response_mask, ratio, sample_mask, equal_tol, highest=False, name=name, seed=seed)


def highest_std_mask(
    std: Tensor,
    response_mask: Tensor,
    ratio: float,
    sample_mask: Tensor | None = None,
    equal_tol: float = 1e-6,
    *,
    name: str = "ratio",
    seed: int = 0,
) -> QuantileMask:
    """Entropy filtering: the ``floor(ratio * n_valid)`` valid tokens of the batch with the highest sigma.

    Same population, seeded random tie-break and degenerate rule as :func:`lowest_std_mask`.

    Args:
        std: (B, T) critic std sigma_t.
        response_mask: (B, T) 1/True on valid response tokens.
        ratio: fraction in [0, 1) to select (``asyppo.entropy_filter_ratio``, default 0.2, our choice).
        sample_mask: (B,) False for padding samples; None means all samples are real.
        equal_tol: max - min spread at or below which the std values count as all equal.
        name: the config key named in errors.
        seed: seed of the random order among tied std values.

    Returns:
        :class:`QuantileMask` whose ``mask`` marks the tokens left out of the entropy bonus.
    """
    return _std_quantile_mask(std, response_mask, ratio, sample_mask, equal_tol, highest=True, name=name, seed=seed)


def tie_break_seed(base_seed: int, step: int) -> int:
    """The mask seed of one training step: a fixed mix of ``asyppo.tie_break_seed`` and the global step, so each
    step draws a fresh tie order and a rerun of the same step draws the same one."""
    return (int(base_seed) * 1_000_003 + int(step)) % 2**63


# ---------------------------------------------------------------------------------------------------- critic shards
def _group_ids(prompt_ids: Sequence[Hashable] | Tensor, real: Tensor) -> tuple[Tensor, list[Hashable]]:
    """(B,) long: index of each real sample's prompt in order of first appearance (-1 for padding); the prompts."""
    group_of: dict[Hashable, int] = {}
    groups = [
        group_of.setdefault(pid, len(group_of)) if is_real else -1
        for pid, is_real in zip(prompt_ids, real.tolist(), strict=True)
    ]
    return torch.tensor(groups, dtype=torch.long), list(group_of)


def critic_shard_ids(
    prompt_ids: Sequence[Hashable] | Tensor,
    response_index: Tensor,
    num_critics: int,
    mode: str = "response",
    sample_mask: Tensor | None = None,
) -> Tensor:
    """Which critic trains on each sample: disjoint shards of the rollout batch.

    ``"response"`` (default): within each prompt's group the response with ``response_index`` j (verl's session
    id in [0, rollout.n)) goes to critic ``j % M``; every group must split evenly (``rollout.n % M == 0``).
    ``"prompt"``: prompts, in order of first appearance, are dealt round-robin to the critics, so each critic sees
    all responses of its prompts; the number of prompts must divide by M. With M == 1 every real sample goes to
    critic 0. Padding samples (``sample_mask`` False) get -1, belong to no shard and are left out of the checks.

    Args:
        prompt_ids: B hashable prompt ids (verl's ``uid``), a list, numpy array or 1-d tensor.
        response_index: (B,) integer index of each response within its prompt's group.
        num_critics: M >= 1.
        mode: ``"response"`` or ``"prompt"`` (``asyppo.critic_shard``).
        sample_mask: (B,) False for padding samples; None means all samples are real.

    Returns:
        (B,) long critic index in [0, M), or -1 for padding samples.
    """
    if mode not in SHARD_MODES:
        raise ValueError(f"asyppo.critic_shard must be one of {SHARD_MODES}; got {mode!r}")
    if num_critics < 1:
        raise ValueError(f"asyppo.num_critics must be >= 1; got {num_critics}")
    ids = prompt_ids.tolist() if hasattr(prompt_ids, "tolist") else list(prompt_ids)
    batch = len(ids)
    if response_index.shape != (batch,):
        raise ValueError(f"response_index has shape {tuple(response_index.shape)}, expected ({batch},)")
    if response_index.dtype.is_floating_point or bool((response_index < 0).any()):
        raise ValueError("response_index must hold non-negative integers")
    real = torch.ones(batch, dtype=torch.bool)
    if sample_mask is not None:
        if sample_mask.shape != (batch,):
            raise ValueError(f"sample_mask has shape {tuple(sample_mask.shape)}, expected ({batch},)")
        real = _as_bool_mask(sample_mask, "sample_mask").cpu()
    groups, prompts = _group_ids(ids, real)
    shards = torch.full((batch,), -1, dtype=torch.long)
    if mode == "prompt":
        if len(prompts) % num_critics:
            raise ValueError(
                f"asyppo.critic_shard='prompt' needs the number of prompts in a batch ({len(prompts)}) to be "
                f"divisible by asyppo.num_critics={num_critics} (set data.train_batch_size accordingly)"
            )
        shards[real] = groups[real] % num_critics
        return shards
    shards[real] = response_index.cpu().long()[real] % num_critics
    counts = torch.zeros(len(prompts), num_critics, dtype=torch.long)
    counts.index_put_((groups[real], shards[real]), torch.ones(int(real.sum()), dtype=torch.long), accumulate=True)
    uneven = (counts != counts[:, :1]).any(dim=1).nonzero().flatten()
    if uneven.numel():
        group = int(uneven[0])
        indices = sorted(response_index.cpu()[groups == group].tolist())
        raise ValueError(
            f"asyppo.critic_shard='response' needs each prompt's responses to split evenly among "
            f"asyppo.num_critics={num_critics} critics (rollout.n % num_critics == 0); prompt {prompts[group]!r} "
            f"has {len(indices)} responses with response_index {indices}"
        )
    return shards


# ------------------------------------------------------------------------------------------------------------- GAE
def _discounted_reverse_cumsum(x: Tensor, discount: float, block_size: int) -> Tensor:
    """y_t = sum_{s >= t} discount^(s - t) x_s along the last dim, without a loop over positions.

    Blocked scan: inside each block of K = ``block_size`` positions one matmul with the (K, K) matrix of powers
    discount^(j - i) (j >= i); the block heads form a sequence with discount^K that is scanned the same way
    (recursively), and each block adds discount^(K - i) times the head of the block after it.

    Args:
        x: (B, T) float64.
        discount: in [0, 1].
        block_size: K >= 2.

    Returns:
        (B, T) float64.
    """
    batch, length = x.shape
    if length == 0:
        return x
    k = min(block_size, length)
    num_blocks = -(-length // k)
    if num_blocks * k != length:
        x = torch.nn.functional.pad(x, (0, num_blocks * k - length))
    steps = torch.arange(k, dtype=x.dtype, device=x.device)
    lag = steps[None, :] - steps[:, None]  # lag[i, j] = j - i
    base = torch.tensor(discount, dtype=x.dtype, device=x.device)
    powers = torch.where(lag >= 0, base ** lag.clamp(min=0), 0.0)
    blocks = x.view(batch, num_blocks, k) @ powers.T  # blocks[..., i] = sum_{j >= i in block} discount^(j - i) x_j
    if num_blocks > 1:
        heads = _discounted_reverse_cumsum(blocks[:, 1:, 0], discount**k, block_size)  # y at each next block's start
        blocks[:, :-1, :].addcmul_(heads[:, :, None], base ** (k - steps))
    return blocks.view(batch, num_blocks * k)[:, :length]


def compute_gae(
    token_level_rewards: Tensor,
    values: Tensor,
    response_mask: Tensor,
    gamma: float,
    lam: float,
    *,
    block_size: int = GAE_BLOCK_SIZE,
) -> tuple[Tensor, Tensor]:
    """GAE advantages (not whitened) and returns, vectorised, with verl's treatment of masked positions.

    As in verl's ``compute_gae_advantage_return``, each row's valid tokens form one trajectory and masked positions
    are skipped: for a valid token t with next valid token t' (none after the last),
    delta_t = r_t + gamma * V_t' - V_t (V_t' = 0 when there is no t') and A_t = delta_t + gamma * lam * A_t'.
    A masked position carries A of the next valid token (0 after the last one); rewards and values at masked
    positions are ignored. Returns are ``A + values`` at every position. Internally the valid tokens are packed to
    the front of each row (a no-op for prefix masks) and scanned in float64 with :func:`_discounted_reverse_cumsum`
    (O(B * T * block_size) work, no loop over positions).

    Args:
        token_level_rewards: (B, T) reward per token.
        values: (B, T) value estimate per token.
        response_mask: (B, T) 1/True on valid response tokens.
        gamma: discount in [0, 1].
        lam: GAE lambda in [0, 1].
        block_size: positions per block of the scan.

    Returns:
        (advantages, returns), each (B, T) in the dtype of ``values``.
    """
    _check_unit_interval(gamma, "gamma")
    _check_unit_interval(lam, "lam")
    if block_size < 2:
        raise ValueError(f"block_size must be >= 2; got {block_size}")
    if token_level_rewards.ndim != 2 or values.shape != token_level_rewards.shape:
        raise ValueError(
            f"token_level_rewards {tuple(token_level_rewards.shape)} and values {tuple(values.shape)} must both "
            "have shape (batch, response_len)"
        )
    valid = _valid_tokens(response_mask, None, values.shape)
    rewards = torch.where(valid, token_level_rewards, 0.0)
    valid_values = torch.where(valid, values, 0.0)
    # Rows valid on a prefix (single-turn responses) are already packed; otherwise move the valid tokens to the front.
    # slot[b, t]: number of valid tokens before t = packed index of t if valid, else of the next valid token (< T).
    packed = not bool((valid[:, 1:] > valid[:, :-1]).any())
    if not packed:
        slot = torch.cumsum(valid, dim=1, dtype=torch.int32).sub_(valid.int()).long()
        rewards = torch.zeros_like(rewards).scatter_add_(1, slot, rewards)
        valid_values = torch.zeros_like(valid_values).scatter_add_(1, slot, valid_values)
    deltas = rewards.to(torch.float64, copy=True)
    deltas[:, :-1].add_(valid_values[:, 1:], alpha=gamma)
    deltas.sub_(valid_values)
    advantages = _discounted_reverse_cumsum(deltas, gamma * lam, block_size).to(values.dtype)
    if not packed:
        advantages = advantages.gather(1, slot)
    return advantages, advantages + values


def masked_whiten(values: Tensor, mask: Tensor) -> Tensor:
    """(values - mean) / sqrt(var + 1e-8) with mean and unbiased var over ``mask``, as verl's ``masked_whiten``.

    Args:
        values: (B, T).
        mask: (B, T) bool; at least two True entries.

    Returns:
        (B, T) whitened values (every position is shifted and scaled, as in verl).
    """
    count = int(mask.sum())
    if count < 2:
        raise ValueError(f"whitening needs at least 2 valid tokens; got {count}")
    weight = mask.to(values.dtype)
    mean = (torch.where(mask, values, 0.0) * weight).sum() / (weight.sum() + 1e-8)
    centered = values - mean
    variance = (torch.where(mask, centered**2, 0.0) * weight).sum() / (weight.sum() + 1e-8)
    variance = variance * (count / (count - 1))
    return centered * torch.rsqrt(variance + 1e-8)


@dataclass
class AdvantageResult:
    """Output of :func:`compute_asyppo_advantages`; every tensor is (B, T).

    Attributes:
        advantages: GAE(lambda_actor) on the ensemble value, whitened over valid tokens of real samples; 0 on
            padding samples.
        returns: GAE(lambda_critic) + ensemble value: the critics' regression targets.
        values: the ensemble value V_t.
        std: the critics' std sigma_t.
    """

    advantages: Tensor
    returns: Tensor
    values: Tensor
    std: Tensor


def compute_asyppo_advantages(
    token_level_rewards: Tensor,
    critic_values: Tensor,
    response_mask: Tensor,
    *,
    gamma: float,
    lam_actor: float,
    lam_critic: float,
    aggregation: str = "mean",
    sample_mask: Tensor | None = None,
    whiten: bool = True,
) -> AdvantageResult:
    """Advantages for the actor and returns for the critics from the critic ensemble.

    With one critic, ``aggregation="mean"`` and ``lam_actor == lam_critic`` this is verl's GAE
    (``compute_gae_advantage_return``) exactly. Separate lambdas follow VAPO: the actor's advantages use
    ``lam_actor``, the critics' returns ``lam_critic``.

    Args:
        token_level_rewards: (B, T) reward per token.
        critic_values: (M, B, T) values of the M critics.
        response_mask: (B, T) 1/True on valid response tokens.
        gamma: discount in [0, 1].
        lam_actor: GAE lambda of the advantages.
        lam_critic: GAE lambda of the returns.
        aggregation: ensemble rule, see :func:`ensemble_value`.
        sample_mask: (B,) False for padding samples: left out of the whitening statistics, advantage 0.
        whiten: whiten the advantages over the valid tokens of real samples (verl's ``masked_whiten``).

    Returns:
        :class:`AdvantageResult`.
    """
    values = ensemble_value(critic_values, aggregation)
    std = critic_std(critic_values)
    valid = _valid_tokens(response_mask, sample_mask, values.shape)
    advantages, returns = compute_gae(token_level_rewards, values, response_mask, gamma, lam_actor)
    if lam_critic != lam_actor:
        _, returns = compute_gae(token_level_rewards, values, response_mask, gamma, lam_critic)
    if whiten:
        advantages = masked_whiten(advantages, valid)
    if sample_mask is not None:
        advantages = torch.where(_as_bool_mask(sample_mask, "sample_mask")[:, None], advantages, 0.0)
    return AdvantageResult(advantages=advantages, returns=returns, values=values, std=std)


__all__ = [
    "AdvantageResult",
    "QuantileMask",
    "compute_asyppo_advantages",
    "compute_gae",
    "critic_shard_ids",
    "critic_std",
    "ensemble_value",
    "highest_std_mask",
    "lowest_std_mask",
    "masked_whiten",
    "tie_break_seed",
]
