"""The study's per-step diagnostics: sigma against the ensemble's error, what the advantage mask removes by token
class and position, and the token classes themselves."""

from __future__ import annotations

import pytest
import torch

from recipe.asyppo.core.metrics import mask_composition_metrics, std_error_metrics
from recipe.asyppo.core.token_classes import DIGIT, OTHER, SPECIAL, classify, token_class_table


class _Tokenizer:
    """The slice of a Hugging Face tokenizer that token_class_table reads."""

    pieces = ["<|im_end|>", "Ġ1", "74", "Ġthe", ".", "<pad>"]
    all_special_ids = [0, 5]

    def __len__(self):
        return len(self.pieces)

    def convert_ids_to_tokens(self, ids):
        return [self.pieces[i] for i in ids]


def test_special_tokens_digit_tokens_and_other_text_get_their_classes():
    table = token_class_table(_Tokenizer())
    assert table.tolist() == [SPECIAL, DIGIT, DIGIT, OTHER, OTHER, SPECIAL]


def test_ids_outside_the_table_count_as_other_text():
    table = torch.tensor([DIGIT, SPECIAL])
    assert classify(torch.tensor([[0, 1, 7, -1]]), table).tolist() == [[DIGIT, SPECIAL, OTHER, OTHER]]


def test_sigma_that_grows_with_the_error_correlates_one_and_masked_tokens_show_their_error():
    returns = torch.zeros(1, 4)
    values = torch.tensor([[0.1, 0.2, 0.3, 0.4]])
    std = torch.tensor([[1.0, 2.0, 3.0, 4.0]])  # sigma = 10 x |error|
    valid = torch.tensor([[True, True, True, False]])
    masked = torch.tensor([[True, False, False, False]])
    metrics = std_error_metrics(std, values, returns, valid, masked)
    assert metrics["asyppo/std/error_corr"] == pytest.approx(1.0)
    assert metrics["asyppo/adv_mask/abs_error_masked"] == pytest.approx(0.1)
    assert metrics["asyppo/adv_mask/abs_error_kept"] == pytest.approx(0.25)


def test_constant_sigma_has_no_correlation():
    std = torch.ones(1, 3)
    metrics = std_error_metrics(std, torch.rand(1, 3), torch.zeros(1, 3), torch.ones(1, 3, dtype=torch.bool),
                                torch.zeros(1, 3, dtype=torch.bool))
    assert metrics["asyppo/std/error_corr"] != metrics["asyppo/std/error_corr"]  # NaN


def test_the_mask_composition_counts_classes_of_masked_tokens_and_rates_by_position():
    # two responses: "1 7 <eos>" and "the <eos>" (right-padded); the mask takes "7", "<eos>" of the first and "the"
    token_class = torch.tensor([[DIGIT, DIGIT, SPECIAL], [OTHER, SPECIAL, OTHER]])
    valid = torch.tensor([[True, True, True], [True, True, False]])
    mask = torch.tensor([[False, True, True], [True, False, True]])  # the padding position is ignored
    metrics = mask_composition_metrics("adv_mask", mask, valid, token_class)
    assert metrics["asyppo/adv_mask/share_digit"] == pytest.approx(1 / 3)
    assert metrics["asyppo/adv_mask/share_special"] == pytest.approx(1 / 3)
    assert metrics["asyppo/adv_mask/share_other"] == pytest.approx(1 / 3)
    assert metrics["asyppo/tokens/share_digit"] == pytest.approx(2 / 5)
    assert metrics["asyppo/adv_mask/rate_first"] == pytest.approx(1 / 2)  # "1" kept, "the" masked
    assert metrics["asyppo/adv_mask/rate_middle"] == 1.0  # "7"
    assert metrics["asyppo/adv_mask/rate_last"] == pytest.approx(1 / 2)  # first <eos> masked, second kept
