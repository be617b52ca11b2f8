"""AlphaEdit (Fang et al. 2025): MEMIT with each update projected onto the null space of the preserved keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch

from editors._common.deltas import record
from editors._common.method import StatisticsEditor
from editors._common.spread import keys_after, spread
from editors._common.stats import SecondMoments
from editors._common.validate import validate
from editors._common.values import optimise
from editors.alphaedit.hparams import AlphaEditHparams
from editors.alphaedit.preserved import PreservedKeys
from editors.base import register_method
from editors.requests import EditRequest
from models import LowRankRecord, ModelHandle


@register_method("alphaedit")
class AlphaEdit(StatisticsEditor):
    """AlphaEdit editor: ``AlphaEdit(home=settings.home, **overrides)``. Per layer

        ΔWᵀ = (P (K Kᵀ + K_p K_pᵀ) + αI)⁻¹ P K Rᵀ,    P = U₀U₀ᵀ (eigenvectors of C with small eigenvalues)

    with ``K_p K_pᵀ`` summed over the AlphaEdit records the ledger has applied (see
    :mod:`editors.alphaedit.preserved`). The record's factors are ``(R, (P(KKᵀ+K_pK_pᵀ)+αI)⁻¹PK)`` per layer.
    """

    name: ClassVar[str] = "alphaedit"
    batchable: ClassVar[bool] = True
    hparams_class: ClassVar[type] = AlphaEditHparams

    def __init__(self, *, home: Path | None = None, stats: SecondMoments | None = None,
                 preserved: PreservedKeys | None = None, **hparams: Any) -> None:
        super().__init__(home=home, stats=stats, **hparams)
        self.preserved = preserved or PreservedKeys(home)
        self._projections: dict[tuple[str, int, int, float], torch.Tensor] = {}
        self._lock = threading.Lock()

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> LowRankRecord:
        """Compute the batch edit of ``requests`` and return its record, not yet applied (its preserved keys are
        stored under the record id and count once the ledger applies it).

        Raises:
            InvalidInput: a bad request or hyper-parameter (before any tensor moves).
        """
        hp = self.hparams(handle)
        validate(handle, requests, method=self.name, batchable=self.batchable)
        started = time.perf_counter()
        with handle.reading():
            templates = self.templates.get(handle, hp.context_templates)
            projections = self.projections(handle, hp)
            values = optimise(handle, requests, templates, handle.arch.layer_path(hp.layers[-1]), hp.value_knobs)
            grams = {l: self.preserved.gram(handle, handle.arch.mlp_out_path(l), projections[l].shape[0])
                     for l in hp.layers}
            solver = _alphaedit_solver(projections, grams, hp.l2)
            deltas = spread(handle, requests, templates, hp.layers, values.v0 + values.delta, solver)
            after = keys_after(handle, requests, templates, deltas)
            meta = self.edit_meta(hp, hp.layers, requests, values, started,
                                  preserved_records=len(self.preserved.applied_records(handle)))
            out = record(handle, deltas, meta)
        self.preserved.save(handle, out.id, {handle.arch.mlp_out_path(l): k for l, k in after.items()})
        return out

    def projections(self, handle: ModelHandle, hp: AlphaEditHparams) -> dict[int, torch.Tensor]:
        """``{layer: P}`` (float64): the projector onto the span of C's eigenvectors below the threshold."""
        base = handle.ledger.base_checksum
        wanted = {l: (base, l, hp.stats_samples, hp.nullspace_threshold) for l in hp.layers}
        with self._lock:
            missing = [l for l, key in wanted.items() if key not in self._projections]
        if missing:
            stats = self.stats.get(handle, missing, hp.stats_samples)
            for layer in missing:
                projector = null_space_projector(stats[layer], hp.nullspace_threshold)
                with self._lock:
                    self._projections[wanted[layer]] = projector
        with self._lock:
            return {l: self._projections[key] for l, key in wanted.items()}


def null_space_projector(c: torch.Tensor, threshold: float) -> torch.Tensor:
    """``U₀U₀ᵀ`` for the eigenvectors of the symmetric PSD ``c`` whose eigenvalues are below ``threshold`` times
    the mean eigenvalue."""
    eigenvalues, vectors = torch.linalg.eigh(c.double())
    small = vectors[:, eigenvalues < threshold * eigenvalues.mean()]
    return small @ small.T


def _alphaedit_solver(projections: dict[int, torch.Tensor], grams: dict[int, torch.Tensor], alpha: float):
    def solve(layer: int, k: torch.Tensor) -> torch.Tensor:
        p = projections[layer].to(k.device)
        m = p @ (k @ k.T + grams[layer].to(k.device)) + alpha * torch.eye(p.shape[0], dtype=p.dtype, device=k.device)
        return torch.linalg.solve(m, p @ k)

    return solve
