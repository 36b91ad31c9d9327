"""Find the final answer in a model response, and where it was found.

Precedence (the first that applies wins): a final-answer phrase after the last box ("\\boxed{255} ... Final Answer:
The final answer is $10,455$": the answer a response ends on is its answer) > the last ``\\boxed{}`` > an answer
phrase ("The answer is 4.", "Final Answer: ...", "answer: ...") > a GSM8K ``#### 18`` line > the fallback: the last
number (or final math) of the last sentence ("12 + 29 = 41"). ``Extraction.source`` records which rule found the
answer.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rewards.normalize import UNIT_WORDS

SOURCES = ("boxed", "boxes", "answer_phrase", "gsm8k_marker", "fallback")
"""Every value ``Extraction.source`` (and ``Verdict.source``) takes for a found answer (None when there is none).

- ``boxed``: the content of the last ``\\boxed{}`` / ``\\fbox{}``.
- ``boxes``: several boxes read together as one multi-part answer (see ``rewards.scoring``).
- ``answer_phrase``: the statement after the last "answer is" / "answer:" / "answer =" / "answers are".
- ``gsm8k_marker``: the number on the last line that reads ``#### 18``.
- ``fallback``: the lowest-priority reading, the last number of the last sentence (or the value after the last
  ``=`` of a math piece that ends it).
