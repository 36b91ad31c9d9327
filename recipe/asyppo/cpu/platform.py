"""A CPU platform for verl 0.9 (development and demo runs only).

verl resolves its device backend through ``verl.plugin.platform``: ``VERL_PLATFORM=<name>`` picks a class registered
with ``PlatformRegistry.register``, else the first registered platform whose ``is_platform_available`` is true, else
"nvidia". :class:`PlatformCPU` is registered as ``"cpu"`` and never claims availability during auto-detection, so it is
used only when ``VERL_PLATFORM=cpu`` asks for it.

What the platform supplies: torch device ``"cpu"``, the gloo collective backend, the Ray resource ``CPU`` (each verl
worker takes one logical CPU of its placement-group bundle), and a device module whose accelerator-only calls
(memory statistics, caches, IPC) are no-ops.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import torch
from verl.plugin.platform import PlatformBase, PlatformRegistry

PLATFORM_NAME = "cpu"


class _CPUDeviceModule(ModuleType):
    """Stand-in for ``torch.cuda`` on CPU: what verl calls through ``get_torch_device()``.

    Streams and events come from ``torch.cpu``; memory queries report 0 bytes used (``mem_get_info`` reports host
    memory); cache, IPC and memory-fraction calls do nothing; the RNG state is torch's global CPU generator.
    """

    def __init__(self) -> None:
        super().__init__("verl_cpu_device")
        self.Stream = torch.cpu.Stream
        self.Event = torch.cpu.Event
        self.stream = torch.cpu.stream
        self.current_stream = torch.cpu.current_stream
        self.get_rng_state = torch.get_rng_state
        self.set_rng_state = torch.set_rng_state
        self.manual_seed = torch.manual_seed
        self.manual_seed_all = torch.manual_seed

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def is_initialized() -> bool:
        return True

    @staticmethod
    def device_count() -> int:
        return 1

    @staticmethod
    def current_device() -> str:
        """``"cpu"`` (as ``torch.cpu.current_device``): verl passes it to ``.to(...)``, where an int means a GPU."""
        return "cpu"

    @staticmethod
    def set_device(device: Any) -> None:
        return None

    @staticmethod
    def synchronize(device: Any = None) -> None:
        return None

    @staticmethod
    def empty_cache() -> None:
        return None

    @staticmethod
    def ipc_collect() -> None:
        return None

    @staticmethod
    def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
        return None

    @staticmethod
    def get_device_name(device: Any = None) -> str:
        return "cpu"

    @staticmethod
    def mem_get_info(device: Any = None) -> tuple[int, int]:
        """(free_bytes, total_bytes) of host memory."""
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page

    @staticmethod
    def memory_allocated(device: Any = None) -> int:
        return 0

    @staticmethod
    def memory_reserved(device: Any = None) -> int:
        return 0

    @staticmethod
    def max_memory_allocated(device: Any = None) -> int:
        return 0

    @staticmethod
    def max_memory_reserved(device: Any = None) -> int:
        return 0

    @staticmethod
    def reset_peak_memory_stats(device: Any = None) -> None:
        return None


_DEVICE_MODULE = _CPUDeviceModule()


@PlatformRegistry.register(platform=PLATFORM_NAME)
class PlatformCPU(PlatformBase):
    """verl platform for CPU-only machines: device ``cpu``, backend ``gloo``, Ray resource ``CPU``."""

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> ModuleType:
        return _DEVICE_MODULE

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        """False: auto-detection never picks the CPU platform; ``VERL_PLATFORM=cpu`` selects it explicitly."""
        return False

    def current_device(self) -> str:
        """``"cpu"``: verl uses ``get_device_id()`` as a ``.to(...)`` target, where an int would mean an accelerator."""
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: int | None = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[int | None, int | None]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "CPU"

    def ray_resource_options(self, num_gpus: float) -> dict[str, Any]:
        """Ray rejects ``CPU`` as a custom resource, so the share goes to ``num_cpus``."""
        return {"num_cpus": num_gpus}

    def ray_noset_envvars(self) -> list[str]:
        return []

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self) -> Any:
        return None


def is_cpu_platform_requested() -> bool:
    """True when ``VERL_PLATFORM`` names this platform (the only way it is activated)."""
    return os.environ.get("VERL_PLATFORM", "").strip().lower() == PLATFORM_NAME
