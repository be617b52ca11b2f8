"""kgedit models: the registry (load once, device, dtype, converted-weights cache, read/write locks, memory
budget), architecture tables, generation with pluggable decoding, and the weight-delta ledger.

>>> from kg.settings import Settings
>>> from models import ModelRegistry
>>> registry = ModelRegistry(Settings.load())          # doctest: +SKIP
>>> handle = registry.get()                            # doctest: +SKIP  (smollm2-135m)
>>> handle.generate(["The capital of France is"], chat=False, max_new_tokens=8)  # doctest: +SKIP
[' Paris.\\n\\nThe answer is: 2']
"""

from models.arch import Arch
from models.generation import Beam, DecodeRequest, DecodingStrategy, Greedy, Sampling, StepState, Stepwise
from models.handle import ModelHandle
from models.ledger import DenseRecord, Ledger, LowRankRecord, ModuleRecord, OutputOffset, Record, WrapperModule
from models.registry import ModelRegistry
from models.sources import GGUFSource, HFFolderSource, SafetensorsSource

__all__ = [
    "Arch", "Beam", "DecodeRequest", "DecodingStrategy", "DenseRecord", "GGUFSource", "Greedy", "HFFolderSource",
    "Ledger", "LowRankRecord", "ModelHandle", "ModelRegistry", "ModuleRecord", "OutputOffset", "Record", "Sampling",
    "SafetensorsSource", "StepState", "Stepwise", "WrapperModule",
]
