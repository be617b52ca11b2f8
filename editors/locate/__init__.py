"""Knowledge locating: causal tracing, the logit lens, and picking the layer an editor works on.

>>> from editors.locate import causal_trace, logit_lens, locate_layer   # doctest: +SKIP
>>> causal_trace(handle, "The capital of France is", "France", samples=3).peak          # doctest: +SKIP
>>> logit_lens(handle, "The capital of France is", answer=" Paris").layers[-1].answer_rank  # doctest: +SKIP

The result types (:mod:`editors.locate.results`) import without torch; the functions load it on first use.
"""

from importlib import import_module
from typing import Any

from editors.locate.results import KINDS, CausalTrace, LensLayer, LogitLens

_FUNCTIONS = {"causal_trace": "editors.locate.tracing", "locate_layer": "editors.locate.tracing",
              "logit_lens": "editors.locate.lens"}

__all__ = ["KINDS", "CausalTrace", "LensLayer", "LogitLens", "causal_trace", "locate_layer", "logit_lens"]


def __getattr__(name: str) -> Any:
    if name in _FUNCTIONS:
        return getattr(import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'editors.locate' has no attribute {name!r}")
