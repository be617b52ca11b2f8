"""MEMIT (Meng et al. 2023): many facts in one batch, spread over several MLP output projections."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

import torch

from editors._common.deltas import record
from editors._common.method import StatisticsEditor
from editors._common.spread import spread
from editors._common.validate import validate
from editors._common.values import optimise
from editors.base import register_method
from editors.memit.hparams import MemitHparams
from editors.requests import EditRequest
from models import LowRankRecord, ModelHandle


@register_method("memit")
class Memit(StatisticsEditor):
    """MEMIT editor: ``Memit(home=settings.home, **overrides)``; one low-rank record (rank ≤ n per layer) for a
    batch of n requests. Statistics are cached under ``<home>/stats`` (in memory only without ``home``).
    """

    name: ClassVar[str] = "memit"
    batchable: ClassVar[bool] = True
    hparams_class: ClassVar[type] = MemitHparams

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> LowRankRecord:
        """Compute the batch edit of ``requests`` and return its record, not yet applied.

        Raises:
            InvalidInput: a bad request or hyper-parameter (before any tensor moves).
        """
        hp = self.hparams(handle)
        validate(handle, requests, method=self.name, batchable=self.batchable)
        started = time.perf_counter()
        with handle.reading():
            templates = self.templates.get(handle, hp.context_templates)
            stats = self.stats.get(handle, hp.layers, hp.stats_samples)
            values = optimise(handle, requests, templates, handle.arch.layer_path(hp.layers[-1]), hp.value_knobs)
            solver = _memit_solver(stats, hp.mom2_update_weight)
            deltas = spread(handle, requests, templates, hp.layers, values.v0 + values.delta, solver)
            return record(handle, deltas, self.edit_meta(hp, hp.layers, requests, values, started))


def _memit_solver(stats: dict[int, torch.Tensor], weight: float):
    """A_l = (λ C_l + K Kᵀ)⁻¹ K, in float64."""

    def solve(layer: int, k: torch.Tensor) -> torch.Tensor:
        c = stats[layer].to(k.device, torch.float64)
        return torch.linalg.solve(weight * c + k @ k.T, k)

    return solve
