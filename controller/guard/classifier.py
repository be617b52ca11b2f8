"""The classifier signal: logistic regression over sentence embeddings, shipped as a small checksummed artefact.

Files (written by :mod:`controller.guard.build`): ``classifier.npz`` holds ``coef`` (d,), ``intercept`` (1,)
and ``exemplars`` (n, d, int8-quantised unit vectors of harmful training statements, used to name the nearest
harmful example in a reason); ``classifier.json`` holds the thresholds, the exemplar texts, the data sources,
counts and versions, and the SHA-256 of the ``.npz``, which :meth:`HarmClassifier.load` verifies.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kg.errors import ConfigError

WEIGHTS_FILE = "classifier.npz"
META_FILE = "classifier.json"
_INT8_SCALE = 127.0


@dataclass(frozen=True)
class ClassifierScore:
    """The classifier's view of one text: ``probability`` of harm and the nearest harmful training example."""

    probability: float
    nearest: str
    similarity: float


class HarmClassifier:
    """Scores embeddings; loaded from a data folder with :meth:`load`."""

    def __init__(self, coef: np.ndarray, intercept: float, exemplars: np.ndarray, exemplar_texts: list[str],
                 meta: Mapping[str, Any]):
        if exemplars.shape[0] != len(exemplar_texts):
            raise ConfigError("guard classifier: exemplar vectors and texts differ in number")
        self._coef = coef.astype(np.float32)
        self._intercept = float(intercept)
        self._exemplars = exemplars.astype(np.float32)
        self._texts = exemplar_texts
        self.meta = dict(meta)

    @classmethod
    def load(cls, data_dir: str | Path) -> HarmClassifier:
        """Load and verify the artefact in ``data_dir``.

        Raises:
            ConfigError: a file is missing or unreadable, or the weights' checksum differs from the recorded one.
        """
        weights, meta_path = Path(data_dir) / WEIGHTS_FILE, Path(data_dir) / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if file_sha256(weights) != meta["sha256"][WEIGHTS_FILE]:
                raise ConfigError(f"guard classifier {weights}: checksum differs from {meta_path}; rebuild it with "
                                  "python -m controller.guard.build")
            with np.load(weights, allow_pickle=False) as z:
                coef, intercept, ex = z["coef"], z["intercept"], z["exemplars"]
        except (OSError, ValueError, KeyError) as e:
            raise ConfigError(f"guard classifier in {data_dir} is missing or unreadable: {e}") from e
        return cls(coef, float(intercept[0]), ex.astype(np.float32) / _INT8_SCALE, list(meta["exemplar_texts"]), meta)

    @property
    def thresholds(self) -> tuple[float, float]:
        """``(quarantine, refuse)`` probabilities recorded by the build."""
        t = self.meta["thresholds"]
        return float(t["quarantine"]), float(t["refuse"])

    def score(self, vectors: np.ndarray) -> list[ClassifierScore]:
        """One :class:`ClassifierScore` per row of ``vectors`` (unit-length embeddings)."""
        if vectors.shape[0] == 0:
            return []
        probs = 1.0 / (1.0 + np.exp(-(vectors @ self._coef + self._intercept)))
        sims = vectors @ self._exemplars.T
        best = sims.argmax(axis=1)
        return [ClassifierScore(float(p), self._texts[i], float(sims[r, i]))
                for r, (p, i) in enumerate(zip(probs, best, strict=True))]


def save_artifact(data_dir: str | Path, *, coef: np.ndarray, intercept: float, exemplars: np.ndarray,
                  exemplar_texts: list[str], meta: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``classifier.npz`` (byte-for-byte reproducible) and ``classifier.json``; return the metadata."""
    data_dir = Path(data_dir)
    arrays = {"coef": coef.astype(np.float32), "intercept": np.array([intercept], dtype=np.float32),
              "exemplars": np.clip(np.rint(exemplars * _INT8_SCALE), -127, 127).astype(np.int8)}
    weights = data_dir / WEIGHTS_FILE
    weights.write_bytes(_npz_bytes(arrays))
    full = {**meta, "exemplar_texts": list(exemplar_texts), "sha256": {WEIGHTS_FILE: file_sha256(weights)}}
    (data_dir / META_FILE).write_text(json.dumps(full, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return full


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    # np.savez stamps the current time into the zip; a fixed stamp makes rebuilds byte-identical.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue(),
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()
