"""ROME (Meng et al. 2022): one fact per edit as a rank-one change of one MLP output projection."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import ClassVar

from editors._common.deltas import LayerDelta, record
from editors._common.method import StatisticsEditor
from editors._common.keys import subject_keys
from editors._common.validate import validate
from editors._common.values import optimise
from editors.base import register_method
from editors.rome.hparams import RomeHparams
from editors.rome.rank_one import rank_one
from editors.requests import EditRequest
from models import LowRankRecord, ModelHandle

logger = logging.getLogger(__name__)


@register_method("rome")
class Rome(StatisticsEditor):
    """ROME editor. ``Rome(home=settings.home, **overrides)``; statistics are cached under ``<home>/stats``
    (in memory only without ``home``). Keep the instance: it also caches context templates per model state.

    >>> method = Rome(layer=4, v_steps=10)      # doctest: +SKIP
    >>> handle.ledger.apply(method.apply(handle, [request]))   # doctest: +SKIP
    """

    name: ClassVar[str] = "rome"
    batchable: ClassVar[bool] = False
    hparams_class: ClassVar[type] = RomeHparams

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> LowRankRecord:
        """Compute the edit of ``requests`` (exactly one) and return its record, not yet applied.

        Raises:
            InvalidInput: a bad request or hyper-parameter (before any tensor moves).
        """
        hp = self.hparams(handle)
        validate(handle, requests, method=self.name, batchable=self.batchable)
        started = time.perf_counter()
        with handle.reading():
            templates = self.templates.get(handle, hp.context_templates)
            c = self.stats.get(handle, [hp.layer], hp.stats_samples)[hp.layer] if hp.mom2_adjustment else None
            keys, _ = subject_keys(handle, requests, [hp.layer], templates)
            values = optimise(handle, requests, templates, handle.arch.mlp_out_path(hp.layer), hp.value_knobs)
            w, u = rank_one(keys[hp.layer][0], values.delta[0], c)
            meta = self.edit_meta(hp, [hp.layer], requests, values, started)
            out = record(handle, {hp.layer: LayerDelta(out=w[:, None], in_=u[:, None])}, meta)
        if not hp.mom2_adjustment:
            logger.warning("ROME without mom2 adjustment (u = k*): upstream results drop; the default is on")
        return out
