"""Sources: Hub adapters fed rows shaped like the real pools, local files with a column mapping, bad input."""

from __future__ import annotations

import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_prep.records import DataPrepError, Problem
from data_prep.sources import FieldMap, load_source

DAPO_PREFIX = (
    "Solve the following math problem step by step. The last line of your response should be of the form "
    "Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
)
DAPO_SUFFIX = '\n\nRemember to put your answer on its own line after "Answer:".'


@pytest.fixture
def fake_hub(monkeypatch):
    """Serve ``datasets.load_dataset(name, split=...)`` from in-memory rows; records the calls."""
    pools: dict[str, list[dict]] = {}
    calls = []

    def load_dataset(name, split=None, revision=None):
        calls.append((name, split, revision))
        if name not in pools:
            raise FileNotFoundError(f"Couldn't find '{name}' on the Hugging Face Hub")
        return datasets.Dataset.from_list(pools[name])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return pools, calls


def test_deepmath_adapter_reads_question_final_answer_difficulty_and_top_level_topic(fake_hub):
    pools, calls = fake_hub
    pools["zwhe99/DeepMath-103K"] = [
        {"question": "Evaluate $\\int_0^1 2x\\,dx$.", "final_answer": "1", "difficulty": 3.5,
         "topic": "Mathematics -> Calculus -> Integral Calculus -> Techniques of Integration", "r1_solution_1": "..."},
    ]
    loaded = load_source("zwhe99/DeepMath-103K", FieldMap())
    assert calls == [("zwhe99/DeepMath-103K", "train", None)]
    assert loaded.kind == "hub" and loaded.rows == 1
    assert loaded.problems == [
        Problem("zwhe99/DeepMath-103K", 0, "Evaluate $\\int_0^1 2x\\,dx$.", "1", difficulty=3.5, subject="Calculus")
    ]


def test_dapo_adapter_strips_the_answer_line_instruction(fake_hub):
    pools, _ = fake_hub
    pools["BytedTsinghua-SIA/DAPO-Math-17k"] = [
        {"data_source": "math_dapo", "prompt": [{"role": "user", "content": DAPO_PREFIX + "Find $x$ if $x+1=3$." +
                                                  DAPO_SUFFIX}],
         "ability": "MATH", "reward_model": {"ground_truth": "2", "style": "rule-lighteval/MATH_v2"},
         "extra_info": {"index": "9a9b6eb4-a1cb-49d1-8c1e-62eaf2f74079"}},
    ]
    (problem,) = load_source("BytedTsinghua-SIA/DAPO-Math-17k", FieldMap()).problems
    assert (problem.source, problem.index, problem.answer) == ("math_dapo", 0, "2")
    assert problem.problem == "Find $x$ if $x+1=3$."
    assert problem.source_id == "9a9b6eb4-a1cb-49d1-8c1e-62eaf2f74079"


def test_math_lighteval_adapter_takes_the_last_boxed_answer_and_level(fake_hub):
    pools, _ = fake_hub
    pools["DigitalLearningGmbH/MATH-lighteval"] = [
        {"problem": "What is $\\frac{1}{2}+\\frac{1}{2}$?", "level": "Level 2", "type": "Prealgebra",
         "solution": "First $\\boxed{2}$ is wrong; we get $\\boxed{\\frac{2}{2}} = 1$."},
        {"problem": "Broken.", "level": "Level ?", "type": "Algebra", "solution": "No box here."},
    ]
    loaded = load_source("DigitalLearningGmbH/MATH-lighteval", FieldMap())
    (problem,) = loaded.problems
    assert (problem.answer, problem.difficulty, problem.subject) == ("\\frac{2}{2}", 2.0, "Prealgebra")
    (dropped,) = loaded.dropped
    assert (dropped.reason, dropped.row) == ("invalid_row", 1) and "solution" in dropped.detail


def test_deepscaler_adapter_reads_problem_and_answer(fake_hub):
    pools, _ = fake_hub
    pools["agentica-org/DeepScaleR-Preview-Dataset"] = [{"problem": "Compute $3^2$.", "answer": "9", "solution": "9"}]
    (problem,) = load_source("agentica-org/DeepScaleR-Preview-Dataset", FieldMap()).problems
    assert (problem.problem, problem.answer, problem.difficulty) == ("Compute $3^2$.", "9", None)


def test_unknown_hub_name_without_field_mapping_is_a_clear_error(fake_hub):
    with pytest.raises(DataPrepError, match="neither an existing file nor a known Hub pool"):
        load_source("someone/unknown-pool", FieldMap())


def test_unknown_hub_dataset_loads_with_a_field_mapping(fake_hub):
    pools, _ = fake_hub
    pools["someone/pool"] = [{"q": "Compute $2+2$.", "a": 4}]
    (problem,) = load_source("someone/pool", FieldMap(problem="q", answer="a")).problems
    assert (problem.problem, problem.answer) == ("Compute $2+2$.", "4")


