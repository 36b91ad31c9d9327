"""Write problems as verl's RL parquet (the schema ``verl.utils.dataset.RLHFDataset`` reads).

Columns: ``data_source``; ``prompt`` (chat messages from the prompt template); ``ability`` (``"math"``);
``reward_model`` = ``{"style": "rule", "ground_truth": answer}``; ``extra_info`` = ``{"index": source row id,
"split", "problem": original problem, "source_id", "difficulty", "subject"}``. The schema is fixed and written
without pandas metadata, so the same rows always give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data_prep.records import Problem
from eval.prompts import PromptTemplate

ABILITY = "math"
SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        (
            "extra_info",
            pa.struct(
                [
                    ("index", pa.int64()),
                    ("split", pa.string()),
                    ("problem", pa.string()),
                    ("source_id", pa.string()),
                    ("difficulty", pa.float64()),
                    ("subject", pa.string()),
                ]
            ),
        ),
    ]
)


def verl_row(problem: Problem, template: PromptTemplate, split: str) -> dict:
    """One parquet row in verl's RL schema."""
    return {
        "data_source": problem.source,
        "prompt": template.messages(problem.problem),
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": problem.answer},
        "extra_info": {
            "index": problem.index,
            "split": split,
            "problem": problem.problem,
            "source_id": problem.source_id,
            "difficulty": problem.difficulty,
            "subject": problem.subject,
        },
    }


def write_parquet(problems: Sequence[Problem], template: PromptTemplate, split: str, path: str | Path) -> None:
    """Write ``problems`` in order to ``path`` (snappy, one row group per 10,000 rows)."""
    table = pa.Table.from_pylist([verl_row(problem, template, split) for problem in problems], schema=SCHEMA)
    pq.write_table(table, str(path), compression="snappy", row_group_size=10_000)
