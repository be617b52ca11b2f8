"""Which layer an editor works on: an explicit index, a per-family fraction of depth, or causal tracing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    largest MLP indirect effect found by causal tracing (``"auto"``, see :func:`editors.locate.locate_layer`).

    Raises:
        InvalidInput: an index outside the model.
    """
    n = handle.arch.num_layers
    if layer == "auto":
        from editors.locate.tracing import locate_layer

        return locate_layer(handle, requests, position=position)
    if layer is None:
        return depth_layer(n, fractions.get(handle.arch.family, fallback))
    if not isinstance(layer, int) or not -n <= layer < n:
        raise InvalidInput(f"layer {layer!r} is outside this {n}-layer model")
    return layer % n
