"""WISE's side memory as a ledger module: per-edit low-rank parts of ``W' − W`` with a retrieval router.

The side memory of one MLP output projection is ``W' = W + D_k``, where each edit record ``k`` holds one part
``D_k = U_k V_kᵀ`` (rank ``r``) and its routing threshold ``tau_k``. Sequential edits nest: each record wraps the
module at the path (the previous edit's memory or the original layer). Only the outermost runs: it calls the
original layer once, stacks the parts of the whole chain (cached) and routes every token (WISE-Retrieve with one
shard per edit):

    act_k = ‖D_k a‖₂;  k* = argmax_k act_k / tau_k over the parts with act_k > tau_k
    out = W a + D_k* a   if such a part exists,   else   W a   (bit-identical to the original layer)

Retrieval compares activations relative to each part's own threshold: with absolute activations (upstream's
WISE-Retrieve picks the largest), every new edit had to outgrow the earlier parts that fired on its key, and
activations escalated (thresholds from ~100 to ~400 over 100 edits, half the edits no longer separable).

``tau_k = act_ratio · min ‖D_k a_e‖`` over the edit's own keys (the layer input at the tokens that predict its
target). Reverting a record unwraps it, so the earlier parts and their thresholds are exactly what they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from models import WrapperModule


class WiseMemory(WrapperModule):
    """One WISE record's part of the side memory around the module it wraps.

    Config: ``{"rows", "cols", "rank", "keys"}``. Tensors: ``up`` [rows, rank] (U), ``down`` [cols, rank] (V),
    ``keys`` [keys, cols] (this edit's activations; later edits leave them untouched), ``tau`` [] (routing
    threshold) and ``edit_act`` [] (min ‖D a_e‖ over the keys, for reports).
    """

    def __init__(self, inner: nn.Module, *, rows: int, cols: int, rank: int, keys: int) -> None:
        super().__init__(inner)
        dev = device_of(inner)
        self.register_buffer("up", torch.zeros(rows, rank, device=dev))
        self.register_buffer("down", torch.zeros(cols, rank, device=dev))
        self.register_buffer("keys", torch.zeros(keys, cols, device=dev))
        self.register_buffer("tau", torch.zeros((), device=dev))
        self.register_buffer("edit_act", torch.zeros((), device=dev))
        self._stack: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def build(cls, inner: nn.Module, config: Mapping[str, Any]) -> "WiseMemory":
        return cls(inner, rows=int(config["rows"]), cols=int(config["cols"]), rank=int(config["rank"]),
                   keys=int(config["keys"]))

    # -- the chain ------------------------------------------------------------------------------------------

    def chain(self) -> list["WiseMemory"]:
        """The memories from the innermost to this one."""
        out: list[WiseMemory] = [self]
        while isinstance(out[-1].inner, WiseMemory):
            out.append(out[-1].inner)
        return out[::-1]

    def base(self) -> nn.Module:
        """The module under the innermost memory (the original layer, or another kind of wrapper)."""
        return self.chain()[0].inner

    def all_keys(self) -> torch.Tensor:
        return torch.cat([m.keys for m in self.chain()])

    def stacked(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(V of all parts [cols, K·r], U [K, rows, r], UᵀU [K, r, r], tau [K]) of the chain (cached)."""
        if self._stack is None or self._stack[0].device != self.down.device:
            parts = self.chain()
            ups = torch.stack([m.up for m in parts])
            self._stack = (torch.cat([m.down for m in parts], dim=1), ups, ups.transpose(1, 2) @ ups,
                           torch.stack([m.tau for m in parts]))
        return self._stack

    def part_acts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For inputs [..., cols]: every part's activation ‖D_k a‖ [..., K] and the projections Vᵀa [..., K, r]."""
        down, ups, gram, _ = self.stacked()
        h = (x.float() @ down).unflatten(-1, (ups.shape[0], ups.shape[2]))
        sq = torch.einsum("...kr,krs,...ks->...k", h, gram, h)
        return sq.clamp_min(0).sqrt(), h

    def load_own_state(self, state: Mapping[str, torch.Tensor]) -> None:
        super().load_own_state(state)
        self._stack = None

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> "WiseMemory":
        self._stack = None
        return super()._apply(fn, *args, **kwargs)

    # -- inference ------------------------------------------------------------------------------------------

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        main = self.base()(x, *args, **kwargs)
        acts, h = self.part_acts(x)
        _, ups, _, tau = self.stacked()
        score = acts / tau  # relative to each part's own threshold: parts need not outgrow earlier ones
        score = torch.where(score > 1, score, torch.zeros_like(score))
        best_score, best = score.max(dim=-1)
        routed = best_score > 0
        if not bool(routed.any()):
            return main
        h_best = h.gather(-2, best[..., None, None].expand(*best.shape, 1, h.shape[-1])).squeeze(-2)
        extra = torch.einsum("...r,...or->...o", h_best, ups[best])
        return torch.where(routed[..., None], main + extra.to(main.dtype), main)


def device_of(module: nn.Module) -> torch.device | None:
    for t in (*module.parameters(), *module.buffers()):
        return t.device
    return None
