"""Rule-based math answer verification: extract the final answer of a response and judge it against a gold.

Verbs: ``extract_answer(response)``, ``is_equivalent(gold, answer)``, ``score(response, gold)``,
``score_batch(responses, golds, workers=N)``; every judgement is a ``Verdict(correct, answer, reason)``.

How an answer is judged (``rewards.compare``), first rule that applies wins:

1. normalised strings equal (``\\left``/``\\right``, ``\\dfrac``, spacing, ``\\text{}``, degrees, trailing units,
   ``$``, ``%`` removed) -> ``exact``;
2. choice letters ``(C)``, plain-word golds (``\\text{Evelyn}``), base-n numerals (``40_9`` needs base 9 and digits
   40; bare ``40`` counts as base 9) -> ``exact`` or ``wrong``;
3. plain numbers and arithmetic on them compare by exact value (``27.0`` = ``27``, ``025`` = ``25``,
   ``0.15`` = ``\\frac{3}{20}``, ``10,\\!080`` = ``10080``) -> ``numeric`` or ``wrong``;
4. ``x = 5`` and ``5`` compare their right-hand sides;
5. structures: comma lists, ``\\{...\\}`` and ``\\pm`` are sets (any order); ``(a, b)`` / ``[a, b)`` tuples and
   intervals compare in order with the same brackets; ``\\cup`` unions as sets of intervals; matrices cell by cell;
6. everything else goes to Math-Verify in a worker process under a hard time limit -> ``symbolic``, ``wrong``,
   ``parse_error`` or ``timeout``.

``import rewards`` does not import verl; the verl adapters live in ``rewards.verl_reward`` (custom reward function)
and ``rewards.verl_manager`` (the batched ``asyppo_math`` reward manager).
"""

from rewards.extract import extract_answer
from rewards.scoring import is_equivalent, score, score_batch
from rewards.verdict import Verdict

__all__ = ["Verdict", "extract_answer", "is_equivalent", "score", "score_batch"]
