"""Device, dtype and CPU-thread choices, resolved once from :class:`~kg.settings.Settings`."""

from __future__ import annotations

import logging
import os

import torch

from kg.errors import ConfigError

logger = logging.getLogger(__name__)

_DTYPES = {
    "float32": torch.float32, "fp32": torch.float32,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float16": torch.float16, "fp16": torch.float16,
}
#: CPU machines with at most this many cores decode faster on one thread (torch's spin-waiting OpenMP
#: threads cost 5-13x on 2-core machines; see shared/reference/platform.md section 1).
SMALL_MACHINE_CORES = 4


def resolve_device(spec: str) -> torch.device:
    """Turn ``"auto"`` (cuda > mps > cpu) or an explicit ``cpu``/``cuda[:N]``/``mps`` into a device.

    Raises:
        ConfigError: the named device does not exist on this machine.
    """
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as e:
        raise ConfigError(f"invalid device {spec!r}: {e}") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {spec!r} requested but CUDA is not available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {spec!r} requested but MPS is not available")
    return device


def resolve_dtype(name: str) -> torch.dtype:
    """Map a settings dtype name (``float32``, ``bfloat16``, ``float16`` or short forms) to a torch dtype.

    Raises:
        ConfigError: the name is unknown.
    """
    try:
        return _DTYPES[name.lower()]
    except KeyError:
        raise ConfigError(f"unknown dtype {name!r}; use one of {', '.join(sorted(_DTYPES))}") from None


def configure_threads(device: torch.device, num_threads: int | None) -> int | None:
    """Set torch's intra-op threads for CPU work and return the number set (None: left as it was).

    ``num_threads=None`` means automatic: 1 thread on CPU machines with <= 4 cores, torch's default elsewhere.
    """
    if device.type != "cpu":
        return None
    if num_threads is None and (os.cpu_count() or 1) <= SMALL_MACHINE_CORES:
        num_threads = 1
    if num_threads is not None:
        torch.set_num_threads(num_threads)
        logger.debug("torch CPU threads set to %d", num_threads)
    return num_threads
