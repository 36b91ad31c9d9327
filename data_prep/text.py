"""Text normalisation shared by de-duplication and decontamination, and instruction-wrapper stripping."""

from __future__ import annotations

import re

_LATEX_NOISE = re.compile(r"\\(?:left|right|displaystyle|textstyle|mathrm|text|mbox|operatorname)\b|\\[,;:! ]|\$")
_FRAC_VARIANTS = re.compile(r"\\[dt]frac\b")
_NON_WORD = re.compile(r"[^0-9a-z]+")

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


def words(text: str) -> list[str]:
    """Normalised words: lower case, ``\\dfrac``/``\\tfrac`` as ``\\frac``, sizing/text macros and ``$`` dropped,
    every run of characters other than ``[0-9a-z]`` a separator.

    ``"Find $\\dfrac{1}{2}$ of 10."`` -> ``["find", "frac", "1", "2", "of", "10"]``.
    """
    text = _FRAC_VARIANTS.sub(r"\\frac", text.lower())
    return _NON_WORD.sub(" ", _LATEX_NOISE.sub(" ", text)).split()


def plain_words(text: str) -> list[str]:
    """Lower-cased runs of ``[0-9a-z]``, LaTeX macros kept as words: ``"$\\left\\{1\\right\\}$"`` ->
    ``["left", "1", "right"]``."""
    return _NON_WORD.sub(" ", text.lower()).split()


def near_key(text: str) -> str:
    """Key for near duplicates: the normalised words joined by single spaces (see :func:`words`)."""
    return " ".join(words(text))


def strip_instruction(content: str) -> str:
    """The problem inside a prompt built by a known instruction wrapper, or ``content`` stripped if none matches."""
    for prefix, suffix in INSTRUCTION_WRAPPERS:
        if content.startswith(prefix) and content.endswith(suffix):
            return content[len(prefix) : len(content) - len(suffix)].strip()
    return content.strip()
