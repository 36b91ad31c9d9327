"""Named prompt templates shared by training data (``data_prep``) and evaluation (``eval``).

One registry makes the question formatting identical at train and eval time. A template turns a problem statement
into verl's chat-message list (what the training parquet stores) and into the exact text a generation backend sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
_BOXED_FORMAT = BOXED_INSTRUCTION.replace("{", "{{").replace("}", "}}")  # literal braces in a str.format pattern


@dataclass(frozen=True)
class PromptTemplate:
    """How a problem becomes a prompt.

    Attributes:
        name: registry key.
        user_format: ``str.format`` pattern with a ``{problem}`` field; the user message content.
        use_chat_template: True for instruct models: the generation text is the tokenizer's chat template applied to
            the messages. False for base models: the generation text is the user content followed by ``text_suffix``.
        text_suffix: appended after the user content for base models (e.g. a newline before the model writes).
    """

    name: str
    user_format: str
    use_chat_template: bool
    text_suffix: str = "\n"

    def messages(self, problem: str) -> list[dict[str, str]]:
        """The chat-message list stored in verl's ``prompt`` column."""
        return [{"role": "user", "content": self.user_format.format(problem=problem)}]

    def text(self, problem: str, tokenizer: Any | None = None) -> str:
        """The exact prompt text a generation backend receives.

        Raises:
            ValueError: the template needs a tokenizer with a chat template and none was given.
        """
        if not self.use_chat_template:
            return self.user_format.format(problem=problem) + self.text_suffix
        if tokenizer is None or getattr(tokenizer, "chat_template", None) is None:
            raise ValueError(f"prompt template '{self.name}' needs a tokenizer with a chat template")
        return tokenizer.apply_chat_template(self.messages(problem), tokenize=False, add_generation_prompt=True)


TEMPLATES: dict[str, PromptTemplate] = {
    template.name: template
    for template in (
        PromptTemplate(name="base", user_format="{problem}\n" + _BOXED_FORMAT, use_chat_template=False),
        PromptTemplate(name="chat", user_format="{problem}\n" + _BOXED_FORMAT, use_chat_template=True),
    )
}
DEFAULT_TEMPLATE = "base"


def get_template(name: str) -> PromptTemplate:
    """The registered template called ``name``.

    Raises:
        KeyError: unknown name; the message lists the known ones.
    """
    if name not in TEMPLATES:
        raise KeyError(f"unknown prompt template '{name}'; known templates: {', '.join(sorted(TEMPLATES))}")
    return TEMPLATES[name]
