"""Low-rank weight changes of ``mlp_out`` layers: emulated with hooks while an edit is computed, and laid out as
ledger factors once it is done.

An update is kept as ``ΔW = out @ in_.T`` in [out, in] orientation (``out``: [d_model, r], ``in_``: [d_ff, r]).
While MEMIT walks up its layers it must see the layers it already changed, but it may not write weights (it
holds only the read lock; the ledger applies the finished record). :func:`pending` adds ``k @ in_ @ out.T`` to
each changed projection's output instead, on the computing thread only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from editors._common.hooks import forward_hooks
from models import Arch, LowRankRecord, ModelHandle


@dataclass(frozen=True)
class LayerDelta:
    """``ΔW = out @ in_.T`` for one layer's ``mlp_out`` in [out, in] orientation (float64 or float32)."""

    out: torch.Tensor  # [d_model, r]
    in_: torch.Tensor  # [d_ff, r]


@contextmanager
def pending(handle: ModelHandle, deltas: Mapping[int, LayerDelta]) -> Iterator[None]:
    """Run the block as if each ``deltas[layer]`` were added to that layer's ``mlp_out`` weight."""

    def add(delta: LayerDelta):
        def fn(x: torch.Tensor, *, hook: str) -> torch.Tensor:
            return x + (state[hook] @ delta.in_.to(x)) @ delta.out.to(x).T

        return fn

    state: dict[str, torch.Tensor] = {}

    def keep_input(x: torch.Tensor, *, hook: str) -> None:
        state[hook] = x

    paths = {handle.arch.mlp_out_path(layer): d for layer, d in deltas.items()}
    with forward_hooks(handle.model, inputs={p: keep_input for p in paths},
                       outputs={p: add(d) for p, d in paths.items()}):
        yield


def parameter_name(arch: Arch, layer: int) -> str:
    return f"{arch.mlp_out_path(layer)}.weight"


def record(handle: ModelHandle, deltas: Mapping[int, LayerDelta], meta: Mapping[str, object]) -> LowRankRecord:
    """A ledger record of the deltas, factors in each parameter's own layout (GPT-2's Conv1D is [in, out]).

    Raises:
        InvalidInput: factors that do not fit (a bug, not a user error).
    """
    arch = handle.arch
    factors = {}
    for layer, d in sorted(deltas.items()):
        out, in_ = d.out.detach().float().cpu(), d.in_.detach().float().cpu()
        factors[parameter_name(arch, layer)] = (in_, out) if arch.facts.conv1d else (out, in_)
    return LowRankRecord.create(handle.model, factors, meta=dict(meta))


def weight_out_in(handle: ModelHandle, layer: int) -> torch.Tensor:
    """The ``mlp_out`` weight of ``layer`` viewed as [out, in] (no copy)."""
    return handle.arch.as_out_in(handle.arch.mlp_out(layer).weight)
