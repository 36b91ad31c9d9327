"""Token-in, token-out sampling from a HuggingFace causal LM on CPU or one CUDA device, with per-token log-probs and
weight reloads.

The engine behind the ``hf`` rollout server (:mod:`recipe.asyppo.cpu.rollout`); it has no verl or Ray dependency so it
can be tested directly. Requests are generated together, one batched forward per token with a KV cache
(:meth:`HFGenerator.generate_batch`): fine for small models (SmolLM2-135M on 2 CPU cores, sub-billion models on a GPU),
far slower than vLLM for large ones. Everything (model, inputs, logits, sampling generators) lives on one device, so
the CPU path is the same code with ``device="cpu"``.

Log-probs follow vLLM's ``processed_logprobs``: the log-softmax of the logits after temperature scaling and
top-k/top-p filtering, evaluated at the sampled token. With ``top_k=-1, top_p=1`` this equals what verl's trainer
computes (``log_softmax(logits / temperature)``). Greedy decoding (``temperature == 0``) reports the log-softmax of
the raw logits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


@dataclass(frozen=True)
class SamplingSpec:
    """Sampling parameters of one request (the vLLM subset verl's agent loop sends).

    Attributes:
        max_tokens: most tokens to generate (>= 1).
        temperature: 0 means greedy.
        top_p: nucleus mass in (0, 1].
        top_k: keep the k most likely tokens; -1 (or 0) keeps all.
        repetition_penalty: HF/vLLM-style penalty on tokens already in prompt or output; 1.0 disables it.
        stop_token_ids: extra token ids that end generation (kept in the output, as vLLM does).
        stop: strings that end generation once the decoded output contains one (the completing token is kept).
        ignore_eos: keep generating past end-of-sequence tokens.
        seed: seed of this request's sampling generator; None lets the server derive one from its seed, the global
            step and the prompt (:meth:`recipe.asyppo.cpu.rollout.HFRolloutServer.generate`).
        logprobs: return per-token log-probs.
    """

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    repetition_penalty: float = 1.0
    stop_token_ids: tuple[int, ...] = ()
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False
    seed: int | None = None
    logprobs: bool = True

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"sampling_params.max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ValueError(f"sampling_params.temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"sampling_params.top_p must be in (0, 1], got {self.top_p}")

    @classmethod
    def from_request(cls, sampling_params: Mapping[str, Any], default_max_tokens: int) -> SamplingSpec:
        """Build from a verl/vLLM ``sampling_params`` dict; ``max_new_tokens`` is accepted for ``max_tokens``.

        Raises:
            ValueError: a key this backend does not implement (naming it), so no setting is silently dropped.
        """
        params = dict(sampling_params)
        if "max_new_tokens" in params:
            params["max_tokens"] = params.pop("max_new_tokens")
        params.setdefault("max_tokens", default_max_tokens)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"hf rollout does not support sampling_params {unknown}; supported: {sorted(known)}")
        if params.get("stop") is None or isinstance(params["stop"], str):
            params["stop"] = () if params.get("stop") is None else (params["stop"],)
        params["stop"] = tuple(params["stop"])
        params["stop_token_ids"] = tuple(params.get("stop_token_ids") or ())
        params["logprobs"] = bool(params.get("logprobs", True))
        return cls(**params)


@dataclass(frozen=True)
class Generation:
    """One finished request.

    Attributes:
        token_ids: generated token ids (length <= max_tokens), including a final EOS/stop token if one ended it.
        log_probs: one float per token (natural log), or None when not requested.
        finish_reason: "stop" (EOS, stop token or stop string) or "length" (max_tokens reached).
    """

    token_ids: list[int]
    log_probs: list[float] | None
    finish_reason: str


class HFGenerator:
    """A causal LM loaded from a HF directory onto ``device``, sampling with explicit torch generators.

    Args:
        model_path: HF model directory (weights and tokenizer).
        dtype: parameter dtype of the rollout model.
        attn_implementation: transformers attention implementation (``sdpa`` needs no extra package).
        device: torch device of the model and of every tensor and generator of a request (``"cpu"``, ``"cuda"``).
    """

    def __init__(self, model_path: str, dtype: torch.dtype = torch.float32, attn_implementation: str = "sdpa",
                 device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForCausalLM.from_pretrained(
            model_path, dtype=dtype, attn_implementation=attn_implementation
        ).to(self.device).eval()
        eos = self.model.generation_config.eos_token_id
        eos = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
        if self.tokenizer.eos_token_id is not None:
            eos.append(self.tokenizer.eos_token_id)
        self.eos_token_ids = frozenset(eos)
        pad = self.tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else (min(self.eos_token_ids) if self.eos_token_ids else 0)

    def new_rng(self, seed: int) -> torch.Generator:
        """A sampling generator on this generator's device, seeded with ``seed``."""
        return torch.Generator(device=self.device).manual_seed(seed)

    def generate(self, prompt_ids: list[int], spec: SamplingSpec, generator: torch.Generator) -> Generation:
        """Sample up to ``spec.max_tokens`` tokens after ``prompt_ids`` (a non-empty list of token ids)."""
        return self.generate_batch([prompt_ids], [spec], [generator])[0]

    @torch.no_grad()
    def generate_batch(
        self, prompts: list[list[int]], specs: list[SamplingSpec], generators: list[torch.Generator]
    ) -> list[Generation]:
        """Sample every prompt with its own spec and generator, all rows through one batched forward per token.

        Prompts are left-padded (attention mask 0, position ids counted from each row's first real token), so each
        row sees the logits it would see alone, up to float rounding; a row that has finished stops drawing from
        its generator and is fed padding until the longest row ends. Row ``i`` therefore draws the same random
        numbers as ``generate(prompts[i], specs[i], generators[i])`` and, unless rounding flips a draw, returns the
        same tokens.

        Raises:
            ValueError: an empty prompt, or lists of different lengths.
        """
        if not len(prompts) == len(specs) == len(generators):
            raise ValueError(f"got {len(prompts)} prompts, {len(specs)} specs and {len(generators)} generators")
        if any(not prompt for prompt in prompts):
            raise ValueError("prompt_ids is empty")
        width = max(len(prompt) for prompt in prompts)
        input_ids = torch.tensor([[self.pad_token_id] * (width - len(p)) + list(p) for p in prompts],
                                 device=self.device)
        attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        # logits of the last position only: all prompt positions would cost batch x prompt x vocab floats
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions,
                            use_cache=True, logits_to_keep=1)
        rows = [_Row(list(prompt), spec, generator, self._stop_ids(spec))
                for prompt, spec, generator in zip(prompts, specs, generators, strict=True)]
        while True:
            logits = output.logits[:, -1].float()
            next_tokens = [row.step(logits[index], self.tokenizer) if row.active else self.pad_token_id
                           for index, row in enumerate(rows)]
            active = torch.tensor([row.active for row in rows], device=self.device)
            if not active.any():
                break
            attention_mask = torch.cat([attention_mask, active[:, None].long()], dim=1)
            positions = positions[:, -1:] + 1
            output = self.model(input_ids=torch.tensor(next_tokens, device=self.device)[:, None],
                                attention_mask=attention_mask,
                                position_ids=positions, past_key_values=output.past_key_values, use_cache=True)
        return [row.result() for row in rows]

    def _stop_ids(self, spec: SamplingSpec) -> frozenset[int]:
        return frozenset(spec.stop_token_ids) | (frozenset() if spec.ignore_eos else self.eos_token_ids)

    @torch.no_grad()
    def load_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> int:
        """Copy ``(name, tensor)`` pairs (HF parameter names) into the model; return how many were loaded.

        Raises:
            KeyError: a name that is not in the model's state dict.
            ValueError: a tensor whose shape differs from the model's.
        """
        state = self.model.state_dict()
        loaded = 0
        for name, tensor in named_tensors:
            if name not in state:
                raise KeyError(f"weight '{name}' is not a parameter of the rollout model")
            if tuple(tensor.shape) != tuple(state[name].shape):
                expected = tuple(state[name].shape)
                raise ValueError(f"weight '{name}' has shape {tuple(tensor.shape)}, expected {expected}")
            state[name].copy_(tensor.detach().to(device=self.device, dtype=state[name].dtype))
            loaded += 1
        return loaded


