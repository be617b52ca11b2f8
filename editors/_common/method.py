"""What ROME, MEMIT and AlphaEdit share as editors: hyper-parameters resolved per model from the instance's
overrides, second moments and context templates cached per instance, and the meta every record carries."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from editors._common.hparams import as_meta, check_overrides, hparams_for
from editors._common.stats import SecondMoments
from editors._common.templates import TemplateCache
from editors._common.values import Values
from editors.requests import EditRequest
from models import ModelHandle


class StatisticsEditor:
    """Base of the editors that solve against key statistics. Subclasses set ``hparams_class`` (a dataclass with
    ``for_model(shape, overrides)``). Keep an instance: statistics and templates are computed once per model."""

    hparams_class: ClassVar[type]
    needs_stats: ClassVar[bool] = True
    name: ClassVar[str]

    def __init__(self, *, home: Path | None = None, stats: SecondMoments | None = None, **hparams: Any) -> None:
        self.overrides = check_overrides(self.hparams_class, hparams)
        self.stats = stats or SecondMoments(home)
        self.templates = TemplateCache()

    def hparams(self, handle: ModelHandle) -> Any:
        """The knobs this instance uses on ``handle``'s model (family defaults plus overrides)."""
        return hparams_for(self.hparams_class, handle, self.overrides)

    def edit_meta(self, hp: Any, layers: Sequence[int], requests: Sequence[EditRequest], values: Values,
                  started: float, **extra: Any) -> dict[str, Any]:
        """The record's meta: method, layers, knobs, the requests, the value fit and the seconds since
        ``started`` (a ``time.perf_counter()`` reading)."""
        return {"method": self.name, "layers": list(layers), "hparams": as_meta(hp),
                "requests": [r.model_dump(include={"prompt", "subject", "target_new"}) for r in requests],
                "nll_before": values.nll_before, "nll_after": values.nll_after, "steps": values.steps, **extra,
                "seconds": round(time.perf_counter() - started, 3)}
