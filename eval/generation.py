"""The generation interface every backend implements, and backend selection.

A backend turns :class:`GenerationRequest` s (a prompt and how many samples to draw for it) into
:class:`Completion` s. Backends: ``vllm`` (:mod:`eval.vllm_backend`, GPU) and ``hf`` (:mod:`eval.hf_backend`,
transformers on CPU or GPU). ``auto`` picks vLLM when it is importable and CUDA is available, else HF.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_RESPONSE_TOKENS = 8192
"""Most new tokens per response, the same at training and at evaluation: the default of ``SamplingConfig.max_tokens``
and of ``python -m eval run --max-tokens``, and the launch scripts' ``MAX_RESPONSE_LENGTH`` (training rollouts and
validation; ``recipe/asyppo/scripts/common.sh``, a test checks they are equal). A checkpoint evaluated with ``eval``
is then cut at the length its training validation allowed, not shorter."""


@dataclass(frozen=True)
class SamplingConfig:
    """Sampling options shared by all backends.

    Attributes:
        n: samples per problem.
        temperature: softmax temperature; 0 means greedy decoding.
        top_p: nucleus sampling mass in (0, 1].
        max_tokens: most new tokens per sample (default :data:`MAX_RESPONSE_TOKENS`).
        seed: base random seed; each request carries a seed derived from it (see ``GenerationRequest.seed``).
        stop: strings that end a sample (the stop string is not kept in the text).
    """

    n: int = 4
    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = MAX_RESPONSE_TOKENS
    seed: int = 0
    stop: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"sampling n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"sampling temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"sampling top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"sampling max_tokens must be >= 1, got {self.max_tokens}")


@dataclass(frozen=True)
class GenerationRequest:
    """Draw ``num_samples`` samples for one prompt.

    Attributes:
        prompt: the exact prompt text (chat template already applied where used).
        num_samples: how many samples (fewer than ``n`` when a resumed run already has some).
        seed: per-request seed, a function of the run seed and the problem, so a sample does not depend on which
            other prompts share its batch (exactly so in vLLM; in HF per batch, see :mod:`eval.hf_backend`).
    """

    prompt: str
    num_samples: int
    seed: int


@dataclass(frozen=True)
class Completion:
    """One generated sample: its text and why generation stopped (``"stop"`` or ``"length"``)."""

    text: str
    finish_reason: str


class GenerationBackend(Protocol):
    """Generates samples; ``generate`` returns, per request, ``request.num_samples`` completions in order.

    ``tokenizer`` is the model's tokenizer (prompts are built with its chat template).
    """

    name: str
    tokenizer: Any

    def generate(self, requests: list[GenerationRequest], sampling: SamplingConfig) -> list[list[Completion]]:
        ...


BACKENDS = ("auto", "vllm", "hf")


def resolve_backend_name(name: str) -> str:
    """``auto`` -> ``vllm`` if vLLM is importable and CUDA is available, else ``hf``; other names checked.

    Raises:
        ValueError: unknown backend name.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend '{name}'; choose one of {', '.join(BACKENDS)}")
    if name != "auto":
        return name
    import torch

    return "vllm" if importlib.util.find_spec("vllm") is not None and torch.cuda.is_available() else "hf"