class _Row:
    """One request of a batch: its spec, generator, the tokens so far and whether it is still generating."""

    def __init__(self, prompt_ids: list[int], spec: SamplingSpec, generator: torch.Generator,
                 stop_ids: frozenset[int]):
        self.spec, self.generator, self.stop_ids = spec, generator, stop_ids
        self.seen = prompt_ids
        self.tokens: list[int] = []
        self.log_probs: list[float] = []
        self.finish_reason = "length"
        self.active = True

    def step(self, logits: torch.Tensor, tokenizer: Any) -> int:
        """Draw the next token from ``logits`` (vocab,) float32; mark the row done on a stop or at max_tokens."""
        if self.spec.repetition_penalty != 1.0:
            logits = _apply_repetition_penalty(logits, self.seen, self.spec.repetition_penalty)
        token, log_prob = _sample(logits, self.spec, self.generator)
        self.tokens.append(token)
        self.log_probs.append(log_prob)
        self.seen.append(token)
        if token in self.stop_ids or (self.spec.stop and _contains_any(tokenizer.decode(self.tokens), self.spec.stop)):
            self.finish_reason = "stop"
            self.active = False
        elif len(self.tokens) == self.spec.max_tokens:
            self.active = False
        return token

    def result(self) -> Generation:
        return Generation(self.tokens, self.log_probs if self.spec.logprobs else None, self.finish_reason)


def _sample(logits: torch.Tensor, spec: SamplingSpec, generator: torch.Generator) -> tuple[int, float]:
    """(token, log-prob) from ``logits`` (vocab,) float32, after temperature and top-k/top-p processing."""
    if spec.temperature == 0:
        token = int(torch.argmax(logits))
        return token, float(torch.log_softmax(logits, dim=-1)[token])
    logits = logits / spec.temperature
    if 0 < spec.top_k < logits.numel():
        kth = torch.topk(logits, spec.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if spec.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop_sorted = cumulative - torch.softmax(sorted_logits, dim=-1) >= spec.top_p
        logits = logits.masked_fill(torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted), float("-inf"))
    log_probs = torch.log_softmax(logits, dim=-1)
    token = int(torch.multinomial(log_probs.exp(), 1, generator=generator))
    return token, float(log_probs[token])


def _apply_repetition_penalty(logits: torch.Tensor, seen: list[int], penalty: float) -> torch.Tensor:
    """Divide positive and multiply negative logits of already-seen tokens by ``penalty`` (CTRL/HF/vLLM rule)."""
    index = torch.tensor(sorted(set(seen)), device=logits.device)
    values = logits[index]
    logits = logits.clone()
    logits[index] = torch.where(values > 0, values / penalty, values * penalty)
    return logits


def _contains_any(text: str, needles: tuple[str, ...]) -> bool:
    return any(needle in text for needle in needles)
