"""Find the final answer in a model response: the last ``\\boxed{}``, else a "final answer is" / "Answer:" /
GSM8K ``#### X`` line."""

from __future__ import annotations

import re

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)
_ANSWER_MARKER = re.compile(r"final answer is|answer\s*:", re.IGNORECASE)
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


def _boxed_content(text: str) -> tuple[bool, str | None]:
    """(found a box, its content). Content is None for a box that is never closed."""
    located = _last_box_start(text)
    if located is None:
        return False, None
    _, after = located
    rest = text[after:]
    stripped = rest.lstrip()
    if stripped.startswith("{"):
        return True, _braced(text, after + len(rest) - len(stripped))
    match = re.match(r"[^\s$]+", stripped)  # the "\boxed 5" form: one token
    return True, (match.group(0) if match else None)


_INLINE_MATH = re.compile(r"\$((?:\\.|[^$\\])+)\$")  # $...$; an escaped \$ inside does not close it
_DOLLAR_LIST = re.compile(r"\$[^$]+\$(?:\s*,\s*(?:and\s+)?\$[^$]+\$)+")


def _clean_line_answer(candidate: str) -> str | None:
    candidate = candidate.strip()
    dollar_list = _DOLLAR_LIST.match(candidate)  # "$(-6,6)$, $(2,6)$": several math pieces form the answer
    if dollar_list:
        return dollar_list.group(0).replace("$", "").replace(" and ", " ").strip() or None
    for left, right in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$")):
        if candidate.startswith(left) and right in candidate[len(left) :]:
            candidate = candidate[len(left) : len(left) + candidate[len(left) :].index(right)]
            break
    else:
        inline = _INLINE_MATH.match(candidate)
        if inline:
            candidate = inline.group(1)
    candidate = re.split(r"\.\s", candidate, maxsplit=1)[0]  # "5. I hope it is correct." -> "5"
    candidate = candidate.strip().rstrip(".").strip()
    return candidate or None


def _stripped_or_none(content: str | None) -> str | None:
    return (content.strip() or None) if content is not None else None


def last_boxed(text: str) -> str | None:
    """The stripped content of the last ``\\boxed{...}`` / ``\\fbox{...}`` in ``text`` (nested braces balanced,
    escaped braces ignored); None when there is no box, it never closes, or it is empty."""
    return _stripped_or_none(_boxed_content(text)[1])


def extract_answer(response: object) -> str | None:
    """The final answer in ``response``, or None.

    Rules, in order: the content of the last ``\\boxed{...}`` or ``\\fbox{...}`` (nested braces balanced; the
    ``\\boxed 5`` form takes one token); a response whose last box never closes has no answer. Without a box, the
    text after the last "final answer is" or "Answer:" up to the end of that line (surrounding ``$``/``\\(``
    delimiters and a trailing period removed); else the number on the last GSM8K-style ``#### 18`` line. Anything
    but a ``str`` has no answer.
    """
    if not isinstance(response, str):
        return None
    found_box, content = _boxed_content(response)
    if found_box:
        return _stripped_or_none(content)
    markers = list(_ANSWER_MARKER.finditer(response))
    if not markers:
        gsm8k_lines = _GSM8K_ANSWER_LINE.findall(response)
        return gsm8k_lines[-1] if gsm8k_lines else None
    start = markers[-1].end()
    line_end = response.find("\n", start)
    return _clean_line_answer(response[start : None if line_end == -1 else line_end].lstrip(" \t:"))
