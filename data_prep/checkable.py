"""Does a problem ask for one checkable final answer? Proofs and multi-part questions do not.

Rules (documented heuristics, deliberately conservative so ordinary problems are kept):

- proof: the problem says ``prove``, or starts a sentence with ``show that``/``demonstrate that``/``verify that``
  (so "the census continues to show that ..." is not a proof), or the answer is a proof placeholder (``proof``,
  ``QED``, ``see solution``...).
- multi-part: the problem has parts labelled ``(a)``, ``(b)``... or ``(i)``, ``(ii)``... (lower case in parentheses
  after whitespace or a line start, so ``f(a)`` and choices ``(A)``..``(E)`` do not count) and at least two parts
  each ask something (a ``?`` or find/compute/determine/calculate/evaluate/what/how...); parts that only list
  conditions, followed by one question, are one question. Or the answer is itself split into labelled parts
  (``(a) 3, (b) 5`` or ``a) 3; b) 5``).
"""

from __future__ import annotations

import re

_PROOF_PROBLEM = re.compile(
    r"\bprove\b|(?:^|[.!?:;]\s+)(?:show|demonstrate|verify)\s+that\b", re.IGNORECASE | re.MULTILINE
)
_PROOF_ANSWER = re.compile(
    r"^\s*(?:\\text\{)?\s*(?:proof|qed|see (?:the )?(?:solution|proof|explanation)|n/?a|none given)\W*$",
    re.IGNORECASE,
)
_PART_LABEL = re.compile(r"(?:^|\s)\((?:[a-h]|i{1,3}|iv|vi{0,3})\)\s")
_ASK = re.compile(
    r"\?|\b(?:find|compute|determine|calculate|evaluate|simplify|solve|express|what|how|which|show|prove)\b",
    re.IGNORECASE,
)
_ANSWER_PARTS = re.compile(r"(?:^|[\s,;])\(?(?:a|i)\)\s*\S.*(?:^|[\s,;])\(?(?:b|ii)\)\s*\S", re.DOTALL)


def single_answer_problem(problem: str, answer: str) -> str | None:
    """None when ``problem`` asks for one checkable answer, else the reason (``proof`` or ``multi_part``).

    ``("Prove that 2 is prime.", "proof")`` -> ``"proof"``; ``("(a) Find x. (b) Find y.", "3")`` -> ``"multi_part"``;
    ``("Find f(a) if a = 2.", "4")`` -> None.
    """
    if _PROOF_PROBLEM.search(problem) or _PROOF_ANSWER.match(answer):
        return "proof"
    parts = _PART_LABEL.split(problem)[1:]
    if sum(1 for part in parts if _ASK.search(part)) >= 2 or _ANSWER_PARTS.search(answer):
        return "multi_part"
    return None