"""


class Extraction(NamedTuple):
    """The answer found in a response (None if none) and the rule that found it (one of ``SOURCES``, or None)."""

    answer: str | None
    source: str | None


NO_ANSWER = Extraction(None, None)
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)
_ANSWER_MARKER = re.compile(
    r"\banswers?\b[*_]*\s*(?::|=|\b(?:is|are|(?:would|will|should)\s+be)\b)[*_]*\s*:?", re.IGNORECASE
)
# GSM8K's "#### 18" closing line; a number alone on the line, so markdown headings ("#### Step 1") never match.
_GSM8K_ANSWER_LINE = re.compile(r"^[ \t]*####[ \t]*(-?\$?[\d,]*\.?\d+)[ \t]*$", re.MULTILINE)


def _last_box_start(text: str) -> tuple[int, int] | None:
    """(index of the last box command, index just after its name), or None when there is no box."""
    best: tuple[int, int] | None = None
    for command in _BOX_COMMANDS:
        start = text.rfind(command)
        while start != -1:
            end = start + len(command)
            if end >= len(text) or not text[end].isalpha():  # not e.g. \boxedx or \fboxsep
                break
            start = text.rfind(command, 0, start)
        if start != -1 and (best is None or start > best[0]):
            best = (start, start + len(command))
    return best


def _braced(text: str, open_index: int) -> str | None:
    """The content of the brace group opening at ``text[open_index] == "{"``; None if it never closes.

    Escaped braces ``\\{`` ``\\}`` do not count.
    """
    depth = 0
    for token in _BRACE_TOKENS.finditer(text, open_index):
        char = token.group(0)
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[open_index + 1 : token.start()]
    return None


def _boxed_content(text: str) -> tuple[bool, str | None, int]:
    """(found a box, its content, the index just after the box). Content is None for a box that is never closed."""
    located = _last_box_start(text)
    if located is None:
        return False, None, len(text)
    _, after = located
    rest = text[after:]
    stripped = rest.lstrip()
    opening = after + len(rest) - len(stripped)
    if stripped.startswith("{"):
        content = _braced(text, opening)
        return True, content, (len(text) if content is None else opening + len(content) + 2)
    match = re.match(r"[^\s$]+", stripped)  # the "\boxed 5" form: one token
    return True, (match.group(0) if match else None), opening + (match.end() if match else 0)


_BOX_OPENING = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])\s*\{")
_INLINE_MATH = re.compile(r"\$((?:\\.|[^$\\])+)\$")  # $...$; an escaped \$ inside does not close it
_MATH_PIECE = (  # $$...$$ and \\[...\\] may span lines; inline $...$ and \\(...\\) may not
    r"(?:\$\$(?:\\.|[^$\\])+\$\$|\$(?:\\.|[^$\\\n])+\$|\\\((?:(?!\\\))[^\n])+\\\)|\\\[(?:(?!\\\]).)+\\\])"
)
_LIST_SEPARATOR = r"\s*(?:,\s*(?:and|or)\b|,|;|\band\b|\bor\b)\s*"
_DOLLAR_LIST = re.compile(rf"\$[^$]+\$(?:{_LIST_SEPARATOR}\$[^$]+\$)+")
_TRAILING_MATH = re.compile(rf"({_MATH_PIECE}(?:{_LIST_SEPARATOR}{_MATH_PIECE})*)\W*$", re.DOTALL)
_NUMBER = (  # -5, 1,600, 3.5, .4, 3,5 and 0,111 (decimal commas), 3/4; never after a letter (AZYUK2A, x2)
    r"(?:(?<![\w)\]}.])-)?(?<![\w.,])\$?"
    r"(?:[1-9]\d{0,2}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+,(?:\d{1,2}|\d{4,})(?![\d,])|0,\d+|\d+(?:\.\d+)?|\.\d+)"
    r"(?:/\d+)?(?!\d|[.,]\d)"
)
_NUMBERS = re.compile(_NUMBER)
_TRAILING_NUMBERS = re.compile(rf"({_NUMBER}(?:{_LIST_SEPARATOR}{_NUMBER})*)%?[^\w$\\]*$")
_QUOTE = re.compile(r'\\?["“”]')
_RESTATEMENT = re.compile(r"(?<!,)\s\b(?:(?:which|that|it|this)\s+is|(?:which|that|it)['’]s)\b", re.IGNORECASE)
_RESTATED_NUMBER = re.compile(
    rf"^\s*({_NUMBER})\s*(?:[€£¥%]|(?:{UNIT_WORDS})(?:[²³]|\^\{{?\d\}}?)?)?[^\w$\\]*$"
)
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])(?!(?:and|or)(?:\b|(?=[A-Z])))[A-Za-z]{2,}")  # not "or" in 1orW(x)=-1
_QUALIFIER = re.compile(r"\b(?:not|no|never|least|most|than|between|except|unless|without)\b|n't\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_END_OF_TURN = re.compile(r"<\|(?:im_end|im_start|endoftext|eot_id|end_of_text|start_header_id)\|>")
MAX_STATEMENT_CHARS = 1000
"""A stated answer longer than this is kept whole (its end is not searched for math)."""


def _inner(piece: str) -> str:
    """The content of one math piece (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``)."""
    for left, right in (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$")):
        if piece.startswith(left) and piece.endswith(right) and len(piece) >= len(left) + len(right):
            return piece[len(left) : len(piece) - len(right)].strip()
    return piece.strip()


def _join_list(text: str, pieces_pattern: str) -> str:
    """``$5$ or $6$`` / ``3, 4 and 5`` -> ``5, 6`` / ``3, 4, 5``: the listed items joined by commas."""
    return ", ".join(_inner(piece.group(0)) for piece in re.finditer(pieces_pattern, text))


def _statement_answer(candidate: str) -> str | None:
    """``_stated_math`` with a computation reduced to its result (``11 + 6 = 17`` -> ``17``, see ``_result_of``)."""
    stated = _stated_math(candidate)
    if stated is None or len(stated) > MAX_STATEMENT_CHARS:
        return stated
    return _result_of(stated)


def _result_of(math: str) -> str:
    """The part after the last top-level ``=`` when everything before it is arithmetic on numbers (no letters
    outside LaTeX commands: ``12 + 29 = 41``, ``2^{5} = 32``); else ``math`` unchanged (``x = 5`` keeps its left
    side for the comparison rules)."""
    result = _after_last_equals(math)
    before = math[: len(math) - len(result)].rstrip().rstrip("=")
    if result == math or not result or re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", before)):
        return math
    return result


def _stated_math(candidate: str) -> str | None:
    """The answer stated in the text after an answer phrase, up to the end of its sentence.

    A statement that opens with math (``$(-6,6)$, $(2,6)$``, ``\\(7\\)``) gives that math. One without prose
    (``-50``, ``x = 5``, ``2 and 3``) is the answer as written. Prose ("The largest $n$ is 34") gives the math at its
    end: the trailing math pieces, else the trailing numbers (several, joined by "," / "and" / "or" / ";", form a
    list), else its last number, except where a qualifier makes that math no answer ("not 5", "at least 5",
    "3 more than 2": None); a prose statement without math is kept whole (word answers such as ``Evelyn``).
    """
    candidate = _QUOTE.sub("", candidate.replace("**", "")).strip()  # 'is "$12$ and $13$".': quotes frame it
    dollar_list = _DOLLAR_LIST.match(candidate)  # "$(-6,6)$, $(2,6)$": several math pieces form the answer
    if dollar_list:
        return _join_list(dollar_list.group(0), r"\$[^$]+\$") or None
    for left, right in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$")):
        if candidate.startswith(left) and right in candidate[len(left) :]:
            return candidate[len(left) : len(left) + candidate[len(left) :].index(right)].strip() or None
    inline = _INLINE_MATH.match(candidate)
    if inline:
        return inline.group(1).strip() or None
    candidate = re.split(r"(?<=[.!?])\s", candidate, maxsplit=1)[0]  # "5. I hope it is correct." -> "5."
    candidate = candidate.strip().rstrip(".!?").strip()
    prose = re.sub(_MATH_PIECE, " ", candidate)
    if len(candidate) <= MAX_STATEMENT_CHARS and _PROSE_WORD.search(prose):
        if _QUALIFIER.search(prose) and (_TRAILING_MATH.search(candidate) or _NUMBERS.search(candidate)):
            return _restated_number(candidate)  # "not 5", "at least 5": not the answer, unless restated after
        trailing_math = _TRAILING_MATH.search(candidate)
        if trailing_math:
            return _join_list(trailing_math.group(1), _MATH_PIECE) or None
        trailing_numbers = _TRAILING_NUMBERS.search(candidate)
        if trailing_numbers:
            return _join_list(trailing_numbers.group(1), _NUMBER)
        numbers = _NUMBERS.findall(candidate)
        if numbers:  # "Jane started growing it 3 hours ago" -> 3
            return numbers[-1]
    return candidate or None


def _restated_number(sentence: str) -> str | None:
    """The number a qualified sentence ends on after restating it ("not 10 which is 1,000.99€" -> ``1,000.99``,
    "it's not 10 it's 5 m²" -> ``5``): one number, with at most a currency sign or unit after it, following the last
    "which is" / "it's" / "that is" (not after a comma: "not 10, which is 12 dollars" describes the 10), with no
    qualifier after that phrase; else None ("it's 5, not 6", "which is at least 5", "which is 5 or 6")."""
    restatements = list(_RESTATEMENT.finditer(sentence))
    if not restatements:
        return None
    rest = sentence[restatements[-1].end() :]
    if _QUALIFIER.search(rest):
        return None
    match = _RESTATED_NUMBER.match(rest)
    return match.group(1) if match else None


def _after_last_equals(math: str) -> str:
    """``12 + 29 = 41`` -> ``41``: the part after the last top-level ``=`` (not one of ``<=``, ``>=``, ``!=``, ``==``),
    all of ``math`` when there is none."""
    depth, cut = 0, 0
    for index, char in enumerate(math):
        depth += char in "([{"
        depth -= char in ")]}"
        comparison = math[index - 1 : index] in ("<", ">", "!", "=") or math[index + 1 : index + 2] == "="
        if char == "=" and depth == 0 and not comparison:
            cut = index + 1
    return math[cut:].strip()


_BROKEN_MATH_END = re.compile(r"(?:^|\n)[ \t]*(?:\$|\\\)|\\\])[ \t]*$")
MAX_SKIPPED_SENTENCES = 3
"""The fallback passes over at most this many closing sentences without a number ("I hope it is correct.")."""


def _fallback_answer(response: str) -> str | None:
    """The lowest-priority reading of an answer, from the end of ``response``:

    a math piece that ends the response (``\\[ 9 \\]``, ``$12 + 29 = 41$.``); else the last sentence that has a
    number or math (passing over up to ``MAX_SKIPPED_SENTENCES`` closing sentences without one): all of it when it
    has no prose (``12 + 29 = 41``, ``\\frac{10}{9}``, ``1, 2, 3``), else the numbers that end it (a list when joined
    by "," / "and" / "or"), else its last math piece, else its last number.
    Computations give their result (``_result_of``). None when that sentence qualifies its number ("not", "at
    least", "than", ...) and does not restate it after ("not 10 which is 1,000.99€": ``_restated_number``), when
    the response ends with a line holding only a math delimiter (inline math that never closed on its line), or when
    there is nothing numeric.
    """
    tail = response.strip()[-2000:]
    ending_math = re.search(rf"({_MATH_PIECE})[\s.,;:!?]*$", tail, re.DOTALL)
    if ending_math:
        return _result_of(_inner(ending_math.group(1))) or None
    if _BROKEN_MATH_END.search(tail):
        return None  # "Answer $\n9\n$": the math piece never closed on its line
    sentences = [s.strip().replace("**", "") for s in _SENTENCE_END.split(tail) if s.strip()]
    for sentence in sentences[::-1][: MAX_SKIPPED_SENTENCES + 1]:
        math_pieces = re.findall(_MATH_PIECE, sentence)
        numbers = _NUMBERS.findall(sentence)
        if not math_pieces and not numbers:
            continue
        prose = re.sub(_MATH_PIECE, " ", sentence)
        if _QUALIFIER.search(prose):
            return _restated_number(sentence)
        if not _PROSE_WORD.search(prose) and len(sentence) <= MAX_STATEMENT_CHARS:
            return _result_of(sentence.rstrip(".!?;: ")) or None
        trailing_numbers = _TRAILING_NUMBERS.search(sentence)
        if trailing_numbers:  # "The roots are 1, 2 and 3." is a list, not its last number
            return _join_list(trailing_numbers.group(1), _NUMBER)
        if math_pieces:
            return _result_of(_inner(math_pieces[-1])) or None
        return numbers[-1]
    return None


def _stripped_or_none(content: str | None) -> str | None:
    return (content.strip() or None) if content is not None else None


def last_boxed(text: str) -> str | None:
    """The stripped content of the last ``\\boxed{...}`` / ``\\fbox{...}`` in ``text`` (nested braces balanced,
    escaped braces ignored); None when there is no box, it never closes, or it is empty."""
    return _stripped_or_none(_boxed_content(text)[1])


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stripped content) of every closed, non-empty top-level box, in order (a box inside another is
    part of it; scanning stops at a box that never closes)."""
    boxes, position = [], 0
    while (match := _BOX_OPENING.search(text, position)) is not None:
        content = _braced(text, match.end() - 1)
        if content is None:
            break
        position = match.end() + len(content) + 1
        if content.strip():
            boxes.append((match.start(), position, content.strip()))
    return boxes


def all_boxed(text: str) -> list[str]:
    """The stripped contents of every closed, non-empty ``\\boxed{...}`` / ``\\fbox{...}`` in ``text``, in order (a
    box inside another is part of it; scanning stops at a box that never closes)."""
    return [content for _, _, content in _boxes(text)]


MAX_LISTED_BOX_GAP_WORDS = 3
"""Boxes separated by at most this many words (``\\boxed{1} papers and \\boxed{2} bins``) list one answer's parts."""


def listed_boxes(text: str) -> list[str]:
    """The last box of ``text`` with the boxes listed right before it: each earlier box joins while the text between
    it and the next holds at most ``MAX_LISTED_BOX_GAP_WORDS`` words (``\\boxed{1} and \\boxed{2}`` -> both;
    ``\\boxed{1}`` followed by a paragraph and ``\\boxed{2}`` -> only the last)."""
    boxes = _boxes(text)
    if not boxes:
        return []
    run = [boxes[-1]]
    for box in boxes[-2::-1]:
        gap = re.sub(r"\\[A-Za-z]+", " ", text[box[1] : run[0][0]])
        if len(re.findall(r"[A-Za-z]+", gap)) > MAX_LISTED_BOX_GAP_WORDS:
            break
        run.insert(0, box)
    return [content for _, _, content in run]


def _statement_line(text: str, marker: re.Match) -> str:
    """The line that follows an answer phrase (the next line when "Answer:" ends its own line)."""
    rest = text[marker.end() :].lstrip(" \t:")
    line, _, following = rest.partition("\n")
    if not line.strip():
        line = following.strip().partition("\n")[0]
    return line


_FINAL_WORD = re.compile(r"\bfinal\W*$", re.IGNORECASE)
_STATES_MATH = re.compile(r"\d|\\[A-Za-z]|\$")


def _key(math: str) -> str:
    return re.sub(r"[\s$]", "", math)


def _is_final_marker(text: str, marker: re.Match) -> bool:
    """Whether an answer phrase declares the final answer: "Final answer: ...", "The final answer is ...",
    "Answer: ..." (a colon), rather than a remark such as "the answer is correct"."""
    return ":" in marker.group(0) or _FINAL_WORD.search(text[max(0, marker.start() - 20) : marker.start()]) is not None


def _final_statement(response: str, after: int) -> str | None:
    """The answer stated by the last final-answer phrase after index ``after`` (see ``_is_final_marker``): its math,
    or ``""`` when the statement qualifies its number ("Final answer: not 4, it is 5"), which leaves no answer; None
    when no such phrase follows or it states no math ("Final answer: see above"), so the box before it stands."""
    markers = [m for m in _ANSWER_MARKER.finditer(response, after) if _is_final_marker(response, m)]
    if not markers:
        return None
    line = _statement_line(response, markers[-1])
    if not _STATES_MATH.search(line):
        return None
    return _statement_answer(line) or ""


def final_statement(text: str) -> str | None:
    """The answer of the last final-answer phrase in ``text`` ("Final Answer: The final answer is $28\\%$." ->
    ``28\\%``), None when there is none or it states no math; for golds written as a worked solution."""
    return _final_statement(text, 0) or None


def extract(response: object, *, fallback: bool = True) -> Extraction:
    """The final answer in ``response`` and the rule that found it (see ``SOURCES``); ``NO_ANSWER`` if none.

    Rules, in order: a final-answer phrase ("Final answer: 5", "The final answer is $5$", "Answer: 5") after the last
    box that states math overrides the box (``answer_phrase``; a qualified statement such as "Final answer: not 4"
    leaves no answer); else the content of the last ``\\boxed{...}`` or ``\\fbox{...}`` (nested braces balanced;
    the ``\\boxed 5`` form takes one token); a response whose last box never closes (cut off) has no answer. Without a
    box, the statement after the last answer phrase ("answer is", "answer:", "answer =", "answers are") up to the end
    of its sentence (see ``_statement_answer``; an empty line after "Answer:" reads the next line); else the number
    on the last GSM8K-style ``#### 18`` line; else, when ``fallback`` is on, the last number of the last sentence
    (``_fallback_answer``). A chat-template token (``<|im_end|>``, ``<|im_start|>``, ``<|endoftext|>``, ...) ends the
    response: nothing after it is read. Anything but a ``str`` has no answer.
    """
    if not isinstance(response, str):
        return NO_ANSWER
    response = _END_OF_TURN.split(response, maxsplit=1)[0]
    found_box, content, box_end = _boxed_content(response)
    if found_box:
        answer = _stripped_or_none(content)
        final = _final_statement(response, box_end)
        if final is not None and (answer is None or _key(final) != _key(answer)):
            return Extraction(final, "answer_phrase") if final else NO_ANSWER  # it restates no box: it is the answer
        return Extraction(answer, "boxed") if answer is not None else NO_ANSWER
    markers = list(_ANSWER_MARKER.finditer(response))
    if markers:
        answer = _statement_answer(_statement_line(response, markers[-1]))
        if answer is not None:
            return Extraction(answer, "answer_phrase")
    gsm8k_lines = _GSM8K_ANSWER_LINE.findall(response)
    if gsm8k_lines:
        return Extraction(gsm8k_lines[-1], "gsm8k_marker")
    if fallback:
        answer = _fallback_answer(response)
        if answer is not None:
            return Extraction(answer, "fallback")
    return NO_ANSWER


def extract_answer(response: object, *, fallback: bool = True) -> str | None:
    """The final answer in ``response``, or None (``extract(response, fallback=fallback).answer``)."""
    return extract(response, fallback=fallback).answer
