"""Knowledge locating: causal tracing, the logit lens, and picking the layer an editor works on.

>>> from editors.locate import causal_trace, logit_lens, locate_layer   # doctest: +SKIP
>>> causal_trace(handle, "The capital of France is", "France", samples=3).peak          # doctest: +SKIP
>>> logit_lens(handle, "The capital of France is", answer=" Paris").layers[-1].answer_rank  # doctest: +SKIP
"""

from editors.locate.lens import LensLayer, LogitLens, logit_lens
from editors.locate.tracing import CausalTrace, causal_trace, locate_layer

__all__ = ["CausalTrace", "LensLayer", "LogitLens", "causal_trace", "locate_layer", "logit_lens"]
