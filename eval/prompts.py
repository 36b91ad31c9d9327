"""Prompt templates: how a problem becomes the chat messages of the training parquet and the text a backend receives.

One registry serves training data (``data_prep`` writes ``template.messages(problem)`` into verl's ``prompt`` column)
and evaluation (:func:`build_prompt`), so a question reads the same at train and eval time.

A template only says what the user message holds. How that message is rendered is a property of the run, not of the
template: verl's ``RLHFDataset``/agent loop always applies the tokenizer's chat template
(``add_generation_prompt=True``) to the stored messages, base models included, so evaluating a checkpoint we trained
applies it too (``python -m eval run --chat-template on``, the default). ``--chat-template off`` sends the user
message followed by the template's ``text_suffix`` as plain text (models without a chat template, or comparisons with
harnesses that prompt with plain text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
_BOXED_FORMAT = BOXED_INSTRUCTION.replace("{", "{{").replace("}", "}}")  # literal braces in a str.format pattern


@dataclass(frozen=True)
class PromptTemplate:
    """What the user message says.

    Attributes:
        name: registry key.
        user_format: ``str.format`` pattern with a ``{problem}`` field; the user message content.
        text_suffix: appended after the user message when it is sent as plain text (no chat template).
    """

    name: str
    user_format: str
    text_suffix: str = "\n"

    def user_message(self, problem: str) -> str:
        """The user message content for ``problem``."""
        return self.user_format.format(problem=problem)

    def messages(self, problem: str) -> list[dict[str, str]]:
        """The chat-message list stored in verl's ``prompt`` column."""
        return [{"role": "user", "content": self.user_message(problem)}]


SHORT_ANSWER_INSTRUCTION = "Respond with just the number, no explanation."

TEMPLATES: dict[str, PromptTemplate] = {
    template.name: template
    for template in (
        PromptTemplate(name="boxed", user_format="{problem}\n" + _BOXED_FORMAT),
        # Short-answer tasks (the CPU learning demo's arithmetic): a few tokens instead of a worked solution. The
        # answer is unboxed; rewards reads it from an answer phrase or the last number.
        PromptTemplate(name="short_answer", user_format="{problem} " + SHORT_ANSWER_INSTRUCTION),
    )
}
DEFAULT_TEMPLATE = "boxed"


def get_template(name: str) -> PromptTemplate:
    """The registered template called ``name``.

    Raises:
        KeyError: unknown name; the message lists the known ones.
    """
    if name not in TEMPLATES:
        raise KeyError(f"unknown prompt template '{name}'; known templates: {', '.join(sorted(TEMPLATES))}")
    return TEMPLATES[name]


def build_prompt(
    problem: str,
    template_name: str,
    tokenizer: Any,
    chat_template: bool,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> str:
    """The exact prompt text a generation backend receives for ``problem``.

    Args:
        problem: the question.
        template_name: a :data:`TEMPLATES` name.
        tokenizer: the model's tokenizer (needs a ``chat_template`` when ``chat_template`` is True).
        chat_template: apply the tokenizer's chat template to the template's messages, as verl's training does;
            False sends the user message plus ``text_suffix`` as plain text.
        chat_template_kwargs: extra keyword arguments for ``apply_chat_template`` (verl's
            ``data.apply_chat_template_kwargs``, e.g. ``{"enable_thinking": False}``), to mirror the training config.

    Raises:
        KeyError: unknown template name.
        ValueError: ``chat_template`` is on but the tokenizer has none.
    """
    template = get_template(template_name)
    if not chat_template:
        return template.user_message(problem) + template.text_suffix
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError(
            "--chat-template on, but the model's tokenizer has no chat template; "
            "use --chat-template off for models without one"
        )
    return tokenizer.apply_chat_template(
        template.messages(problem), tokenize=False, add_generation_prompt=True, **(chat_template_kwargs or {})
    )
