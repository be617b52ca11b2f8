"""Evaluations on a scratch copy of a model, so they never touch a data directory's own model or ledger.

An evaluation applies and reverts hundreds of edits. Run on the model a service is serving, readers would see
half-edited weights and the data directory's ledger would fill with records that are not edits of the KG. Here
the model is loaded from its registered source into a temporary data directory that shares only the caches
(converted weights, editor statistics, the built-in set's known-fact filter) of the real one.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.settings import Settings


@dataclass(frozen=True)
class EvalJob:
    """What to evaluate: a method, a mode, and the requests (a dataset file, or the built-in set)."""

    method: str = "rome"
    mode: str = "single"
    steps: int = 10
    data: Path | None = None
    lang: str = "en"
    limit: int | None = None
    seed: int = 0
    model: str | None = None
    fluency_tokens: int = 100
    #: Built-in set only: just facts about these subjects (None: all), so a small evaluation starts fast.
    subjects: tuple[str, ...] | None = None


def evaluate_on_scratch(settings: Settings, job: EvalJob, *, progress: bool = False) -> dict[str, Any]:
    """Score ``job`` on a fresh copy of ``job.model`` (default: the settings' default model) and return the
    report of :func:`editors.eval.runner.run_eval`, with ``data`` naming the request source.

    Raises:
        KGEditError: an unknown method or model, a bad dataset file, an invalid mode (typed, before any edit).
    """
    from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
    from editors.eval.datasets import load_requests
    from editors.eval.metrics import EvalOptions
    from editors.eval.runner import RunOptions, method_for, run_eval
    from models import ModelRegistry

    cache = settings.resolved_cache_dir
    requests = load_requests(job.data, limit=job.limit) if job.data is not None else None
    options = RunOptions(mode=job.mode, steps=job.steps, progress=progress,
                         scoring=EvalOptions(fluency_tokens=job.fluency_tokens))
    method = method_for(job.method, home=cache)
    with tempfile.TemporaryDirectory(prefix="kgedit-eval-") as tmp:
        scratch = settings.model_copy(update={"home": Path(tmp), "cache_dir": cache})
        _copy_registrations(settings.home, scratch.home)
        registry = ModelRegistry(scratch)
        try:
            handle = registry.get(job.model or settings.default_model)
            if requests is None:
                requests = builtin_counterfacts(handle, home=cache, options=CounterfactOptions(
                    lang=job.lang, limit=job.limit, seed=job.seed, subjects=job.subjects))
            report = run_eval(handle, method, requests, options)
        finally:
            registry.close()
    report["data"] = str(job.data) if job.data is not None else f"builtin ({job.lang})"
    return report


def _copy_registrations(home: Path, scratch: Path) -> None:
    """Models registered in ``home`` are known in the scratch directory too."""
    source = home / "models" / "registry.json"
    if source.is_file():
        (scratch / "models").mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, scratch / "models" / "registry.json")
