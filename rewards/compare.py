"""Decide whether an answer equals a gold: structure first (sets, tuples, intervals, matrices), then atoms.

Atoms are settled by the fast rules (normalised string, choice letter, text answer, base-n numeral, plain number,
``x = ...`` assignment) where they apply; the rest go to an injected ``symbolic`` callback (Math-Verify in a worker
process). Without a callback such atoms stay undecided (``Outcome.correct is None``), which is how the parent process
finds the pairs it must send to the worker pool.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from rewards.arithmetic import evaluate
from rewards.intervals import absolute_value_union, as_interval, has_inequality
from rewards.limits import too_large
from rewards.normalize import clean_latex, key, to_number
from rewards.sampling import MARGIN, certain_difference

Symbolic = Callable[[str, str], "Outcome | None"]
"""(gold, answer) as cleaned LaTeX -> their outcome, or None when either side cannot be parsed."""

MAX_FAST_CHARS = 2000
"""Answers longer than this are only compared as normalised strings (never parsed)."""
MAX_SET_SIZE = 64
"""Sets with more elements than this are compared in order instead of by matching."""
MAX_PM = 4
"""Most ``\\pm`` signs expanded in one element (2**4 = 16 values)."""
RELATIVE_TOLERANCE = 5e-7
"""Decimals (``0.0833333`` for ``\\frac{1}{12}``, ``1.414214`` for ``\\sqrt{2}``) equal a value that has no finite
decimal form when ``|a - b| <= 5e-7 * max(|a|, |b|)``: Math-Verify's rounding to 6 decimal places, made relative to
the magnitude instead of absolute. The symbolic path (``rewards.exact``) uses the same value."""
NEAR_MISS = 10**6
"""Different values within ``max(1, |gold|, |answer|) / 10**6`` of each other (what a float comparison with an absolute
tolerance, like Math-Verify's, accepts) are reported ``inexact`` rather than ``wrong``."""
_MAX_DEPTH = 12
_REASON_RANK = {"exact": 0, "numeric": 1, "symbolic": 2, "approximate": 3}


@dataclass(frozen=True)
class Outcome:
    """``correct`` is None when only the symbolic path can decide; ``reason`` is a ``Verdict`` reason."""

    correct: bool | None
    reason: str


UNDECIDED = Outcome(None, "symbolic")
WRONG = Outcome(False, "wrong")
TOO_LARGE = Outcome(False, "too_large")

_CHOICE_GOLD = re.compile(r"^\(([A-E])\)$")
_CHOICE_ANSWER = re.compile(r"^\(?([A-Ea-e])(?:\)|$)")
_WORD = re.compile(r"^[A-Za-z]{3,}(?: [A-Za-z]+)*$")
_BASE_N = re.compile(r"^([0-9A-Za-z]+)_\{?(\d+)\}?$")
_ALNUM = re.compile(r"^[0-9A-Za-z]+$")
_SCRIPT = r"(?:\{[^{}=]*\}|\\?[A-Za-z0-9])"
_ASSIGNMENT = re.compile(
    rf"^\s*((?:[A-Za-z]|\\[A-Za-z]+)(?:_{_SCRIPT})?(?:\^{_SCRIPT})?(?:\s*\([^()=]*\))?)\s*=\s*([^=]+)$"
)
_VARIABLE = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]))?"
_SINGLE_ASSIGNMENT = re.compile(rf"^\s*({_VARIABLE})\s*=\s*([^=]+)$")
_TUPLE_ASSIGNMENT = re.compile(rf"^\s*\(\s*({_VARIABLE}(?:\s*,\s*{_VARIABLE})+)\s*\)\s*=\s*([^=]+)$")
_LIST_COMMA = re.compile(r",\s")  # "32, 349" is a list; thousands separators have no space after the comma
_DECIMAL_COMMA = re.compile(r"^-?(?:\d+,(?:\d{1,2}|\d{4,})|0,\d+)$")  # 3,5 and 0,111: not thousands groups
_DECIMAL_POINT = re.compile(r"^-?\d*\.\d+$")
_LIST_SEPARATOR = re.compile(r",|;|\s(?:and|or)\s|(?<=[\d)\]}])\s*(?:and|or)(?=\s*[(\[{A-Z\d-])")
"""List separators: commas, semicolons, and "and"/"or" between spaces or right after a number or bracket
(``(11,7)or(7,11)``, ``W(x)=1orW(x)=-1``, where spaces were stripped)."""
_OR = re.compile(r"\sor\s")
_TUPLE_SEPARATOR = re.compile(r"[,;]")
_MATRIX = re.compile(r"^\\begin\{([pbBv]?matrix)\}((?:(?!\\(?:begin|end)\{).)*)\\end\{\1\}$", re.DOTALL)
_OPENERS = "([{"
_CLOSERS = ")]}"