def test_hub_dataset_without_the_mapped_column_is_an_error_listing_its_columns(fake_hub):
    pools, _ = fake_hub
    pools["someone/pool"] = [{"question": "Compute $2+2$.", "a": 4}]
    with pytest.raises(DataPrepError, match=r"'someone/pool' lacks columns \['q'\]; it has \['question', 'a'\]"):
        load_source("someone/pool", FieldMap(problem="q", answer="a"))


def test_hub_load_failure_names_the_dataset(fake_hub):
    with pytest.raises(DataPrepError, match="cannot load Hub dataset 'zwhe99/DeepMath-103K'"):
        load_source("zwhe99/DeepMath-103K", FieldMap())


def test_jsonl_with_column_mapping_and_dotted_fields(tmp_path):
    path = tmp_path / "pool.jsonl"
    rows = [
        {"q": "Find $1+1$.", "meta": {"gold": 2.0, "lvl": "Level 1"}},
        {"q": "Find $1/2+1/4$.", "meta": {"gold": 0.75}},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    loaded = load_source(str(path), FieldMap(problem="q", answer="meta.gold", difficulty="meta.lvl"))
    assert [(p.source, p.index, p.answer, p.difficulty) for p in loaded.problems] == [
        ("pool", 0, "2", 1.0), ("pool", 1, "0.75", None)
    ]
    assert loaded.files[0]["path"] == str(path) and len(loaded.files[0]["sha256"]) == 64


def test_json_list_of_objects_is_read(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text(json.dumps([{"problem": "Find $2\\cdot 3$.", "answer": "6"}]))
    assert [p.answer for p in load_source(str(path), FieldMap()).problems] == ["6"]


def test_bad_rows_are_counted_with_row_and_field(tmp_path):
    path = tmp_path / "pool.jsonl"
    rows = [
        {"problem": "Fine $1+1$.", "answer": "2"},
        {"problem": "No answer."},
        {"problem": 42, "answer": "42"},
        {"problem": "Empty answer.", "answer": "  "},
        {"problem": "  Padded $1+2$.\n", "answer": 3},
        {"problem": "Two answers.", "answer": [1, 2]},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows))
    loaded = load_source(str(path), FieldMap())
    kept = [(p.index, p.problem, p.answer) for p in loaded.problems]
    assert kept == [(0, "Fine $1+1$.", "2"), (4, "Padded $1+2$.", "3")]
    assert [(d.row, d.detail) for d in loaded.dropped] == [
        (1, "field 'answer': answer is missing"),
        (2, "field 'problem': problem must be a string, got int 42"),
        (3, "field 'answer': answer is empty"),
        (5, "field 'answer': answer must be a string or number, got list [1, 2]"),
    ]


def test_strict_mode_raises_naming_file_row_and_field(tmp_path):
    path = tmp_path / "pool.jsonl"
    rows = [{"problem": "Fine.", "answer": "1"}, {"problem": None, "answer": "1"}]
    path.write_text("\n".join(json.dumps(row) for row in rows))
    with pytest.raises(DataPrepError, match=r"pool.jsonl, row 1, field 'problem': problem is missing"):
        load_source(str(path), FieldMap(), strict=True)


def test_broken_jsonl_line_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text('{"problem": "a", "answer": "1"}\n{"problem": "b", "answer": \n')
    with pytest.raises(DataPrepError, match=r"pool.jsonl:2: invalid JSON"):
        load_source(str(path), FieldMap())


def test_binary_jsonl_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(DataPrepError, match=r"pool.jsonl: not UTF-8 text"):
        load_source(str(path), FieldMap())


def test_broken_parquet_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "pool.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DataPrepError, match=r"pool.parquet: cannot read as parquet"):
        load_source(str(path), FieldMap())


def test_missing_mapped_field_is_an_error_listing_the_fields(tmp_path):
    path = tmp_path / "pool.parquet"
    pq.write_table(pa.Table.from_pylist([{"question": "Find 1.", "final": "1"}]), path)
    with pytest.raises(DataPrepError, match=r"field 'problem' not found; the file has final, question"):
        load_source(str(path), FieldMap())


def test_verl_schema_parquet_is_detected_without_a_mapping(math_pool):
    loaded = load_source(str(math_pool), FieldMap())
    first = loaded.problems[0]
    assert first.source == "DigitalLearningGmbH/MATH-lighteval" and first.index == 0
    assert first.problem.startswith("Let \\[f(x) = \\left\\{") and first.problem.endswith("from the paper).")
    assert (first.answer, first.difficulty, first.subject) == ("0", 5.0, "Algebra")
    assert loaded.rows == 400 and len(loaded.problems) == 398  # the sample keeps the two empty-gold rows


def test_missing_file_and_directory_are_clear_errors(tmp_path):
    with pytest.raises(DataPrepError, match="does not exist"):
        load_source(str(tmp_path / "nope.parquet"), FieldMap())
    with pytest.raises(DataPrepError, match="is a directory"):
        load_source(str(tmp_path), FieldMap())
