"""kgedit models: the registry (load once, device, dtype, converted-weights cache, read/write locks, memory
budget), architecture tables, generation with pluggable decoding, and the weight-delta ledger.

>>> from kg.settings import Settings
>>> from models import ModelRegistry
>>> registry = ModelRegistry(Settings.load())          # doctest: +SKIP
>>> handle = registry.get()                            # doctest: +SKIP  (smollm2-135m)
>>> handle.generate(["The capital of France is"], chat=False, max_new_tokens=8)  # doctest: +SKIP
[' Paris.\\n\\nThe answer is: 2']

The names below are imported from their modules on first use, so that importing a torch-free module of this
package (``models.registrations``, ``models.sources``) does not import torch, which takes seconds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "models.arch": ("Arch",),
    "models.generation": ("Beam", "DecodeRequest", "DecodingStrategy", "Greedy", "Sampling", "StepState",
                          "Stepwise"),
    "models.handle": ("ModelHandle",),
    "models.ledger": ("DenseRecord", "Ledger", "LowRankRecord", "ModuleRecord", "OutputOffset", "Record",
                      "WrapperModule"),
    "models.registry": ("ModelRegistry",),
    "models.sources": ("GGUFSource", "HFFolderSource", "SafetensorsSource"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)

if TYPE_CHECKING:
    from models.arch import Arch
    from models.generation import Beam, DecodeRequest, DecodingStrategy, Greedy, Sampling, StepState, Stepwise
    from models.handle import ModelHandle
    from models.ledger import DenseRecord, Ledger, LowRankRecord, ModuleRecord, OutputOffset, Record, WrapperModule
    from models.registry import ModelRegistry
    from models.sources import GGUFSource, HFFolderSource, SafetensorsSource


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups find it directly
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