def compare(gold: str, answer: str, symbolic: Symbolic | None = None) -> Outcome:
    """Compare raw gold and answer strings (LaTeX or plain text)."""
    if len(answer) > MAX_FAST_CHARS or len(gold) > MAX_FAST_CHARS:
        return Outcome(True, "exact") if key(gold) == key(answer) else WRONG
    gold_clean, answer_clean = clean_latex(gold), clean_latex(answer)
    if not key(gold_clean):
        return Outcome(False, "parse_error")
    return _compare(gold_clean, answer_clean, symbolic, 0)


@functools.lru_cache(maxsize=4096)
def answer_count(text: str) -> int:
    """How many answers ``text`` lists: the elements of a set (``1, 2``, ``\\{1, 2\\}``, ``3 \\pm 1``), else 1."""
    if len(text) > MAX_FAST_CHARS:
        return 1
    structure = _structure(clean_latex(text))
    return len(structure[1]) if structure is not None and structure[0] == "set" else 1


def _compare(gold: str, answer: str, symbolic: Symbolic | None, depth: int) -> Outcome:
    gold_key, answer_key = key(gold), key(answer)
    if not answer_key:
        return WRONG
    if gold_key == answer_key and _is_list(gold) == _is_list(answer):
        return Outcome(True, "exact")
    if depth > _MAX_DEPTH:
        return Outcome(False, "parse_error")
    rules = [_compare_choice, _compare_word, _compare_base_n]
    if not (_LIST_COMMA.search(gold) or _LIST_COMMA.search(answer)):  # "32, 349" is a list, not 32349
        rules.append(_compare_numbers)
    for rule in rules:
        outcome = rule(gold_key, answer_key)
        if outcome is not None:
            return outcome
    outcome = _compare_assignment(gold, answer, symbolic, depth)
    if outcome is not None:
        return outcome
    gold, answer = absolute_value_union(gold) or gold, absolute_value_union(answer) or answer  # 1 <= |z| <= 2
    gold_interval, answer_interval = as_interval(gold), as_interval(answer)
    if gold_interval and answer_interval and gold_interval.unknown != answer_interval.unknown:
        return WRONG
    if (gold_interval is None and has_inequality(gold)) or (answer_interval is None and has_inequality(answer)):
        gold_interval = answer_interval = None  # "-x > -1": both stay relations for the symbolic path
    gold = gold_interval.text if gold_interval else gold  # "0 < f(x) < 1" compares as "(0, 1)"
    answer = answer_interval.text if answer_interval else answer
    gold_structure, answer_structure = _structure(gold), _structure(answer)
    if gold_structure is None and answer_structure is None:
        return _compare_atoms(gold, answer, symbolic)
    if gold_structure is None or answer_structure is None or gold_structure[0] != answer_structure[0]:
        if "matrix" in (gold_structure or ("",))[0] or "matrix" in (answer_structure or ("",))[0]:
            return _compare_atoms(gold, answer, symbolic)  # a vector may be written as a tuple
        return WRONG
    return _compare_structures(gold_structure, answer_structure, symbolic, depth)


def _is_list(text: str) -> bool:
    """Whether commas in ``text`` separate a list (``1, 600``) rather than thousands (``1,600``)."""
    return "," in text and (_LIST_COMMA.search(text) is not None or to_number(key(text)) is None)


def _compare_choice(gold_key: str, answer_key: str) -> Outcome | None:
    """Gold ``(C)``: the answer's choice letter (``C``, ``(C)``, ``(C) 12``) must be the same letter."""
    gold_match = _CHOICE_GOLD.match(gold_key)
    if not gold_match:
        return None
    answer_match = _CHOICE_ANSWER.match(answer_key)
    same = bool(answer_match) and answer_match.group(1).upper() == gold_match.group(1).upper()
    return Outcome(True, "exact") if same else WRONG


