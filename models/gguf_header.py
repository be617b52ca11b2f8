"""Read a GGUF file's ``general.architecture`` without parsing the whole file.

gguf's ``GGUFReader`` parses every field (the 49k-token vocabulary included) and takes ~6 s on the default
model; the architecture key is the first one writers emit, so a streaming read finds it in microseconds.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from kg.errors import ModelLoadError

_MAGIC = b"GGUF"
_STRING, _ARRAY = 8, 9
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def read_architecture(path: Path) -> str:
    """The ``general.architecture`` value of the GGUF file at ``path``.

    Raises:
        ModelLoadError: not a GGUF file, or it has no architecture key.
    """
    try:
        with open(path, "rb") as f:
            return _scan(f, path)
    except (OSError, struct.error, UnicodeDecodeError) as e:
        raise ModelLoadError(f"{path}: cannot read the GGUF header: {e}") from e


def _scan(f: BinaryIO, path: Path) -> str:
    if f.read(4) != _MAGIC:
        raise ModelLoadError(f"{path}: not a GGUF file (bad magic)")
    version, _tensors, n_kv = struct.unpack("<IQQ", f.read(20))
    if version < 2:
        raise ModelLoadError(f"{path}: GGUF version {version} is too old")
    for _ in range(n_kv):
        key = _read_str(f)
        (vtype,) = struct.unpack("<I", f.read(4))
        if key == "general.architecture" and vtype == _STRING:
            return _read_str(f)
        _skip(f, vtype)
    raise ModelLoadError(f"{path}: GGUF header has no general.architecture")


def _read_str(f: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", f.read(8))
    return f.read(n).decode("utf-8")


def _skip(f: BinaryIO, vtype: int) -> None:
    if vtype == _STRING:
        (n,) = struct.unpack("<Q", f.read(8))
        f.seek(n, 1)
    elif vtype == _ARRAY:
        item_type, count = struct.unpack("<IQ", f.read(12))
        if item_type in _SCALAR_SIZES:
            f.seek(_SCALAR_SIZES[item_type] * count, 1)
        else:
            for _ in range(count):
                _skip(f, item_type)
    elif vtype in _SCALAR_SIZES:
        f.seek(_SCALAR_SIZES[vtype], 1)
    else:
        raise ModelLoadError(f"unknown GGUF value type {vtype}")
