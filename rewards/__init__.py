"""Rule-based math answer verification: extract the final answer of a response and judge it against a gold.

``import rewards`` does not import verl; the verl adapters live in ``rewards.verl_reward`` and
``rewards.verl_manager``.
"""

from rewards.extract import extract_answer
from rewards.scoring import is_equivalent, score, score_batch
from rewards.verdict import Verdict

__all__ = ["Verdict", "extract_answer", "is_equivalent", "score", "score_batch"]