def _compare_word(gold_key: str, answer_key: str) -> Outcome | None:
    """A gold that is a plain word (``Evelyn``, ``east``) matches the same word in any letter case."""
    if not _WORD.match(gold_key):
        return None
    return Outcome(True, "exact") if gold_key.lower() == answer_key.lower() else WRONG


def _base_n(text: str) -> tuple[str, int] | None:
    """(digits, base) for a numeral like ``40_9`` / ``1011_{2}`` whose digits are valid in its base (2-36)."""
    match = _BASE_N.match(text)
    if not match:
        return None
    digits, base = match.group(1).lower(), int(match.group(2))
    if not 2 <= base <= 36 or any(int(d, 36) >= base for d in digits):
        return None
    return digits.lstrip("0") or "0", base


def _compare_base_n(gold_key: str, answer_key: str) -> Outcome | None:
    """Base-n numerals compare base and digits; bare digits count as written in the gold's base."""
    gold_numeral, answer_numeral = _base_n(gold_key), _base_n(answer_key)
    if gold_numeral is None and answer_numeral is None:
        return None
    if gold_numeral is None:
        digits, base = answer_numeral
        return _compare_numbers(gold_key, digits) if base == 10 else WRONG
    if answer_numeral is None:
        if not _ALNUM.match(answer_key):
            return WRONG
        answer_numeral = (answer_key.lower().lstrip("0") or "0", gold_numeral[1])
    return Outcome(True, "exact") if answer_numeral == gold_numeral else WRONG


def _compare_numbers(gold_key: str, answer_key: str) -> Outcome | None:
    """Two plain numbers, or arithmetic on them, compare by exact value (``27.0`` == ``27``,
    ``0.15`` == ``\\frac{3}{20}``, ``2^{10}`` == ``1024``). A decimal comma (``3,5``: a group of other than three
    digits, or ``0,111``) reads as a decimal point when the other side is a decimal written with one (``3.5``).
    A decimal standing for a value that no decimal writes exactly (``0.0833333`` for ``\\frac{1}{12}``) is
    ``approximate`` within ``RELATIVE_TOLERANCE``, as in ``rewards.exact``; a value with a finite decimal form must
    be written exactly."""
    gold_value, answer_value = evaluate(gold_key), evaluate(answer_key)
    if gold_value is None and _DECIMAL_COMMA.match(gold_key) and _DECIMAL_POINT.match(answer_key):
        gold_value = to_number(gold_key.replace(",", "."))
    if answer_value is None and _DECIMAL_COMMA.match(answer_key) and _DECIMAL_POINT.match(gold_key):
        answer_value = to_number(answer_key.replace(",", "."))
    if gold_value is None or answer_value is None:
        return None
    if gold_value == answer_value:
        return Outcome(True, "numeric")
    gap, scale = abs(gold_value - answer_value), max(abs(gold_value), abs(answer_value))
    if _rounds(gold_key, answer_value) or _rounds(answer_key, gold_value):
        if gap <= Fraction(RELATIVE_TOLERANCE) * scale:
            return Outcome(True, "approximate")
    return different(gap, scale)


def _rounds(decimal_key: str, exact: Fraction) -> bool:
    """Whether ``decimal_key`` is a decimal (``0.0833333``) standing for ``exact``, a value no decimal writes exactly
    (its denominator has a prime factor other than 2 and 5, such as ``\\frac{1}{12}``)."""
    if not _DECIMAL_POINT.match(decimal_key):
        return False
    denominator = exact.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator != 1


def different(gap: object, scale: object) -> Outcome:
    """The outcome of two values found different: ``inexact`` when ``gap <= max(1, scale) / NEAR_MISS``, else
    ``wrong`` (``gap`` and ``scale`` are nonnegative numbers of any exact or arbitrary-precision type)."""
    return Outcome(False, "inexact" if gap * NEAR_MISS <= max(1, scale) else "wrong")


