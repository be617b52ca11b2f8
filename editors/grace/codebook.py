"""GRACE's codebook as a ledger module: rows (key, value, radius, label) in front of one linear layer.

One :class:`GraceCodebook` holds the rows of one ledger record. Sequential edits nest: each record wraps the
module that is at the path (the previous edit's codebook, or the original layer), so reverting a record unwraps
exactly its rows. Only the outermost codebook runs: it calls the original layer once and looks the query up in
the rows of the whole chain, merged inner-first, with each record's radius overrides (the radii it shrank when
splitting) applied in order. Inner codebooks are never changed in place, so revert restores every radius.

Lookup (per batch row, on the last token of each call, or every token with ``replace="all"``): nearest key by
L2 in float32 (rows with a negative radius, superseded by a later edit of the same key, are skipped); the layer's
output there becomes that row's value iff the distance is within the row's radius.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from kg.errors import InvalidInput
from models import WrapperModule

REPLACE_MODES = ("last", "all")


class GraceCodebook(WrapperModule):
    """Codebook rows of one GRACE record around the module it wraps.

    Config: ``{"d_in", "d_out", "rows", "overrides", "replace"}``. Tensors: ``keys`` [rows, d_in], ``values``
    [rows, d_out], ``eps`` [rows], ``labels`` [rows] (int64), ``override_rows`` [overrides] (int64 indices into
    the merged rows of the chain below) and ``override_eps`` [overrides] (their new radii).
    """

    def __init__(self, inner: nn.Module, *, d_in: int, d_out: int, rows: int, overrides: int = 0,
                 replace: str = "last") -> None:
        super().__init__(inner)
        if replace not in REPLACE_MODES:
            raise InvalidInput(f"GRACE replace mode must be one of {REPLACE_MODES}, not {replace!r}")
        self.d_in, self.d_out, self.replace = d_in, d_out, replace
        dev = device_of(inner)
        self.register_buffer("keys", torch.zeros(rows, d_in, device=dev))
        self.register_buffer("values", torch.zeros(rows, d_out, device=dev))
        self.register_buffer("eps", torch.zeros(rows, device=dev))
        self.register_buffer("labels", torch.zeros(rows, dtype=torch.long, device=dev))
        self.register_buffer("override_rows", torch.zeros(overrides, dtype=torch.long, device=dev))
        self.register_buffer("override_eps", torch.zeros(overrides, device=dev))
        self._merged: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def build(cls, inner: nn.Module, config: Mapping[str, Any]) -> "GraceCodebook":
        return cls(inner, d_in=int(config["d_in"]), d_out=int(config["d_out"]), rows=int(config["rows"]),
                   overrides=int(config.get("overrides", 0)), replace=str(config.get("replace", "last")))

    # -- the chain ------------------------------------------------------------------------------------------

    def chain(self) -> list["GraceCodebook"]:
        """The codebooks from the innermost to this one (stops at the first module that is not a codebook)."""
        out: list[GraceCodebook] = [self]
        while isinstance(out[-1].inner, GraceCodebook):
            out.append(out[-1].inner)
        return out[::-1]

    def base(self) -> nn.Module:
        """The module under the innermost codebook (the original layer, or another kind of wrapper)."""
        return self.chain()[0].inner

    def merged(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(keys, values, eps, labels) of the whole chain, inner rows first, overrides applied (cached)."""
        if self._merged is None or self._merged[0].device != self.keys.device:
            self._merged = merge_rows(self.chain())
        return self._merged

    def load_own_state(self, state: Mapping[str, torch.Tensor]) -> None:
        super().load_own_state(state)
        self._merged = None

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> "GraceCodebook":
        self._merged = None  # device or dtype moves: rebuild from the moved buffers
        return super()._apply(fn, *args, **kwargs)

    # -- inference ------------------------------------------------------------------------------------------

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        out = self.base()(x, *args, **kwargs)
        keys, values, eps, _ = self.merged()
        if keys.shape[0] == 0:
            return out
        if self.replace == "last":
            hit, idx = lookup(x[..., -1, :], keys, eps)
            if not bool(hit.any()):
                return out
            out = out.clone()
            last = out[..., -1, :]
            last[hit] = values[idx[hit]].to(out.dtype)
            return out
        hit, idx = lookup(x, keys, eps)
        if not bool(hit.any()):
            return out
        return torch.where(hit[..., None], values[idx].to(out.dtype), out)


def device_of(module: nn.Module) -> torch.device | None:
    """Where ``module``'s tensors live (None for a module without tensors)."""
    for t in (*module.parameters(), *module.buffers()):
        return t.device
    return None


def lookup(query: torch.Tensor, keys: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For queries [..., d]: (hit mask [...], nearest row index [...]); hit iff the nearest key is within its radius."""
    flat = query.reshape(-1, query.shape[-1]).float()
    dist = torch.cdist(flat, keys.float())
    dist = torch.where(eps[None, :] >= 0, dist, torch.full_like(dist, float("inf")))  # disabled rows never match
    best, idx = dist.min(dim=1)
    hit = best <= eps[idx]
    return hit.reshape(query.shape[:-1]), idx.reshape(query.shape[:-1])


def merge_rows(chain: list[GraceCodebook]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Concatenate the rows of ``chain`` (innermost first) and apply each codebook's radius overrides in order."""
    keys = torch.cat([c.keys for c in chain])
    values = torch.cat([c.values for c in chain])
    labels = torch.cat([c.labels for c in chain])
    eps = torch.cat([c.eps for c in chain]).clone()
    for c in chain:
        eps[c.override_rows] = c.override_eps
    return keys, values, eps, labels
