"""MEMIT's walk up the edited layers, shared by MEMIT and AlphaEdit (they differ only in the per-layer solve).

Given target residual vectors ``z`` (the output of block ``L = layers[-1]`` at each request's subject, shifted
by the optimised ``δ``), for each layer ``l`` in ascending order:

    K_l   = template-averaged keys at layer l, read with the layers below already changed
    R     = (z − h^L(current)) / (number of layers left)        # h^L read at the bare prompt
    ΔW_l  = R · A_lᵀ  with  A_l = solver(l, K_l)                # MEMIT: (λC + KKᵀ)⁻¹K

Changed layers are emulated with hooks (:func:`editors._common.deltas.pending`), never written: the caller
applies the finished record through the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from editors._common.deltas import LayerDelta, pending
from editors._common.keys import subject_keys
from editors.requests import EditRequest
from models import ModelHandle

#: ``solver(layer, K)`` with K [d_ff, n] float64 returns A [d_ff, n] float64 such that ΔW = R Aᵀ.
Solver = Callable[[int, torch.Tensor], torch.Tensor]


def spread(
    handle: ModelHandle, requests: Sequence[EditRequest], templates: Sequence[str], layers: Sequence[int],
    z: torch.Tensor, solver: Solver,
) -> dict[int, LayerDelta]:
    """The per-layer deltas (see the module docstring); ``z`` is [n, d_model]."""
    block = handle.arch.layer_path(layers[-1])
    deltas: dict[int, LayerDelta] = {}
    for i, layer in enumerate(layers):
        with pending(handle, deltas):
            keys, current = subject_keys(handle, requests, [layer], templates, output_of=block)
        k = keys[layer].T.double()
        resid = (z.double() - current.double()).T / (len(layers) - i)
        deltas[layer] = LayerDelta(out=resid, in_=solver(layer, k))
    return deltas


def keys_after(
    handle: ModelHandle, requests: Sequence[EditRequest], templates: Sequence[str], deltas: dict[int, LayerDelta]
) -> dict[int, torch.Tensor]:
    """Template-averaged keys ``{layer: [d_ff, n]}`` with all ``deltas`` in effect (AlphaEdit's K_p update)."""
    with pending(handle, deltas):
        keys, _ = subject_keys(handle, requests, sorted(deltas), templates)
    return {layer: k.T.contiguous() for layer, k in keys.items()}
