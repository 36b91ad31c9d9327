"""Turn a benchmark problem into the exact prompt text a backend receives, as verl's training did.

verl's ``RLHFDataset``/agent loop applies the tokenizer's chat template (``add_generation_prompt=True``) to the chat
messages stored in the training parquet, and ``data_prep`` writes those messages with a named template from
:mod:`data_prep.templates`. Evaluating a checkpoint we trained therefore uses the same template's messages with the chat
template applied: that is the default (``--template`` = ``data_prep``'s default, ``--chat-template on``). With
``--chat-template off`` the prompt is the template's user text followed by its ``text_suffix`` (for base models that
have no chat template, or to compare with harnesses that prompt with plain text).
"""

from __future__ import annotations

from typing import Any

from data_prep.templates import get_template


def build_prompt(
    problem: str,
    template_name: str,
    tokenizer: Any,
    chat_template: bool,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> str:
    """The prompt text for ``problem``.

    Args:
        problem: the question.
        template_name: a :mod:`data_prep.templates` name.
        tokenizer: the model's tokenizer (needs a ``chat_template`` when ``chat_template`` is True).
        chat_template: apply the tokenizer's chat template to the template's messages.
        chat_template_kwargs: extra keyword arguments for ``apply_chat_template`` (verl's
            ``data.apply_chat_template_kwargs``, e.g. ``{"enable_thinking": False}``), to mirror the training config.

    Raises:
        KeyError: unknown template name.
        ValueError: ``chat_template`` is on but the tokenizer has none.
    """
    template = get_template(template_name)
    if not chat_template:
        return template.user_format.format(problem=problem) + template.text_suffix
    if getattr(tokenizer, "chat_template", None) is None:
        raise ValueError(
            "--chat-template on, but the model's tokenizer has no chat template; "
            "use --chat-template off for base models"
        )
    return tokenizer.apply_chat_template(
        template.messages(problem), tokenize=False, add_generation_prompt=True, **(chat_template_kwargs or {})
    )
