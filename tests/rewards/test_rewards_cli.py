"""Specification of ``python -m rewards``: the ``score`` and ``check`` commands and their input errors."""

from __future__ import annotations

import json

from rewards.cli import main


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_score_writes_each_row_with_its_verdict(tmp_path):
    source = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": 1, "response": r"so \boxed{40_9}", "gold": "40_9"}),
            json.dumps({"id": 2, "response": r"so \boxed{40_2}", "gold": "40_9"}),
            "",
            json.dumps({"id": 3, "response": "I am not sure", "gold": "7"}),
        ],
    )
    out = tmp_path / "out" / "scored.jsonl"
    assert main(["score", "--responses", str(source), "--out", str(out), "--workers", "1"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"id": 1, "response": r"so \boxed{40_9}", "gold": "40_9", "correct": True, "extracted_answer": "40_9",
         "reason": "exact", "answer_source": "boxed"},
        {"id": 2, "response": r"so \boxed{40_2}", "gold": "40_9", "correct": False, "extracted_answer": "40_2",
         "reason": "wrong", "answer_source": "boxed"},
        {"id": 3, "response": "I am not sure", "gold": "7", "correct": False, "extracted_answer": None,
         "reason": "no_answer", "answer_source": None},
    ]  # fmt: skip


def test_score_reads_custom_and_nested_fields(tmp_path):
    row = {"output": r"\boxed{25}", "reward_model": {"ground_truth": "025"}}
    source = _write(tmp_path / "in.jsonl", [json.dumps(row)])
    out = tmp_path / "out.jsonl"
    args = ["score", "--responses", str(source), "--out", str(out)]
    assert main(args + ["--response-field", "output", "--gold-field", "reward_model.ground_truth"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["correct"] is True


def test_bad_json_names_file_and_line(tmp_path, capsys):
    source = _write(tmp_path / "in.jsonl", [json.dumps({"response": "a", "gold": "1"}), "{not json"])
    assert main(["score", "--responses", str(source), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert f"{source}:2: invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_field_names_file_line_and_field(tmp_path, capsys):
    source = _write(tmp_path / "in.jsonl", [json.dumps({"response": r"\boxed{1}"})])
    assert main(["score", "--responses", str(source), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert f"{source}:1: missing field 'gold'" in capsys.readouterr().err


def test_missing_input_file_is_a_clear_error(tmp_path, capsys):
    assert main(["score", "--responses", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_check_prints_verdict_reason_and_where_the_answer_was_found(capsys):
    assert main(["check", "40_9", r"The answer is \boxed{40_2}"]) == 0
    assert capsys.readouterr().out.strip() == "incorrect (wrong); extracted answer: '40_2' (from boxed)"
    assert main(["check", "27.0", r"\boxed{27}"]) == 0
    assert capsys.readouterr().out.strip() == "correct (numeric); extracted answer: '27' (from boxed)"
    assert main(["check", "41", "12 + 29 = 41"]) == 0
    assert capsys.readouterr().out.strip() == "correct (exact); extracted answer: '41' (from fallback)"


def test_no_fallback_flag_reads_no_answer_from_a_bare_last_sentence(capsys):
    assert main(["check", "41", "12 + 29 = 41", "--no-fallback"]) == 0
    assert capsys.readouterr().out.strip() == "incorrect (no_answer); extracted answer: None (from nowhere)"


def test_last_box_only_flag_keeps_the_last_box_for_several_answers(capsys):
    assert main(["check", "2, 3", r"\boxed{2} and \boxed{3}", "--last-box-only"]) == 0
    assert capsys.readouterr().out.strip() == "incorrect (wrong); extracted answer: '3' (from boxed)"
