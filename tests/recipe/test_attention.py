"""Attention implementation: the importability check names the key, the critic loader honours the configured
implementation (verl 0.9.1's hard-codes flash-attention 2), and the entry point installs it in every process."""

from __future__ import annotations

import importlib.util
import os

import pytest
import torch
from transformers import AutoConfig, AutoModelForTokenClassification

from recipe.asyppo.integration import attention
from recipe.asyppo.integration.launch import CRITIC_LOADER_PLUGIN, EXTERNAL_MODULES_ENV, prepare
from recipe.asyppo.scripts.check_config import compose
from recipe.asyppo.verl_compat import critic_loader


def test_unknown_implementation_is_rejected_naming_the_key():
    with pytest.raises(ValueError, match=r"critic\.model\.override_config\.attn_implementation='flash2' is not one"):
        attention.check_importable("flash2", attention.CRITIC_KEY)


def test_sdpa_and_eager_need_nothing_beyond_torch():
    attention.check_importable("sdpa", attention.CRITIC_KEY)
    attention.check_importable("eager", attention.ACTOR_KEY)


@pytest.mark.skipif(importlib.util.find_spec("flash_attn") is not None, reason="flash-attn is installed here")
def test_flash_attention_without_flash_attn_names_the_key_and_the_way_out():
    with pytest.raises(ValueError, match=r"attn_implementation=flash_attention_2 needs the 'flash_attn' package.*"
                                         r"ATTN_IMPLEMENTATION=sdpa"):
        attention.check_importable("flash_attention_2", attention.ACTOR_KEY)


def test_configured_falls_back_to_verls_default():
    config = compose([])
    assert attention.configured(config, attention.CRITIC_KEY) == "flash_attention_2"
    config = compose(["++critic.model.override_config.attn_implementation=sdpa"])
    assert attention.configured(config, attention.CRITIC_KEY) == "sdpa"


def test_installed_loader_loads_the_critic_with_the_configured_implementation(tiny_models):
    import verl.utils.model as model_utils

    critic_loader.install_value_model_loader()
    critic_loader.install_value_model_loader()  # idempotent
    assert model_utils.load_valuehead_model is critic_loader.load_value_model
    config = AutoConfig.from_pretrained(tiny_models[1], attn_implementation="sdpa")
    config.num_labels = 1  # as verl's engine sets it before calling the loader
    critic = model_utils.load_valuehead_model(str(tiny_models[1]), torch.float32, config, False)
    assert isinstance(critic, AutoModelForTokenClassification._model_mapping[type(config)])
    assert critic.config._attn_implementation == "sdpa"
    assert critic(input_ids=torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, 1)


@pytest.mark.parametrize("implementation", ["sdpa", "flash_attention_2"])
def test_entry_point_installs_the_critic_loader_in_every_process(implementation, monkeypatch):
    # the loader also computes the value head in float32, which every critic needs, flash-attention or not
    monkeypatch.setenv(EXTERNAL_MODULES_ENV, "")
    config = compose(["asyppo.enable=false", f"++critic.model.override_config.attn_implementation={implementation}"])
    prepare(config)
    assert CRITIC_LOADER_PLUGIN in os.environ[EXTERNAL_MODULES_ENV].split(",")


def test_sdpa_attends_per_sequence_in_a_packed_micro_batch(tiny_models):
    # with remove-padding verl packs sequences into one row with restarting position ids, no attention mask and
    # use_cache=False; transformers then builds a per-sequence causal mask for sdpa (a tokens x tokens mask over the
    # packed micro-batch), so values equal those of separate forwards
    torch.manual_seed(0)
    critic = AutoModelForTokenClassification.from_pretrained(tiny_models[1], num_labels=1, attn_implementation="sdpa")
    first, second = torch.randint(0, 400, (1, 5)), torch.randint(0, 400, (1, 3))
    packed = critic(input_ids=torch.cat([first, second], dim=1),
                    position_ids=torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2]]), use_cache=False).logits
    separate = torch.cat([critic(input_ids=first).logits, critic(input_ids=second).logits], dim=1)
    torch.testing.assert_close(packed, separate, rtol=1e-5, atol=1e-5)
