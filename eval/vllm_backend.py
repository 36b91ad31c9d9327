"""vLLM generation backend: ONE ``LLM.generate`` call over all prompts, n samples each via ``SamplingParams(n=...)``.

vLLM is imported lazily (it is a GPU-only optional dependency, ``pip install -e .[gpu]``). Prompts go in as token ids
(``{"prompt_token_ids": [...]}``) tokenised by the model's own tokenizer with ``add_special_tokens`` chosen by the
runner, so a chat-templated prompt does not get a second BOS token. Each request gets its own ``SamplingParams`` with
its own seed, so a problem's samples do not depend on the other prompts in the call (vLLM seeds per request).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.generation import Completion, GenerationRequest, SamplingConfig


def build_sampling_params(
    request: GenerationRequest, sampling: SamplingConfig, sampling_params_cls: Callable[..., Any]
) -> Any:
    """The ``SamplingParams`` of one request: its sample count and seed, the run's shared sampling options."""
    return sampling_params_cls(
        n=request.num_samples,
        temperature=sampling.temperature,
        top_p=sampling.top_p if sampling.temperature > 0 else 1.0,
        max_tokens=sampling.max_tokens,
        seed=request.seed,
        stop=list(sampling.stop) or None,
        skip_special_tokens=True,
    )


def build_vllm_inputs(
    requests: list[GenerationRequest],
    sampling: SamplingConfig,
    tokenize: Callable[[str], list[int]],
    sampling_params_cls: Callable[..., Any],
) -> tuple[list[dict[str, list[int]]], list[Any]]:
    """Token-id prompts and one ``SamplingParams`` per request, aligned with ``requests``."""
    prompts = [{"prompt_token_ids": tokenize(request.prompt)} for request in requests]
    params = [build_sampling_params(request, sampling, sampling_params_cls) for request in requests]
    return prompts, params


def completions_from_outputs(requests: list[GenerationRequest], outputs: list[Any]) -> list[list[Completion]]:
    """Map vLLM ``RequestOutput`` s (in request order) to completions; a finish reason other than length is stop.

    Raises:
        RuntimeError: vLLM returned a different number of outputs or samples than requested.
    """
    if len(outputs) != len(requests):
        raise RuntimeError(f"vLLM returned {len(outputs)} outputs for {len(requests)} prompts")
    results = []
    for request, output in zip(requests, outputs, strict=True):
        if len(output.outputs) != request.num_samples:
            raise RuntimeError(f"vLLM returned {len(output.outputs)} samples, expected {request.num_samples}")
        results.append(
            [
                Completion(text=sample.text, finish_reason="length" if sample.finish_reason == "length" else "stop")
                for sample in sorted(output.outputs, key=lambda sample: sample.index)
            ]
        )
    return results


class VLLMBackend:
    """Generate with vLLM's offline ``LLM`` engine.

    Args:
        model_path: model directory or Hub id.
        tensor_parallel_size: GPUs to shard the model over.
        gpu_memory_utilization: fraction of GPU memory vLLM may use.
        max_model_len: context length cap (prompt + generation); None uses the model's.
        dtype: vLLM dtype string.
        add_special_tokens: passed to the tokenizer when turning prompts into token ids.
        show_progress: vLLM's own tqdm bar.
        llm: an already built engine (tests pass a fake); None builds ``vllm.LLM``.
        sampling_params_cls: ``vllm.SamplingParams`` or a stand-in (tests); None imports vLLM's.
    """

    name = "vllm"

    def __init__(
        self,
        model_path: str | Path,
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
        dtype: str = "auto",
        add_special_tokens: bool = False,
        show_progress: bool = True,
        llm: Any | None = None,
        sampling_params_cls: Callable[..., Any] | None = None,
    ) -> None:
        if llm is None or sampling_params_cls is None:
            try:
                from vllm import LLM, SamplingParams
            except ImportError as error:
                raise ImportError(
                    "the vllm backend needs vLLM (pip install -e '.[gpu]'); use --backend hf without it"
                ) from error
            sampling_params_cls = sampling_params_cls or SamplingParams
            if llm is None:
                llm = LLM(
                    model=str(model_path),
                    tensor_parallel_size=tensor_parallel_size,
                    gpu_memory_utilization=gpu_memory_utilization,
                    max_model_len=max_model_len,
                    dtype=dtype,
                )
        self.llm = llm
        self.sampling_params_cls = sampling_params_cls
        self.tokenizer = llm.get_tokenizer()
        self.add_special_tokens = add_special_tokens
        self.show_progress = show_progress

    def _tokenize(self, prompt: str) -> list[int]:
        return self.tokenizer(prompt, add_special_tokens=self.add_special_tokens)["input_ids"]

    def generate(self, requests: list[GenerationRequest], sampling: SamplingConfig) -> list[list[Completion]]:
        """All requests in one ``LLM.generate`` call; per request, ``num_samples`` completions in sample order."""
        if not requests:
            return []
        prompts, params = build_vllm_inputs(requests, sampling, self._tokenize, self.sampling_params_cls)
        outputs = self.llm.generate(prompts, sampling_params=params, use_tqdm=self.show_progress)
        return completions_from_outputs(requests, outputs)
