"""Ensemble value, critic std and the std quantile masks (advantage masking, entropy filtering)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from recipe.asyppo.core.algorithm import critic_std, ensemble_value, highest_std_mask, lowest_std_mask, tie_break_seed


def _selected(mask: torch.Tensor) -> list[tuple[int, int]]:
    return [tuple(ix) for ix in mask.nonzero().tolist()]


# --------------------------------------------------------------------------------------------------- ensemble and std
def test_ensemble_mean_averages_critics_per_token():
    critic_values = torch.tensor([[[1.0, 2.0]], [[3.0, 6.0]]])  # (M=2, B=1, T=2)
    assert ensemble_value(critic_values).tolist() == [[2.0, 4.0]]


def test_ensemble_min_takes_smallest_critic_per_token():
    critic_values = torch.tensor([[[1.0, 7.0]], [[3.0, 6.0]], [[2.0, 9.0]]])
    assert ensemble_value(critic_values, "min").tolist() == [[1.0, 6.0]]


def test_ensemble_rejects_unknown_aggregation_naming_config_key():
    with pytest.raises(ValueError, match=r"asyppo.value_aggregation.*'max'"):
        ensemble_value(torch.zeros(2, 1, 1), "max")


def test_ensemble_rejects_values_without_critic_dimension():
    with pytest.raises(ValueError, match="num_critics"):
        ensemble_value(torch.zeros(3, 4))


def test_critic_std_is_population_std_across_critics():
    # two critics 1 and 3: population std 1 (the sample std would be sqrt(2))
    two = torch.tensor([[[1.0]], [[3.0]]])
    assert critic_std(two).tolist() == [[1.0]]
    # three critics 0, 0, 3: mean 1, variance (1 + 1 + 4) / 3 = 2
    three = torch.tensor([[[0.0]], [[0.0]], [[3.0]]])
    assert critic_std(three).item() == pytest.approx(math.sqrt(2.0))


def test_bf16_critic_values_give_float32_ensemble_and_std():
    # the two values differ by bf16's spacing at 1.0 (2**-7); std 2**-8 is exact in float32
    critic_values = torch.tensor([[[1.0]], [[1.0078125]]], dtype=torch.bfloat16)
    assert ensemble_value(critic_values).dtype == critic_std(critic_values).dtype == torch.float32
    assert critic_std(critic_values).item() == 2**-8


def test_float64_critic_values_stay_float64():
    assert critic_std(torch.zeros(2, 1, 1, dtype=torch.float64)).dtype == torch.float64


def test_critic_std_of_one_critic_is_zero():
    assert critic_std(torch.randn(1, 2, 3)).eq(0).all()


# ------------------------------------------------------------------------------------------------------------ masks
STD = torch.tensor([[0.5, 0.1, 0.9, 0.3], [0.2, 0.7, 0.4, 0.6]])
ALL_VALID = torch.ones(2, 4)


def test_lowest_mask_selects_the_lowest_std_tokens_of_the_whole_batch():
    result = lowest_std_mask(STD, ALL_VALID, 0.25)  # floor(0.25 * 8) = 2 tokens: 0.1 and 0.2
    assert _selected(result.mask) == [(0, 1), (1, 0)]
    assert (result.num_selected, result.num_valid, result.degenerate) == (2, 8, False)


def test_highest_mask_selects_the_highest_std_tokens_of_the_whole_batch():
    result = highest_std_mask(STD, ALL_VALID, 0.25)  # 0.9 and 0.7
    assert _selected(result.mask) == [(0, 2), (1, 1)]
    assert result.num_selected == 2


def test_mask_count_is_floor_of_ratio_times_valid_tokens():
    std = torch.arange(9.0).reshape(1, 9)
    assert lowest_std_mask(std, torch.ones(1, 9), 0.2).num_selected == 1  # floor(1.8)
    assert highest_std_mask(std, torch.ones(1, 9), 0.5).num_selected == 4  # floor(4.5)


def test_mask_count_reads_ratio_as_written_decimal():
    # in binary floating point 0.29 * 100 == 28.999999999999996; the rule selects 29
    std = torch.arange(100.0).reshape(4, 25)
    assert lowest_std_mask(std, torch.ones(4, 25), 0.29).num_selected == 29


def test_a_third_of_three_tokens_selects_one_despite_binary_rounding():
    std = torch.tensor([[0.3, 0.1, 0.2]])
    assert lowest_std_mask(std, torch.ones(1, 3), 1 / 3).mask.tolist() == [[False, True, False]]


def test_masks_rank_only_valid_response_tokens():
    response_mask = torch.tensor([[1, 0, 1, 1], [1, 0, 1, 1]])  # the 0.1 and 0.7 tokens are not response tokens
    low = lowest_std_mask(STD, response_mask, 0.5)  # floor(0.5 * 6) = 3: 0.2, 0.3, 0.4
    assert _selected(low.mask) == [(0, 3), (1, 0), (1, 2)]
    high = highest_std_mask(STD, response_mask, 0.5)  # 0.9, 0.6, 0.5
    assert _selected(high.mask) == [(0, 0), (0, 2), (1, 3)]
    assert low.num_valid == high.num_valid == 6


def test_tied_std_at_the_threshold_is_broken_by_the_seed_not_by_position():
    std = torch.tensor([[0.1, 0.2, 0.1], [0.1, 0.3, 0.3]])
    # three tokens tie at 0.1 (flat indices 0, 2, 3) and floor(0.34 * 6) = 2 are selected: which two is the seed's call
    picks = {tuple(_selected(lowest_std_mask(std, torch.ones(2, 3), 0.34, seed=seed).mask)) for seed in range(40)}
    assert picks == {((0, 0), (0, 2)), ((0, 0), (1, 0)), ((0, 2), (1, 0))}
    # the same seed selects the same tokens
    assert lowest_std_mask(std, torch.ones(2, 3), 0.34, seed=7).mask.equal(
        lowest_std_mask(std, torch.ones(2, 3), 0.34, seed=7).mask)


def test_untied_tokens_are_selected_whatever_the_seed():
    std = torch.tensor([[0.1, 0.2, 0.1], [0.1, 0.3, 0.3]])
    # the two 0.3 tokens (flat 4 and 5) are the highest two for every seed; the tie only matters at the threshold
    for seed in range(10):
        assert _selected(highest_std_mask(std, torch.ones(2, 3), 0.34, seed=seed).mask) == [(1, 1), (1, 2)]


def test_tie_break_has_no_position_bias():
    # 8 tokens tie at 0 and 4 are selected: over 400 seeds every tied token is picked about half of the time,
    # early rows and positions no more often than late ones (binomial sd 10 around 200; bounds at 6 sd)
    std = torch.tensor([[0.0, 0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0, 5.0]])
    counts = sum(lowest_std_mask(std, torch.ones(2, 5), 0.4, seed=seed).mask.long() for seed in range(400))
    tied = counts[:, :4].flatten()
    assert int(counts[:, 4].sum()) == 0
    assert int(tied.sum()) == 400 * 4
    assert int(tied.min()) >= 140 and int(tied.max()) <= 260


def test_tie_break_seed_changes_with_the_step_and_repeats_for_the_same_step():
    assert tie_break_seed(0, 1) != tie_break_seed(0, 2)
    assert tie_break_seed(3, 5) == tie_break_seed(3, 5)
    assert tie_break_seed(1, 0) != tie_break_seed(0, 1)


def test_all_equal_std_is_degenerate_and_selects_nothing():
    for std in (torch.zeros(2, 4), torch.full((2, 4), 0.3) + 1e-7 * torch.rand(2, 4)):
        for select in (lowest_std_mask, highest_std_mask):
            result = select(std, ALL_VALID, 0.2)
            assert result.degenerate and result.num_selected == 0 and not result.mask.any()
            assert result.num_valid == 8


def test_spread_just_above_equal_tol_is_ranked():
    std = torch.tensor([[0.0, 0.0, 0.0, 2e-6]], dtype=torch.float64)
    result = highest_std_mask(std, torch.ones(1, 4), 0.25)
    assert not result.degenerate and _selected(result.mask) == [(0, 3)]
    assert lowest_std_mask(std, torch.ones(1, 4), 0.25, equal_tol=1e-5).degenerate


def test_ratio_zero_selects_nothing_but_reports_spread():
    result = lowest_std_mask(STD, ALL_VALID, 0.0)
    assert result.num_selected == 0 and not result.mask.any() and not result.degenerate


@pytest.mark.parametrize("ratio", [1.0, -0.1, 1.5])
def test_ratio_outside_unit_interval_is_rejected_with_config_key(ratio):
    with pytest.raises(ValueError, match=r"asyppo.adv_mask_ratio must be in \[0, 1\)"):
        lowest_std_mask(STD, ALL_VALID, ratio, name="asyppo.adv_mask_ratio")


def test_padding_samples_are_never_selected_nor_counted():
    std = torch.tensor([[0.5, 0.4], [0.0, 9.0], [0.3, 0.6]])
    sample_mask = torch.tensor([True, False, True])  # row 1 is a padding sample
    low = lowest_std_mask(std, torch.ones(3, 2), 0.5, sample_mask=sample_mask)  # floor(0.5 * 4) = 2: 0.3, 0.4
    assert _selected(low.mask) == [(0, 1), (2, 0)] and low.num_valid == 4
    high = highest_std_mask(std, torch.ones(3, 2), 0.5, sample_mask=sample_mask)  # 0.6, 0.5
    assert _selected(high.mask) == [(0, 0), (2, 1)]


def test_degenerate_is_judged_on_real_samples_only():
    std = torch.tensor([[0.0, 0.0], [5.0, 5.0]])
    result = lowest_std_mask(std, torch.ones(2, 2), 0.5, sample_mask=torch.tensor([True, False]))
    assert result.degenerate and result.num_valid == 2


def test_no_valid_tokens_selects_nothing_and_is_not_degenerate():
    result = highest_std_mask(STD, torch.zeros(2, 4), 0.5)
    assert (result.num_selected, result.num_valid, result.degenerate) == (0, 0, False)


def test_mask_rejects_non_binary_response_mask():
    with pytest.raises(ValueError, match="response_mask must hold only 0 and 1"):
        lowest_std_mask(STD, torch.full((2, 4), 0.5), 0.2)


def test_mask_rejects_nan_std_on_valid_tokens_but_ignores_it_elsewhere():
    std = torch.tensor([[0.1, float("nan")], [0.2, 0.3]])
    with pytest.raises(ValueError, match="NaN or inf"):
        lowest_std_mask(std, torch.ones(2, 2), 0.5)
    result = lowest_std_mask(std, torch.tensor([[1, 0], [1, 1]]), 0.5)
    assert _selected(result.mask) == [(0, 0)]


def test_mask_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"response_mask has shape \(2, 3\), expected \(2, 4\)"):
        lowest_std_mask(STD, torch.ones(2, 3), 0.2)
    with pytest.raises(ValueError, match=r"sample_mask has shape \(3,\), expected \(2,\)"):
        lowest_std_mask(STD, ALL_VALID, 0.2, sample_mask=torch.ones(3, dtype=torch.bool))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 4),
    cols=st.integers(1, 6),
    ratio=st.floats(0.0, 0.99),
    seed=st.integers(0, 2**16),
)
def test_masks_select_exactly_floor_ratio_n_and_split_the_ranking(rows, cols, ratio, seed):
    gen = torch.Generator().manual_seed(seed)
    std = torch.randint(0, 3, (rows, cols), generator=gen).float()  # small range: many ties
    response_mask = torch.rand(rows, cols, generator=gen) < 0.8
    sample_mask = torch.rand(rows, generator=gen) < 0.8
    valid = response_mask & sample_mask[:, None]
    for select, lowest in ((lowest_std_mask, True), (highest_std_mask, False)):
        result = select(std, response_mask, ratio, sample_mask=sample_mask)
        assert result.num_valid == int(valid.sum())
        assert not (result.mask & ~valid).any()
        assert int(result.mask.sum()) == result.num_selected
        if result.degenerate:
            assert result.num_selected == 0
            continue
        assert ratio * result.num_valid - 1 < result.num_selected <= ratio * result.num_valid + 1e-9
        chosen, rest = std[result.mask], std[valid & ~result.mask]
        if chosen.numel() and rest.numel():
            assert (chosen.max() <= rest.min()) if lowest else (chosen.min() >= rest.max())
