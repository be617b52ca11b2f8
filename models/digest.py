"""Checksums of tensors and files.

xxh3-128 rather than sha256: these digests detect drift and corruption (not adversaries), and xxh3 hashes the
0.5 GB default model in ~0.05 s where sha256 takes ~0.4 s, which keeps a warm load well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
import xxhash

ALGORITHM = "xxh3_128"
_CHUNK = 16 << 20


def tensor_digest(tensor: torch.Tensor) -> str:
    """Digest of a tensor's dtype, shape and exact bytes (device-independent)."""
    flat = tensor.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8)
    h = xxhash.xxh3_128()
    h.update(f"{tensor.dtype}|{tuple(tensor.shape)}|".encode())
    h.update(flat.numpy().data)
    return h.hexdigest()


def state_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """Digest of a named set of tensors (e.g. a module's state_dict), independent of insertion order."""
    return text_digest(*(f"{name}={tensor_digest(t)}" for name, t in sorted(tensors.items())))


def text_digest(*parts: str) -> str:
    """Digest of an ordered sequence of strings."""
    h = xxhash.xxh3_128()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def files_digest(paths: Iterable[Path]) -> str:
    """Digest of the concatenated bytes of ``paths`` (chunked GGUF parts hash as the assembled file).

    Raises:
        OSError: a file cannot be read.
    """
    h = xxhash.xxh3_128()
    for path in paths:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()