def _compare_assignment(gold: str, answer: str, symbolic: Symbolic | None, depth: int) -> Outcome | None:
    """Assignments (``x = 5``, ``(p, q) = (3, 2)``) against plain answers compare right-hand sides.

    The gold's left side may be dropped (``x = 5`` vs ``5``); the answer's only when the gold has no ``=`` at all
    (``z = 5`` vs ``x + y = 5`` stays an equation for the symbolic path). Two assignments need the same left side.
    ``p = 3, q = 2`` answers the gold ``(p, q) = (3, 2)`` as the tuple ``(3, 2)``.
    """
    gold_match = _ASSIGNMENT.match(gold) or _TUPLE_ASSIGNMENT.match(gold)
    answer_match = _ASSIGNMENT.match(answer) or _TUPLE_ASSIGNMENT.match(answer)
    if gold_match is None and answer_match is None:
        return None
    if gold_match is not None and answer_match is not None:
        if not _same_left_side(gold_match, answer_match):
            return None
        return _compare(gold_match.group(2).strip(), answer_match.group(2).strip(), symbolic, depth + 1)
    if gold_match is not None:
        if "=" not in answer:
            return _compare(gold_match.group(2).strip(), answer, symbolic, depth + 1)
        as_tuple = _assignments_as_tuple(gold_match, answer)
        return None if as_tuple is None else _compare(gold_match.group(2).strip(), as_tuple, symbolic, depth + 1)
    if "=" in gold:
        return None
    return _compare(gold, answer_match.group(2).strip(), symbolic, depth + 1)


_FUNCTION_OF_ONE = re.compile(r"^([A-Za-z])\(([A-Za-z])\)$")


