"""Vectorised GAE, whitening and the AsyPPO advantage computation, hand-checked and against verl's loop."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from verl.trainer.ppo.core_algos import compute_gae_advantage_return
from verl.utils.torch_functional import masked_whiten as verl_masked_whiten

from recipe.asyppo.core.algorithm import compute_asyppo_advantages, compute_gae, lowest_std_mask, masked_whiten


def _ragged_batch(batch: int, length: int, seed: int, dtype: torch.dtype = torch.float64):
    """rewards, values (B, T) and a 0/1 float mask whose rows are: prefixes of random length, prefixes with holes,
    rows starting with masked positions, one all-masked row and one all-valid row."""
    gen = torch.Generator().manual_seed(seed)
    rewards = torch.randn(batch, length, generator=gen, dtype=dtype)
    values = torch.randn(batch, length, generator=gen, dtype=dtype)
    lengths = torch.randint(1, length + 1, (batch,), generator=gen)
    mask = (torch.arange(length)[None, :] < lengths[:, None]).to(dtype)
    holes = torch.rand(batch, length, generator=gen) < 0.2
    mask[1::3] *= (~holes[1::3]).to(dtype)
    mask[2::3, : length // 3] = 0.0
    mask[0] = 0.0
    mask[-1] = 1.0
    return rewards, values, mask


GAMMA_LAM = [(1.0, 1.0), (0.99, 0.95), (0.9, 0.0), (0.0, 0.7), (1.0, 0.5)]


# ------------------------------------------------------------------------------------------------ hand-checked GAE
def test_gae_on_a_fully_valid_row_matches_hand_computation():
    # gamma = lam = 0.5, r = [0, 0, 1], V = [0.5, 0.25, 0.5]
    # delta_2 = 1 - 0.5 = 0.5                      A_2 = 0.5
    # delta_1 = 0.5 * 0.5 - 0.25 = 0               A_1 = 0 + 0.25 * 0.5 = 0.125
    # delta_0 = 0.5 * 0.25 - 0.5 = -0.375          A_0 = -0.375 + 0.25 * 0.125 = -0.34375
    rewards = torch.tensor([[0.0, 0.0, 1.0]])
    values = torch.tensor([[0.5, 0.25, 0.5]])
    advantages, returns = compute_gae(rewards, values, torch.ones(1, 3), gamma=0.5, lam=0.5)
    assert advantages.tolist() == [[-0.34375, 0.125, 0.5]]
    assert returns.tolist() == [[0.15625, 0.375, 1.0]]


def test_gae_skips_masked_positions_and_carries_the_next_valid_advantage():
    # mask [1, 0, 1, 0]: the masked rewards 5, 7 and values 9 are ignored; position 0's next value is V_2.
    # t=2: delta = 1 - 0.5 = 0.5, A = 0.5;  t=0: delta = 0.5 * 0.5 - 0.5 = -0.25, A = -0.25 + 0.25 * 0.5 = -0.125
    # masked t=1 carries A_2 = 0.5; masked t=3 (after the last valid token) gets 0; returns = A + V everywhere.
    rewards = torch.tensor([[0.0, 5.0, 1.0, 7.0]])
    values = torch.tensor([[0.5, 9.0, 0.5, 9.0]])
    mask = torch.tensor([[1, 0, 1, 0]])
    advantages, returns = compute_gae(rewards, values, mask, gamma=0.5, lam=0.5)
    assert advantages.tolist() == [[-0.125, 0.5, 0.5, 0.0]]
    assert returns.tolist() == [[0.375, 9.5, 1.0, 9.0]]
    verl_advantages_plus_values = compute_gae_advantage_return(rewards, values, mask.float(), 0.5, 0.5)[1]
    assert torch.equal(returns, verl_advantages_plus_values)


def test_gae_with_lambda_zero_is_the_one_step_td_error():
    rewards = torch.tensor([[1.0, 2.0, 3.0]])
    values = torch.tensor([[0.5, 1.0, 2.0]])
    advantages, _ = compute_gae(rewards, values, torch.ones(1, 3), gamma=0.5, lam=0.0)
    assert advantages.tolist() == [[1.0 + 0.5 - 0.5, 2.0 + 1.0 - 1.0, 3.0 - 2.0]]


# ------------------------------------------------------------------------------------------------- against verl
@pytest.mark.parametrize(("gamma", "lam"), GAMMA_LAM)
@pytest.mark.parametrize(("length", "block_size"), [(1, 128), (37, 2), (37, 4), (300, 16), (513, 128)])
def test_gae_matches_verl_loop_on_ragged_masks_in_float64(gamma, lam, length, block_size):
    rewards, values, mask = _ragged_batch(9, length, seed=length + block_size)
    _, verl_returns = compute_gae_advantage_return(rewards, values, mask, gamma, lam)
    advantages, returns = compute_gae(rewards, values, mask, gamma, lam, block_size=block_size)
    torch.testing.assert_close(advantages, verl_returns - values, rtol=0, atol=1e-9)
    torch.testing.assert_close(returns, verl_returns, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("gamma", "lam"), GAMMA_LAM)
def test_gae_in_float32_is_within_float32_rounding_of_verl_in_float64(gamma, lam):
    # verl's float32 loop itself drifts by a few ulps over 256 steps; the blocked scan runs in float64 inside.
    rewards, values, mask = _ragged_batch(16, 256, seed=3, dtype=torch.float32)
    _, exact_returns = compute_gae_advantage_return(rewards.double(), values.double(), mask.double(), gamma, lam)
    _, verl_float32_returns = compute_gae_advantage_return(rewards, values, mask, gamma, lam)
    advantages, returns = compute_gae(rewards, values, mask, gamma, lam)
    assert advantages.dtype == returns.dtype == torch.float32
    torch.testing.assert_close(returns.double(), exact_returns, rtol=1e-6, atol=1e-6)
    our_error = (returns.double() - exact_returns).abs().max()
    assert our_error <= (verl_float32_returns.double() - exact_returns).abs().max()


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 4),
    length=st.integers(1, 40),
    block_size=st.integers(2, 9),
    gamma=st.sampled_from([0.0, 0.5, 0.99, 1.0]),
    lam=st.sampled_from([0.0, 0.95, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_gae_matches_verl_loop_for_any_mask_and_block_size(rows, length, block_size, gamma, lam, seed):
    gen = torch.Generator().manual_seed(seed)
    rewards = torch.randn(rows, length, generator=gen, dtype=torch.float64)
    values = torch.randn(rows, length, generator=gen, dtype=torch.float64)
    mask = (torch.rand(rows, length, generator=gen) < 0.6).double()
    mask[0] = 1.0  # verl whitens inside its GAE and needs two valid tokens; the rows are independent anyway
    rewards, values, mask = (torch.cat([x, x[:1]]) for x in (rewards, values, mask))
    _, verl_returns = compute_gae_advantage_return(rewards, values, mask, gamma, lam)
    _, returns = compute_gae(rewards, values, mask, gamma, lam, block_size=block_size)
    torch.testing.assert_close(returns, verl_returns, rtol=0, atol=1e-9)


def test_gae_accepts_bool_and_integer_masks_and_leaves_inputs_untouched():
    rewards, values, mask = _ragged_batch(6, 20, seed=5)
    before = (rewards.clone(), values.clone())
    results = [compute_gae(rewards, values, m, 0.99, 0.95)[1] for m in (mask, mask.bool(), mask.long())]
    assert torch.equal(results[0], results[1]) and torch.equal(results[0], results[2])
    assert torch.equal(rewards, before[0]) and torch.equal(values, before[1])


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (0, 0)])
def test_gae_of_an_empty_batch_or_empty_responses_is_empty(shape):
    advantages, returns = compute_gae(torch.zeros(shape), torch.zeros(shape), torch.ones(shape), 1.0, 0.95)
    assert advantages.shape == returns.shape == shape


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": 1.5}, r"gamma must be in \[0, 1\]; got 1.5"),
        ({"lam": -0.1}, r"lam must be in \[0, 1\]; got -0.1"),
        ({"values": torch.zeros(2, 4)}, r"values \(2, 4\) must both have shape"),
        ({"response_mask": torch.ones(2, 4)}, r"response_mask has shape \(2, 4\), expected \(2, 3\)"),
        ({"response_mask": torch.full((2, 3), 2.0)}, "response_mask must hold only 0 and 1"),
    ],
)
def test_gae_rejects_bad_arguments_by_name(kwargs, message):
    args = {
        "token_level_rewards": torch.zeros(2, 3),
        "values": torch.zeros(2, 3),
        "response_mask": torch.ones(2, 3),
        "gamma": 1.0,
        "lam": 0.95,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        compute_gae(**args)


# ----------------------------------------------------------------------------------------------------- whitening
def test_masked_whiten_matches_verl():
    values = torch.randn(8, 50)
    mask = torch.rand(8, 50) < 0.7
    torch.testing.assert_close(masked_whiten(values, mask), verl_masked_whiten(values, mask.float()), rtol=0, atol=1e-6)


def test_masked_whiten_needs_two_valid_tokens():
    with pytest.raises(ValueError, match="at least 2 valid tokens; got 1"):
        masked_whiten(torch.randn(2, 2), torch.tensor([[True, False], [False, False]]))


# ------------------------------------------------------------------------------------------ AsyPPO advantages
def _verl_ppo(rewards, values, mask, gamma, lam):
    return compute_gae_advantage_return(rewards, values, mask, gamma, lam)


def test_one_critic_with_mean_is_verls_ppo_gae_exactly():
    rewards, values, mask = _ragged_batch(12, 200, seed=11)
    verl_advantages, verl_returns = _verl_ppo(rewards, values, mask, 0.99, 0.95)
    result = compute_asyppo_advantages(rewards, values[None], mask, gamma=0.99, lam_actor=0.95, lam_critic=0.95)
    torch.testing.assert_close(result.advantages, verl_advantages, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.returns, verl_returns, rtol=0, atol=1e-9)
    assert torch.equal(result.values, values) and result.std.eq(0).all()


def test_one_critic_in_float32_matches_verl_within_float32_rounding():
    rewards, values, mask = _ragged_batch(12, 200, seed=11, dtype=torch.float32)
    exact_advantages, exact_returns = _verl_ppo(rewards.double(), values.double(), mask.double(), 0.99, 0.95)
    result = compute_asyppo_advantages(rewards, values[None], mask, gamma=0.99, lam_actor=0.95, lam_critic=0.95)
    torch.testing.assert_close(result.advantages.double(), exact_advantages, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(result.returns.double(), exact_returns, rtol=1e-6, atol=1e-6)


def test_three_critics_run_gae_on_their_mean_and_report_their_std():
    rewards, _, mask = _ragged_batch(6, 40, seed=12)
    critic_values = torch.randn(3, 6, 40, dtype=torch.float64)
    mean = critic_values.mean(dim=0)
    verl_advantages, verl_returns = _verl_ppo(rewards, mean, mask, 1.0, 0.9)
    result = compute_asyppo_advantages(rewards, critic_values, mask, gamma=1.0, lam_actor=0.9, lam_critic=0.9)
    torch.testing.assert_close(result.advantages, verl_advantages, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.returns, verl_returns, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.std, critic_values.std(dim=0, correction=0))


def test_min_aggregation_runs_gae_on_the_smallest_critic_value():
    rewards, _, mask = _ragged_batch(6, 40, seed=13)
    critic_values = torch.randn(2, 6, 40, dtype=torch.float64)
    smallest = critic_values.min(dim=0).values
    verl_advantages, verl_returns = _verl_ppo(rewards, smallest, mask, 1.0, 1.0)
    result = compute_asyppo_advantages(
        rewards, critic_values, mask, gamma=1.0, lam_actor=1.0, lam_critic=1.0, aggregation="min"
    )
    assert torch.equal(result.values, smallest)
    torch.testing.assert_close(result.advantages, verl_advantages, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.returns, verl_returns, rtol=0, atol=1e-9)


def test_actor_and_critic_use_their_own_lambda():
    rewards, values, mask = _ragged_batch(6, 40, seed=14)
    actor_advantages, _ = _verl_ppo(rewards, values, mask, 1.0, 0.95)
    _, critic_returns = _verl_ppo(rewards, values, mask, 1.0, 1.0)
    result = compute_asyppo_advantages(rewards, values[None], mask, gamma=1.0, lam_actor=0.95, lam_critic=1.0)
    torch.testing.assert_close(result.advantages, actor_advantages, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.returns, critic_returns, rtol=0, atol=1e-9)


def test_whiten_false_returns_raw_gae_advantages():
    rewards, values, mask = _ragged_batch(4, 30, seed=15)
    result = compute_asyppo_advantages(
        rewards, values[None], mask, gamma=1.0, lam_actor=0.95, lam_critic=0.95, whiten=False
    )
    torch.testing.assert_close(result.advantages, compute_gae(rewards, values, mask, 1.0, 0.95)[0])


def test_padding_samples_stay_out_of_whitening_and_get_zero_advantage():
    rewards, values, mask = _ragged_batch(7, 30, seed=16)
    padded_rewards = torch.cat([rewards, torch.full((2, 30), 100.0, dtype=torch.float64)])
    padded_values = torch.cat([values, torch.randn(2, 30, dtype=torch.float64)])
    padded_mask = torch.cat([mask, torch.ones(2, 30, dtype=torch.float64)])
    sample_mask = torch.tensor([True] * 7 + [False] * 2)
    result = compute_asyppo_advantages(
        padded_rewards,
        padded_values[None],
        padded_mask,
        gamma=1.0,
        lam_actor=0.9,
        lam_critic=0.9,
        sample_mask=sample_mask,
    )
    verl_advantages, verl_returns = _verl_ppo(rewards, values, mask, 1.0, 0.9)
    torch.testing.assert_close(result.advantages[:7], verl_advantages, rtol=0, atol=1e-9)
    torch.testing.assert_close(result.returns[:7], verl_returns, rtol=0, atol=1e-9)
    assert result.advantages[7:].eq(0).all()


@pytest.mark.parametrize("num_critics", [2, 3, 5])
def test_identical_critics_have_exactly_zero_std_so_masks_are_degenerate(num_critics):
    # step one of training: critics from one checkpoint with identical heads agree to the last bit
    values = (1000.0 * torch.randn(1, 3, 5)).expand(num_critics, 3, 5)
    result = compute_asyppo_advantages(
        torch.randn(3, 5), values, torch.ones(3, 5), gamma=1.0, lam_actor=1.0, lam_critic=1.0
    )
    assert result.std.eq(0).all()
    assert lowest_std_mask(result.std, torch.ones(3, 5), 0.2).degenerate


def test_bf16_critic_values_give_float32_advantages_returns_and_the_float32_masks():
    # verl's critic engine returns values in the model dtype (bf16 on GPU); AsyPPO computes from a float32 copy
    rewards, values, mask = _ragged_batch(6, 40, seed=3, dtype=torch.float32)
    critic_values = torch.stack([values, values + 0.1 * torch.randn_like(values)]).to(torch.bfloat16)
    from_bf16 = compute_asyppo_advantages(rewards, critic_values, mask, gamma=1.0, lam_actor=0.95, lam_critic=1.0)
    from_fp32 = compute_asyppo_advantages(rewards, critic_values.float(), mask, gamma=1.0, lam_actor=0.95,
                                          lam_critic=1.0)
    for name in ("advantages", "returns", "values", "std"):
        assert getattr(from_bf16, name).dtype == torch.float32, name
        assert getattr(from_bf16, name).equal(getattr(from_fp32, name)), name
    for ratio in (0.2, 0.5):
        assert lowest_std_mask(from_bf16.std, mask, ratio, seed=1).mask.equal(
            lowest_std_mask(from_fp32.std, mask, ratio, seed=1).mask)
