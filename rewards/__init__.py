"""Rule-based math answer verification: extract the final answer of a response and judge it against a gold.

Verbs: ``extract_answer(response)``, ``is_equivalent(gold, answer)``, ``score(response, gold)``,
``score_batch(responses, golds, workers=N)``; every judgement is a ``Verdict(correct, answer, reason, source)``.

Where the answer is read (``rewards.extract``; ``Verdict.source``), first that applies wins: a final-answer phrase
after the last box ("Final answer: 5": ``answer_phrase``) > the last ``\\boxed{}`` (``boxed``; for a gold with several
answers, several boxes together: ``boxes``) > an answer phrase ("The answer is 4.": ``answer_phrase``) > a GSM8K
``#### 18`` line (``gsm8k_marker``) > the last number of the last sentence (``fallback``; off with
``fallback=False``).

How an answer is judged (``rewards.compare``), first rule that applies wins:

1. normalised strings equal (``\\left``/``\\right``, ``\\dfrac``, spacing, ``\\text{}``, degrees, trailing units,
   ``$``, ``%`` removed) -> ``exact``;
2. choice letters ``(C)``, plain-word golds (``\\text{Evelyn}``), base-n numerals (``40_9`` needs base 9 and digits
   40; bare ``40`` counts as base 9) -> ``exact`` or ``wrong``;
3. plain numbers and arithmetic on them compare by exact value (``27.0`` = ``27``, ``025`` = ``25``,
   ``0.15`` = ``\\frac{3}{20}``, ``10,\\!080`` = ``10080``, ``14{,}916`` = ``14916``; ``32, 349`` is a list,
   ``3,5`` a decimal comma against a decimal) -> ``numeric``, ``wrong`` or ``inexact``; a decimal for a value with no
   finite decimal form (``0.0833333`` for ``\\frac{1}{12}``) -> ``approximate`` within a relative 5e-7;
4. ``x = 5`` and ``5`` compare their right-hand sides (an answer's left side is dropped only when the gold has no
   ``=``), ``(p, q) = (3, 2)`` golds take ``(3, 2)`` or ``p = 3, q = 2``;
5. structures: lists joined by ``,`` ``;`` "and" "or", ``\\{...\\}``, ``{...}`` and ``\\pm`` are sets (any order),
   and so are ``;``-separated groups of assignments (``p=5,q=2;p=7,q=2`` = ``(5, 2), (7, 2)``);
   ``(a, b)`` / ``[a, b)`` tuples and intervals compare in order with the same brackets, and an inequality on one
   unknown is its interval (``0 < f(x) < 1`` = ``(0, 1)``; ``1 \\le |z| \\le 2`` = ``[-2, -1] \\cup [1, 2]``);
   ``\\cup`` unions as sets of intervals; matrices cell by cell;
6. an atom SymPy cannot evaluate in time (nested deeper than 50 brackets, power towers, factorials above 10**6!,
   sums of more than 10**5 terms: ``rewards.limits``) -> ``too_large``, decided before SymPy sees it; atoms that
   differ in primes or accents (``E`` and ``E'``) -> ``wrong``; plainly different expressions found different in
   floating point (``rewards.sampling``, the verdict SymPy would reach) -> ``wrong`` or ``inexact``;
7. everything else is parsed by Math-Verify in a worker process under a hard time limit. Two numbers without
   unknowns are compared exactly (``rewards.exact``: SymPy must prove the difference zero; never an absolute
   tolerance, so ``\\frac{1}{101!}`` is not ``\\frac{1}{100!}``), with a relative tolerance only where a side is
   written as a decimal (``approximate``); other expressions, equations and inequalities go to Math-Verify, whose
   "equal" an exact check can overrule -> ``symbolic``, ``approximate``, ``wrong``, ``inexact``, ``parse_error``
   or ``timeout``.

A rejected pair whose values are within ``1e-6 * max(1, |value|)`` of each other is ``inexact`` rather than ``wrong``
(the near misses a float comparison would accept).

``import rewards`` does not import verl; the verl adapters live in ``rewards.verl_reward`` (custom reward function)
and ``rewards.verl_manager`` (the batched ``asyppo_math`` reward manager).
"""

from rewards.extract import extract_answer
from rewards.scoring import is_equivalent, score, score_batch
from rewards.verdict import Verdict

__all__ = ["Verdict", "extract_answer", "is_equivalent", "score", "score_batch"]
