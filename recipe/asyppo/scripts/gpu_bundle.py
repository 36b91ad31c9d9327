"""Build, check and describe the GPU bundle: what verl 0.9.1's V1 trainer path needs on a GPU machine that has torch
and transformers but no Ray, verl, hydra or TransferQueue, and no network.

    python -m recipe.asyppo.scripts.gpu_bundle build [--out build/gpu_bundle]   # download, install, strip, xz-tar
    python -m recipe.asyppo.scripts.gpu_bundle check [--out build/gpu_bundle]   # unpack into a clean dir, import test

``build`` (needs PyPI) downloads the cp312 manylinux wheels of :data:`BUNDLE` with ``pip download --only-binary=:all:
--no-deps --python-version 3.12 --platform ...`` (``antlr4-python3-runtime`` 4.9.3 exists only as a source archive:
its pure-Python wheel is built here), installs them with ``pip install --target --no-deps`` for cp312, checks that
every requirement of every bundled distribution is met by the bundle or by :data:`GPU_MACHINE` (writing each unmet
or conflicting one into ``manifest.json``), removes what the run does not use (:data:`STRIP`: Ray's Java jars, web
dashboard build, RLlib/Tune/Serve/Data/LLM libraries, bytecode caches, console scripts) and packs the target into
``gpu_bundle.tar.xz``. It refuses a tarball over :data:`MAX_BUNDLE_MIB`.

On the GPU machine (``gpu_check.sh``): ``tar -xJf gpu_bundle.tar.xz -C T`` and ``PYTHONPATH=T:$PYTHONPATH``; Ray's
workers inherit ``PYTHONPATH``. verl is installed without its dependencies, since it pins ``transformers<5.11`` and
the GPU machine has 5.17 (:data:`KNOWN_CONFLICTS`). Ray runs without its ``default`` extra (no dashboard, no metrics
exporter): Ray then starts its agents in minimal mode; ``aiohttp`` is bundled because verl's reward loop and Ray's
runtime-env agent import it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYTHON_VERSION = "3.12"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_27_x86_64", "manylinux_2_28_x86_64")
MAX_BUNDLE_MIB = 56  # of the 64 MiB a device run may carry; the rest is the working tree (~5 MiB)
TARBALL = "gpu_bundle.tar.xz"

# distribution -> version: what verl 0.9.1's V1 trainer, TransferQueue and this recipe import in a run (traced in every
# process of a CPU run), less what the GPU machine has. The versions are the ones this project's CPU runs use.
BUNDLE: dict[str, str] = {
    # verl and its configuration
    "verl": "0.9.1",
    "hydra-core": "1.3.8",
    "omegaconf": "2.3.1",
    "antlr4-python3-runtime": "4.9.3",
    "codetiming": "1.4.0",
    "tensordict": "0.10.0",
    "pyvers": "0.1.0",
    "cloudpickle": "2.1.0",
    "orjson": "3.11.5",
    "importlib-metadata": "10.2.0",
    "lazy-importer": "0.1.0",
    "zipp": "4.1.2",
    "torchdata": "0.11.0",
    "datasets": "5.2.0",
    "dill": "0.4.1",
    "multiprocess": "0.70.19",
    "xxhash": "4.1.0",
    "fastapi": "0.165.0",
    "starlette": "1.10.0",
    "uvicorn": "0.55.0",
    "opentelemetry-api": "1.45.2",
    "cachetools": "8.0.3",
    "pylatexenc": "2.11",
    "nvtx": "0.2.17",
    # TransferQueue (verl 0.9's data plane)
    "transferqueue": "0.1.11",
    "pyzmq": "27.3.0",
    "msgspec": "0.23.0",
    "prometheus-client": "0.26.0",
    # Ray core and what verl's reward loop / Ray's runtime-env agent import
    "ray": "2.60.0",
    "msgpack": "1.2.4",
    "jsonschema": "4.26.0",
    "jsonschema-specifications": "2025.9.1",
    "referencing": "0.37.0",
    "rpds-py": "0.30.0",
    "attrs": "26.1.0",
    "requests": "2.34.2",
    "urllib3": "2.7.0",
    "charset-normalizer": "3.4.7",
    "aiohttp": "3.14.5",
    "aiohappyeyeballs": "2.7.1",
    "aiosignal": "1.4.0",
    "frozenlist": "1.8.0",
    "multidict": "7.2.1",
    "propcache": "0.5.4",
    "yarl": "1.25.1",
    # the recipe's math reward
    "math-verify": "0.9.0",
    "latex2sympy2-extended": "1.11.0",
}
SOURCE_ONLY = ("antlr4-python3-runtime",)  # no wheel on PyPI: a pure-Python wheel is built here

# On the GPU machine: what it is stated to have (torch 2.11.0+cu130, transformers 5.17.0, accelerate, peft, pandas,
# pyarrow, tensorboard, sympy) and what those require. Versions only where stated.
GPU_MACHINE: dict[str, str | None] = {
    "torch": "2.11.0", "transformers": "5.17.0", "accelerate": None, "peft": None, "pandas": None, "pyarrow": None,
    "tensorboard": None, "sympy": None,
    # torch
    "filelock": None, "typing-extensions": None, "setuptools": None, "mpmath": None, "networkx": None, "jinja2": None,
    "markupsafe": None, "fsspec": None, "triton": None,
    # transformers 5 and huggingface-hub 1
    "huggingface-hub": None, "numpy": None, "packaging": None, "pyyaml": None, "regex": None, "tokenizers": None,
    "typer": None, "safetensors": None, "tqdm": None, "click": None, "httpx": None, "httpcore": None, "anyio": None,
    "h11": None, "certifi": None, "idna": None, "hf-xet": None, "shellingham": None, "rich": None, "pygments": None,
    "markdown-it-py": None, "mdurl": None, "pydantic": None, "pydantic-core": None, "annotated-types": None,
    "typing-inspection": None, "annotated-doc": None,
    # accelerate, peft, pandas, tensorboard
    "psutil": None, "python-dateutil": None, "six": None, "absl-py": None, "grpcio": None, "markdown": None,
    "pillow": None, "protobuf": None, "tensorboard-data-server": None, "werkzeug": None,
}

# Requirements knowingly left unmet, with the reason.
KNOWN_CONFLICTS: dict[str, str] = {
    "verl -> transformers": "verl 0.9.1 pins transformers<5.11; the GPU machine has 5.17 (verl installed --no-deps)",
}
# Requirements of verl/TransferQueue that a run does not import (traced), left out to fit the carry limit.
NOT_IMPORTED = frozenset({
    "wandb", "pybind11", "mathruler", "qwen-vl-utils", "torchcodec", "pytest", "pytest-asyncio", "pytest-rerunfailures",
    "mbridge",
})

# Paths under the target that a run does not use (Ray libraries verl does not import, Java, the dashboard web app).
STRIP = (
    "ray/jars", "ray/dashboard/client", "ray/rllib", "ray/tune", "ray/train", "ray/serve", "ray/llm", "ray/data",
    "ray/air/examples", "ray/cpp", "ray/tests", "bin",
)


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def _platform_args() -> list[str]:
    abi = f"cp{PYTHON_VERSION.replace('.', '')}"
    args = ["--python-version", PYTHON_VERSION, "--implementation", "cp", "--only-binary=:all:"]
    for tag in (abi, "abi3", "none"):
        args += ["--abi", tag]
    for platform in PLATFORMS:
        args += ["--platform", platform]
    return args


def download(wheels: Path) -> None:
    """Every :data:`BUNDLE` wheel for cp312 manylinux into ``wheels`` (source-only ones built here)."""
    wheels.mkdir(parents=True, exist_ok=True)
    binary = [f"{name}=={version}" for name, version in BUNDLE.items() if name not in SOURCE_ONLY]
    _pip("download", "--no-deps", "--quiet", "--dest", str(wheels), *_platform_args(), *binary)
    for name in SOURCE_ONLY:
        _pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), f"{name}=={BUNDLE[name]}")


def install(wheels: Path, target: Path) -> None:
    """Install every wheel of ``wheels`` into ``target`` for cp312, without resolving dependencies."""
    if target.exists():
        shutil.rmtree(target)
    _pip("install", "--quiet", "--no-deps", "--no-index", "--no-compile", "--target", str(target), *_platform_args(),
         *sorted(str(w) for w in wheels.glob("*.whl")))


def installed(target: Path) -> dict[str, tuple[str, list[str]]]:
    """``{canonical name: (version, Requires-Dist lines)}`` of the distributions installed in ``target``."""
    found = {}
    for metadata in target.glob("*.dist-info/METADATA"):
        fields = {"Name": "", "Version": ""}
        requires = []
        for line in metadata.read_text(errors="replace").splitlines():
            if not line.strip():
                break  # end of the header block
            key, _, value = line.partition(": ")
            if key in fields:
                fields[key] = value
            elif key == "Requires-Dist":
                requires.append(value)
        found[canonicalize_name(fields["Name"])] = (fields["Version"], requires)
    return found


def unmet_requirements(dists: dict[str, tuple[str, list[str]]]) -> list[str]:
    """Each requirement of a bundled distribution (no extras, Python 3.12 on Linux) that neither the bundle nor
    :data:`GPU_MACHINE` satisfies, as ``"dist -> requirement: why"``; :data:`KNOWN_CONFLICTS` and
    :data:`NOT_IMPORTED` are left out."""
    environment = {**default_environment(), "python_version": PYTHON_VERSION, "python_full_version": "3.12.0",
                   "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "extra": ""}
    gpu = {canonicalize_name(name): version for name, version in GPU_MACHINE.items()}
    problems = []
    for dist, (_, requires) in sorted(dists.items()):
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            name = canonicalize_name(requirement.name)
            if f"{dist} -> {name}" in KNOWN_CONFLICTS or name in NOT_IMPORTED:
                continue
            if name in dists:
                version = dists[name][0]
            elif name in gpu:
                version = gpu[name]
                if version is None:
                    continue
            else:
                problems.append(f"{dist} -> {requirement}: not in the bundle nor on the GPU machine")
                continue
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{dist} -> {requirement}: found {version}")
    return problems


def strip(target: Path) -> list[str]:
    """Remove :data:`STRIP` and bytecode caches from ``target``; the removed paths."""
    removed = []
    for relative in STRIP:
        path = target / relative
        if path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(relative)
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)
    return removed


def pack(target: Path, tarball: Path) -> int:
    """xz-compress ``target``'s contents into ``tarball``; its size in bytes."""
    with tarfile.open(tarball, "w:xz", preset=9) as archive:
        for path in sorted(target.iterdir()):
            archive.add(path, arcname=path.name)
    return tarball.stat().st_size


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build(out: Path) -> dict:
    """Download, install, check, strip and pack into ``out``; write and return ``out/manifest.json``.

    Raises:
        SystemExit: an unmet requirement, or a tarball over :data:`MAX_BUNDLE_MIB`.
    """
    wheels, target = out / "wheels", out / "target"
    shutil.rmtree(wheels, ignore_errors=True)  # only this build's wheels get installed
    download(wheels)
    install(wheels, target)
    dists = installed(target)
    problems = unmet_requirements(dists)
    missing = sorted(set(map(canonicalize_name, BUNDLE)) - set(dists))
    installed_bytes = _dir_bytes(target)
    removed = strip(target)
    size = pack(target, out / TARBALL)
    manifest = {
        "python": PYTHON_VERSION, "platforms": list(PLATFORMS),
        "distributions": {name: version for name, (version, _) in sorted(dists.items())},
        "wheels_mib": round(sum(w.stat().st_size for w in wheels.glob("*.whl")) / 2**20, 1),
        "installed_mib": round(installed_bytes / 2**20, 1), "stripped": removed,
        "stripped_mib": round(_dir_bytes(target) / 2**20, 1), "tarball": TARBALL, "tarball_mib": round(size / 2**20, 1),
        "unmet_requirements": problems, "missing_distributions": missing,
        "known_conflicts": KNOWN_CONFLICTS, "not_imported": sorted(NOT_IMPORTED),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if problems or missing:
        raise SystemExit(f"bundle incomplete: {problems + missing}")
    if size > MAX_BUNDLE_MIB * 2**20:
        raise SystemExit(f"{out / TARBALL} is {size / 2**20:.1f} MiB, over {MAX_BUNDLE_MIB} MiB")
    return manifest


IMPORT_CHECK = """
import importlib, json, sys
results = {}
for name in sys.argv[1].split(","):
    try:
        module = importlib.import_module(name)
        results[name] = "ok " + str(getattr(module, "__version__", ""))
    except Exception as error:
        results[name] = f"FAILED {type(error).__name__}: {error}"
print(json.dumps(results))
"""

RAY_CHECK = """
import os, ray
ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"BUNDLE_CHECK": "1"}})
@ray.remote
class Echo:
    def env(self):
        return os.environ.get("BUNDLE_CHECK"), ray.__file__
actor = Echo.options(name="bundle_check").remote()
print("ray actor:", ray.get(ray.get_actor("bundle_check").env.remote()))
ray.shutdown()
"""

# importable without torch (the rest import torch: verl, tensordict, transfer_queue, torchdata)
IMPORTS_WITHOUT_TORCH = ("ray", "hydra", "omegaconf", "antlr4", "codetiming", "datasets", "dill", "xxhash", "zmq",
                         "msgspec", "aiohttp", "fastapi", "uvicorn", "math_verify", "latex2sympy2_extended",
                         "jsonschema", "msgpack", "cloudpickle", "orjson", "pylatexenc", "cachetools")
IMPORTS_WITH_TORCH = ("tensordict", "transfer_queue", "torchdata", "verl", "verl.trainer.main_ppo")


def check(out: Path, python: str, start_ray: bool = True) -> dict:
    """Unpack the tarball into a clean directory and import its packages with ``python`` (cp312, nothing else on its
    path but its own site-packages); with ``start_ray``, start Ray and an actor with a runtime env. Torch-dependent
    imports are tried and reported, not required (torch is the GPU machine's)."""
    with tempfile.TemporaryDirectory(prefix="gpu_bundle_check_") as clean:
        with tarfile.open(out / TARBALL) as archive:
            archive.extractall(clean, filter="data")
        env = {**os.environ, "PYTHONPATH": clean, "PYTHONNOUSERSITE": "1"}
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
        results = {"python": version}
        for group, names in (("imports", IMPORTS_WITHOUT_TORCH), ("imports_needing_torch", IMPORTS_WITH_TORCH)):
            run = subprocess.run([python, "-c", IMPORT_CHECK, ",".join(names)], env=env, capture_output=True,
                                 text=True, timeout=600)
            results[group] = json.loads(run.stdout) if run.returncode == 0 else {"error": run.stderr[-2000:]}
        results["ray_actor"] = _ray_check(python, env) if start_ray else "skipped"
    (out / ("check.json" if start_ray else "check_imports.json")).write_text(json.dumps(results, indent=2) + "\n")
    return results


def _ray_check(python: str, env: dict[str, str]) -> str:
    run = subprocess.run([python, "-c", RAY_CHECK], env=env, capture_output=True, text=True, timeout=600)
    return (run.stdout.strip().splitlines() or ["-"])[-1] if run.returncode == 0 else f"FAILED: {run.stderr[-2000:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recipe.asyppo.scripts.gpu_bundle", description=__doc__.split(
        "\n")[0])
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("--out", type=Path, default=Path("build/gpu_bundle"), help="bundle directory")
    parser.add_argument("--python", default=f"python{PYTHON_VERSION}",
                        help="for 'check': a cp312 interpreter with the GPU machine's packages but torch")
    parser.add_argument("--no-ray", action="store_true", help="for 'check': imports only, no Ray cluster")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps(build(args.out), indent=2))
        return 0
    results = check(args.out, args.python, start_ray=not args.no_ray)
    print(json.dumps(results, indent=2))
    failed = [name for name, verdict in results["imports"].items() if not verdict.startswith("ok")]
    ray_ok = args.no_ray or results["ray_actor"].startswith("ray actor")
    return 1 if failed or not ray_ok else 0


if __name__ == "__main__":
    sys.exit(main())
