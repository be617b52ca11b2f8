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

from typing import TYPE_CHECKING

from kg.lazy import lazy_exports

if TYPE_CHECKING:
    from models.arch import Arch
    from models.generation import Beam, DecodeRequest, DecodingStrategy, Greedy, Sampling, StepState, Stepwise
    from models.handle import ModelHandle
    from models.ledger import DenseRecord, Ledger, LowRankRecord, ModuleRecord, OutputOffset, Record, WrapperModule
    from models.registry import ModelRegistry
    from models.sources import GGUFSource, HFFolderSource, SafetensorsSource

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "models.arch": ("Arch",),
    "models.generation": ("Beam", "DecodeRequest", "DecodingStrategy", "Greedy", "Sampling", "StepState",
                          "Stepwise"),
    "models.handle": ("ModelHandle",),
    "models.ledger": ("DenseRecord", "Ledger", "LowRankRecord", "ModuleRecord", "OutputOffset", "Record",
                      "WrapperModule"),
    "models.registry": ("ModelRegistry",),
    "models.sources": ("GGUFSource", "HFFolderSource", "SafetensorsSource"),
})
