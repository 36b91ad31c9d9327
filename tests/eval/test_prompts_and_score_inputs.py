"""Prompt building matches verl's training format; `score` input errors name the row and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from eval.cli import main
from eval.prompts import build_prompt, get_template


def test_chat_template_on_applies_the_tokenizer_template_to_the_training_messages(tiny_actor: Path):
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_actor))
    messages = get_template("boxed").messages("What is 1+1?")
    expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert build_prompt("What is 1+1?", "boxed", tokenizer, chat_template=True) == expected
    assert expected.startswith("<|im_start|>user\nWhat is 1+1?\n") and expected.endswith("<|im_start|>assistant\n")


def test_chat_template_kwargs_reach_apply_chat_template_as_verl_passes_them():
    class RecordingTokenizer:
        chat_template = "..."

        def apply_chat_template(self, messages, **kwargs):
            self.kwargs = kwargs
            return "rendered"

    tokenizer = RecordingTokenizer()
    assert build_prompt("x", "boxed", tokenizer, True, {"enable_thinking": False}) == "rendered"
    assert tokenizer.kwargs == {"tokenize": False, "add_generation_prompt": True, "enable_thinking": False}


def test_chat_template_off_gives_the_plain_user_text():
    prompt = build_prompt("What is 1+1?", "boxed", tokenizer=None, chat_template=False)
    assert prompt.startswith("What is 1+1?\n") and "\\boxed{}" in prompt and prompt.endswith("\n")


def test_chat_template_on_without_one_in_the_tokenizer_is_a_clear_error():
    with pytest.raises(ValueError, match="no chat template; use --chat-template off"):
        build_prompt("x", "boxed", tokenizer=object(), chat_template=True)


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_score_with_gold_field_scores_each_row(tmp_path: Path, capsys):
    path = _write(tmp_path, [{"out": "\\boxed{4}", "gt": "4"}, {"out": "\\boxed{5}", "gt": "4"}])
    assert main(["score", "--responses", str(path), "--response-field", "out", "--gold-field", "gt", "--workers", "1",
                 "--no-progress"]) == 0
    assert "| responses | 2 | 2 | 50.0 |" in capsys.readouterr().out


def test_score_row_missing_the_response_field_names_row_and_option(tmp_path: Path, capsys):
    path = _write(tmp_path, [{"response": "\\boxed{1}", "gold": "1"}, {"text": "\\boxed{1}", "gold": "1"}])
    assert main(["score", "--responses", str(path), "--gold-field", "gold", "--no-progress"]) == 2
    assert "responses.jsonl row 2: field 'response' (--response-field) is missing" in capsys.readouterr().err


def test_score_unknown_problem_id_of_a_benchmark_is_named(tmp_path: Path, benchmarks_dir: Path, capsys):
    path = _write(tmp_path, [{"id": "999", "response": "\\boxed{1}"}])
    args = ["score", "--responses", str(path), "--benchmark", "aime25", "--id-field", "id", "--data-dir",
            str(benchmarks_dir), "--no-progress"]
    assert main(args) == 2
    assert "row 1: benchmark 'aime25' has no problem with id '999'" in capsys.readouterr().err


def test_score_without_a_gold_source_says_which_options_to_give(tmp_path: Path, capsys):
    path = _write(tmp_path, [{"response": "\\boxed{1}"}])
    assert main(["score", "--responses", str(path)]) == 2
    assert "--gold-field, or --benchmark/--benchmark-field with --id-field" in capsys.readouterr().err


def test_score_malformed_json_line_is_named(tmp_path: Path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"response": "1", "gold": "1"}\n{oops\n')
    assert main(["score", "--responses", str(path), "--gold-field", "gold"]) == 2
    assert "bad.jsonl:2: invalid JSON" in capsys.readouterr().err


def test_run_with_an_unknown_benchmark_name_is_an_error_naming_it(tmp_path: Path, capsys):
    assert main(["run", "--model", "none", "--benchmarks", "aime24,mathh500", "--out", str(tmp_path)]) == 2
    assert "unknown benchmark 'mathh500'" in capsys.readouterr().err


def test_run_with_a_missing_benchmark_file_is_an_error_naming_it(tmp_path: Path, capsys):
    args = ["run", "--model", "none", "--benchmarks", "minerva", "--data-dir", str(tmp_path), "--out",
            str(tmp_path / "out"), "--backend", "hf"]
    assert main(args) == 2
    assert "benchmark 'minerva': file" in capsys.readouterr().err