def _same_left_side(gold_match: re.Match, answer_match: re.Match) -> bool:
    """Whether two assignments assign the same thing: equal left sides, or the same function of one variable with
    right sides free of letters (``W(x) = 1`` and ``W(n) = 1``: the argument's name is a dummy)."""
    gold_left, answer_left = key(gold_match.group(1)), key(answer_match.group(1))
    if gold_left == answer_left:
        return True
    gold_call, answer_call = _FUNCTION_OF_ONE.match(gold_left), _FUNCTION_OF_ONE.match(answer_left)
    if gold_call is None or answer_call is None or gold_call.group(1) != answer_call.group(1):
        return False
    rights = (gold_match.group(gold_match.re.groups), answer_match.group(answer_match.re.groups))
    return not any(re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", right)) for right in rights)


def _assignments_as_tuple(gold_match: re.Match, answer: str) -> str | None:
    """``p = 3, q = 2`` as ``(3, 2)`` in the order of the gold's ``(p, q) = ...``; None unless the answer assigns
    exactly the gold's variables, each once."""
    if gold_match.re is not _TUPLE_ASSIGNMENT:
        return None
    variables = [key(v) for v in gold_match.group(1).split(",")]
    values = {}
    for part in _split_top_level(answer, ","):
        match = _ASSIGNMENT.match(part)
        if match is None or key(match.group(1)) in values:
            return None
        values[key(match.group(1))] = match.group(2).strip()
    if sorted(values) != sorted(variables):
        return None
    return "(" + ", ".join(values[v] for v in variables) + ")"


def _compare_atoms(gold: str, answer: str, symbolic: Symbolic | None) -> Outcome:
    """The symbolic path for two atoms; ``too_large`` (``rewards.limits``) without it for a side SymPy cannot
    evaluate in time, ``wrong`` without it when the two differ in their primes or accents or are plainly different
    in floating point."""
    if too_large(answer) or too_large(gold):
        return TOO_LARGE
    if _marks(gold) != _marks(answer):
        return WRONG  # E and E', x and \bar{x}: a prime or accent is part of the answer
    refuted = _refuted_in_floats(gold, answer)
    if refuted is not None:
        return refuted
    if symbolic is None:
        return UNDECIDED
    outcome = symbolic(gold, answer)
    return Outcome(False, "parse_error") if outcome is None else outcome


def _refuted_in_floats(gold: str, answer: str) -> Outcome | None:
    """The outcome the symbolic path would reach for two plainly different expressions (``rewards.sampling``), found
    without SymPy: ``wrong``, or ``different(gap, scale)`` for two numbers unless the gap is near its ``inexact``
    boundary; None when only the symbolic path can tell."""
    difference = certain_difference(gold, answer)
    if difference is None:
        return None
    if difference.gap is None:
        return WRONG
    boundary = max(1.0, difference.scale) / NEAR_MISS
    if boundary / MARGIN <= difference.gap <= boundary * MARGIN:
        return None
    return different(difference.gap, difference.scale)


_MARK = re.compile(
    r"'|\\(?:prime|hat|widehat|bar|overline|tilde|widetilde|vec|dot|ddot|check|breve|acute|grave)(?![A-Za-z])"
)


def _marks(text: str) -> list[str]:
    """The primes and accents written in ``text``, sorted (SymPy's parser drops them: ``E'`` would read as ``E``)."""
    return sorted(_MARK.findall(text))


def _split_top_level(text: str, separator: str | re.Pattern) -> list[str]:
    """Split at ``separator`` (a string or a pattern) where no bracket of any kind is open (interval brackets may be
    mixed)."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(text):
        char = text[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
        elif depth == 0:
            if isinstance(separator, str):
                end = index + len(separator) if text.startswith(separator, index) else -1
            else:
                found = separator.match(text, index)
                end = found.end() if found else -1
            if end > index:
                parts.append(text[start:index])
                start = index = end
                continue
        index += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _encloses(text: str) -> bool:
    """Whether the first character opens a bracket that the last character closes."""
    depth = 0
    for index, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


def _expand_pm(element: str) -> list[str]:
    """``a \\pm b`` -> [``a + b``, ``a - b``] (each top-level ``\\pm``/``\\mp`` doubles the list; more than
    ``MAX_PM`` of them are left unexpanded)."""
    if element.count("\\pm") + element.count("\\mp") > MAX_PM:
        return [element]
    for sign, first, second in (("\\pm", "+", "-"), ("\\mp", "-", "+")):
        parts = _split_top_level(element, sign)
        if len(parts) > 1:
            rest = sign.join(parts[1:])
            return _expand_pm(f"{parts[0]} {first} {rest}") + _expand_pm(f"{parts[0]} {second} {rest}")
    return [element]


Structure = tuple[str, list]
"""(kind, elements): kind is ``set``, ``union``, ``matrix`` or ``tuple<open><close>``."""


def _assignment_groups(text: str) -> list[str] | None:
    """``p=5,q=2;p=7,q=2`` -> [``(5, 2)``, ``(7, 2)``]: groups separated by ``;`` that each assign the same variables
    in the same order, read as one tuple per group; None for anything else."""
    groups = _split_top_level(text, ";")
    if len(groups) < 2:
        return None
    tuples, names = [], None
    for group in groups:
        matches = [_SINGLE_ASSIGNMENT.match(part) for part in _split_top_level(group, ",")]
        if len(matches) < 2 or not all(matches):
            return None
        group_names = [key(m.group(1)) for m in matches]
        if names is not None and group_names != names:
            return None
        names = group_names
        tuples.append("(" + ", ".join(m.group(2).strip() for m in matches) + ")")
    return tuples if len(set(names)) == len(names) else None


def _structure(text: str) -> Structure | None:
    """The composite an answer denotes, or None for an atom."""
    matrix = _MATRIX.match(text)
    if matrix:
        rows = [row for row in re.split(r"\\\\", matrix.group(2)) if row.strip()]
        return "matrix", [[cell.strip() for cell in row.split("&")] for row in rows]
    union = _split_top_level(text, "\\cup")
    if len(union) > 1:
        return "union", union
    alternatives = [as_interval(part) for part in _split_top_level(text, _OR)]
    if len(alternatives) > 1 and all(alternatives) and len({a.unknown for a in alternatives}) == 1:
        return "union", [a.text for a in alternatives]  # "x < 0 or x > 1"
    groups = _assignment_groups(text)
    if groups is not None:
        return "set", groups  # p=5,q=2;p=7,q=2
    if text.startswith("\\{") and text.endswith("\\}"):
        return "set", _list_elements(text[2:-2])
    if len(text) >= 2 and text[0] in "([" and text[-1] in ")]" and _encloses(text):
        elements = _split_top_level(text[1:-1], _TUPLE_SEPARATOR)  # (0, 1) or (0; 1)
        if len(elements) > 1:
            return f"tuple{text[0]}{text[-1]}", elements
        return None
    if text.startswith("{") and text.endswith("}") and _encloses(text) and len(_list_elements(text[1:-1])) > 1:
        return "set", _list_elements(text[1:-1])  # {-2021, 2021}: plain braces around a list
    if not _LIST_COMMA.search(text) and to_number(key(text)) is not None:
        return None  # 1,600: one number with a thousands separator
    elements = _list_elements(text)
    if len(elements) > 1:
        return "set", elements
    return None


def _list_elements(text: str) -> list[str]:
    """The elements of a list joined by ``,`` ``;`` "and" "or", each ``\\pm`` expanded."""
    return [e for part in _split_top_level(text, _LIST_SEPARATOR) for e in _expand_pm(part)]


def _combine(outcomes: list[Outcome]) -> Outcome:
    """All equal -> the strongest reason used; any different -> ``inexact`` if every difference is one, else wrong;
    else undecided."""
    differences = [o for o in outcomes if o.correct is False]
    if differences:
        return differences[0] if all(o.reason == "inexact" for o in differences) else WRONG
    if any(o.correct is None for o in outcomes):
        return UNDECIDED
    return Outcome(True, max((o.reason for o in outcomes), key=_REASON_RANK.__getitem__, default="exact"))


def _compare_structures(gold: Structure, answer: Structure, symbolic: Symbolic | None, depth: int) -> Outcome:
    kind, gold_elements = gold
    answer_elements = answer[1]
    if kind == "matrix":
        if [len(r) for r in gold_elements] != [len(r) for r in answer_elements]:
            return WRONG
        gold_cells = [cell for row in gold_elements for cell in row]
        answer_cells = [cell for row in answer_elements for cell in row]
        return _combine([_compare(g, a, symbolic, depth + 1) for g, a in zip(gold_cells, answer_cells, strict=True)])
    if kind in ("set", "union"):
        answer_elements = _without_repeats(gold_elements, answer_elements)
    if len(gold_elements) != len(answer_elements):
        return WRONG
    if kind.startswith("tuple") or len(gold_elements) > MAX_SET_SIZE:
        pairs = zip(gold_elements, answer_elements, strict=True)
        return _combine([_compare(g, a, symbolic, depth + 1) for g, a in pairs])
    return _match_sets(gold_elements, answer_elements, symbolic, depth)


def _without_repeats(gold: list[str], answer: list[str]) -> list[str]:
    """``answer`` with elements written identically to an earlier one dropped, when the gold's elements are all
    written differently (a set); a gold that repeats an element (a multiset such as a double root) keeps them."""
    if len({key(g) for g in gold}) < len(gold):
        return answer
    return list({key(a): a for a in reversed(answer)}.values())[::-1]


def _match_sets(gold: list[str], answer: list[str], symbolic: Symbolic | None, depth: int) -> Outcome:
    """Unordered comparison: a perfect matching of equal elements (bipartite matching; pairs compared lazily)."""
    table: dict[tuple[int, int], Outcome] = {}

    def pair(row: int, column: int) -> Outcome:
        if (row, column) not in table:
            table[row, column] = _compare(gold[row], answer[column], symbolic, depth + 1)
        return table[row, column]

    if _has_perfect_matching(len(gold), pair, lambda o: o.correct is True):
        used = [o for o in table.values() if o.correct]
        return Outcome(True, max((o.reason for o in used), key=_REASON_RANK.__getitem__, default="exact"))
    if _has_perfect_matching(len(gold), pair, lambda o: o.correct is not False):
        return UNDECIDED
    return WRONG


def _has_perfect_matching(size: int, pair: Callable[[int, int], Outcome], usable: Callable[[Outcome], bool]) -> bool:
    """Kuhn's augmenting paths on a ``size`` x ``size`` bipartite graph whose edges are the usable pairs."""
    match_of_answer: dict[int, int] = {}

    def augment(row: int, seen: set[int]) -> bool:
        for column in range(size):
            if column in seen or not usable(pair(row, column)):
                continue
            seen.add(column)
            if column not in match_of_answer or augment(match_of_answer[column], seen):
                match_of_answer[column] = row
                return True
        return False

    return all(augment(row, set()) for row in range(size))
