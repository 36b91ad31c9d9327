"""Hugging Face transformers generation backend: batched, left-padded ``model.generate`` on CPU or GPU.

For small models and tests. Requests are expanded into one sequence per sample and generated ``batch_size``
sequences at a time. Sampling is seeded per batch from the seeds of the requests in it, so the same batch of requests
gives the same samples; a different batching may give different samples (vLLM seeds each request on its own).
"""

from __future__ import annotations

from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer

from eval.generation import Completion, GenerationRequest, SamplingConfig


def _batch_seed(keys: list[tuple[int, int]]) -> int:
    """A seed determined by the (request seed, sample index) pairs of one batch."""
    seed = 0
    for request_seed, sample_index in keys:
        seed = (seed * 1_000_003 + request_seed * 31 + sample_index) % (2**31 - 1)
    return seed


class HFBackend:
    """Generate with ``transformers`` from a local model directory.

    Args:
        model_path: directory (or Hub id) of a causal LM with its tokenizer.
        batch_size: sequences per ``generate`` call.
        device: ``cuda``/``cpu``; None picks CUDA when available.
        dtype: torch dtype name; None means bfloat16 on CUDA and float32 on CPU.
        add_special_tokens: passed to the tokenizer (False when the chat template already wrote the special tokens).
        show_progress: show a tqdm bar over batches.
    """

    name = "hf"

    def __init__(
        self,
        model_path: str | Path,
        batch_size: int = 8,
        device: str | None = None,
        dtype: str | None = None,
        add_special_tokens: bool = False,
        show_progress: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if self.device == "cuda" else torch.float32)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch_dtype).to(self.device).eval()
        self.batch_size = batch_size
        self.add_special_tokens = add_special_tokens
        self.show_progress = show_progress

    def generate(self, requests: list[GenerationRequest], sampling: SamplingConfig) -> list[list[Completion]]:
        """Per request, ``request.num_samples`` completions in sample order."""
        flat = [(index, sample) for index, request in enumerate(requests) for sample in range(request.num_samples)]
        results: list[list[Completion]] = [[] for _ in requests]
        batches = range(0, len(flat), self.batch_size)
        for start in tqdm(batches, desc="generate (hf)", unit="batch", disable=not self.show_progress):
            batch = flat[start : start + self.batch_size]
            prompts = [requests[index].prompt for index, _ in batch]
            seed = _batch_seed([(requests[index].seed, sample) for index, sample in batch])
            for (index, _), completion in zip(batch, self._generate_batch(prompts, sampling, seed), strict=True):
                results[index].append(completion)
        return results

    @torch.no_grad()
    def _generate_batch(self, prompts: list[str], sampling: SamplingConfig, seed: int) -> list[Completion]:
        inputs = self.tokenizer(
            prompts, return_tensors="pt", padding=True, add_special_tokens=self.add_special_tokens
        ).to(self.device)
        torch.manual_seed(seed)
        greedy = sampling.temperature == 0
        output = self.model.generate(
            **inputs,
            do_sample=not greedy,
            temperature=None if greedy else sampling.temperature,
            top_p=None if greedy else sampling.top_p,
            top_k=None,
            max_new_tokens=sampling.max_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.tokenizer.eos_token_id,
            stop_strings=list(sampling.stop) or None,
            tokenizer=self.tokenizer if sampling.stop else None,
        )
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        return [self._completion(tokens, sampling) for tokens in new_tokens]

    def _completion(self, tokens: list[int], sampling: SamplingConfig) -> Completion:
        eos_ids = {self.tokenizer.eos_token_id}
        ended = next((position for position, token in enumerate(tokens) if token in eos_ids), None)
        text = self.tokenizer.decode(tokens[:ended] if ended is not None else tokens, skip_special_tokens=True)
        stops = [text.find(stop) for stop in sampling.stop if stop in text]
        if stops:
            return Completion(text=text[: min(stops)], finish_reason="stop")
        if ended is not None or len(tokens) < sampling.max_tokens:
            return Completion(text=text, finish_reason="stop")
        return Completion(text=text, finish_reason="length")
