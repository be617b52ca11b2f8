"""Which layer an editor works on: an explicit index, a per-family fraction of depth, or causal tracing."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from editors.requests import EditRequest
from kg.errors import InvalidInput
from models import ModelHandle


def depth_layer(num_layers: int, fraction: float) -> int:
    """The layer at ``fraction`` of the depth, clipped to the model (30 layers, 0.8 -> 24).

    >>> depth_layer(30, 0.8), depth_layer(2, 0.8), depth_layer(32, 0.85)
    (24, 1, 27)
    """
    return min(num_layers - 1, max(0, round(fraction * num_layers)))


def resolve_layer(handle: ModelHandle, layer: int | str | None, fractions: Mapping[str, float], fallback: float,
                  requests: Sequence[EditRequest], *, position: str = "last") -> int:
    """The layer index an editor uses: ``layer`` itself, the family's fraction of depth (None), or the layer of
    largest MLP indirect effect found by causal tracing (``"auto"``, and None for a family without a fraction; see
    :func:`editors.locate.locate_layer`).

    Raises:
        InvalidInput: an index outside the model.
    """
    n = handle.arch.num_layers
    if layer is None and handle.arch.family not in fractions:
        layer = "auto"  # no depth tuned for this family: trace rather than guess
    if layer == "auto":
        from editors.locate.tracing import locate_layer

        return locate_layer(handle, requests, position=position)
    if layer is None:
        return depth_layer(n, fractions.get(handle.arch.family, fallback))
    if not isinstance(layer, int) or not -n <= layer < n:
        raise InvalidInput(f"layer {layer!r} is outside this {n}-layer model")
    return layer % n


#: Facts any English model knows, to trace where a model without a tuned table recalls facts (subject last token).
PROBES = (("The capital of France is", "France"), ("The Eiffel Tower is in the city of", "The Eiffel Tower"),
          ("The currency of Japan is the", "Japan"))
#: Layers in a MEMIT-style window picked by tracing: upstream's windows are five layers around the causal peak.
WINDOW = 5

_traced: dict[tuple[str, str], int] = {}
_traced_lock = threading.Lock()


def traced_layer(handle: ModelHandle, *, position: str = "subject") -> int:
    """The layer of largest MLP indirect effect over :data:`PROBES`, traced once per base model and position (a
    few seconds to a minute on a CPU) and kept for the process."""
    key = (handle.ledger.base_checksum, position)
    with _traced_lock:
        if key not in _traced:
            from editors.locate.tracing import locate_layer

            probes = [EditRequest(prompt=p, subject=s, target_new=" ?") for p, s in PROBES]
            _traced[key] = locate_layer(handle, probes, position=position)
        return _traced[key]


def traced_overrides(handle: ModelHandle, overrides: Mapping[str, Any], *, key: str,
                     tuned_families: Collection[str]) -> dict[str, Any]:
    """``overrides`` with the edited layer (``key="layer"``) or MEMIT-style window (``"layers"``) picked by causal
    tracing where the caller asks for it (``"auto"``) or where the method has no defaults tuned for the model's
    family (rather than scaling another family's); otherwise unchanged."""
    value = overrides.get(key)
    if value != "auto" and (key in overrides or handle.arch.family in tuned_families):
        return dict(overrides)
    peak = traced_layer(handle)
    if key == "layer":
        return {**overrides, key: peak}
    depth = handle.arch.num_layers
    start = max(0, min(peak - WINDOW // 2, depth - WINDOW))
    return {**overrides, key: tuple(range(start, min(depth, start + WINDOW)))}
