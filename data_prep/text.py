"""Text normalisation shared by de-duplication and decontamination, and instruction-wrapper stripping."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\?[0-9a-z]+")
_DROPPED_MACROS = frozenset(
    "\\" + name for name in ("left", "right", "displaystyle", "textstyle", "mathrm", "text", "mbox", "operatorname")
)
_MACRO_ALIASES = {"\\dfrac": "frac", "\\tfrac": "frac"}

# Instruction wrappers that verl-schema pools put around the problem; stripped to recover the original problem.
# (prefix, suffix) pairs, tried in order; the first pair whose both parts match is removed.
INSTRUCTION_WRAPPERS: tuple[tuple[str, str], ...] = (
    ("", " Let's think step by step and output the final answer within \\boxed{}."),
    ("", "\nPlease reason step by step, and put your final answer within \\boxed{}."),
    (
        "Solve the following math problem step by step. The last line of your response should be of the form "
        "Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n",
        '\n\nRemember to put your answer on its own line after "Answer:".',
    ),
)


def exact_key(text: str) -> str:
    """Key for exact duplicates: the text with runs of whitespace collapsed to one space and ends stripped."""
    return " ".join(text.split())


def word_lists(text: str) -> tuple[list[str], list[str]]:
    """(normalised words, plain words) of ``text``, from one pass over it; see :func:`words` and :func:`plain_words`."""
    tokens = _TOKEN.findall(text.lower())
    normalised = [_MACRO_ALIASES.get(token, token.lstrip("\\")) for token in tokens if token not in _DROPPED_MACROS]
    return normalised, [token.lstrip("\\") for token in tokens]


def words(text: str) -> list[str]:
    """Normalised words: lower-cased runs of ``[0-9a-z]`` (everything else separates), with ``\\dfrac``/``\\tfrac``
    read as ``frac`` and the macros ``\\left``, ``\\right``, ``\\displaystyle``, ``\\textstyle``, ``\\mathrm``,
    ``\\text``, ``\\mbox``, ``\\operatorname`` dropped (their arguments are kept).

    ``"Find $\\dfrac{1}{2}$ of 10."`` -> ``["find", "frac", "1", "2", "of", "10"]``.
    """
    return word_lists(text)[0]


def plain_words(text: str) -> list[str]:
    """Lower-cased runs of ``[0-9a-z]``, LaTeX macros kept as words: ``"$\\left\\{1\\right\\}$"`` ->
    ``["left", "1", "right"]``."""
    return word_lists(text)[1]


def strip_instruction(content: str) -> str:
    """The problem inside a prompt built by a known instruction wrapper, or ``content`` stripped if none matches."""
    for prefix, suffix in INSTRUCTION_WRAPPERS:
        if content.startswith(prefix) and content.endswith(suffix):
            return content[len(prefix) : len(content) - len(suffix)].strip()
    return content.strip()
