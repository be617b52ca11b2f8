"""ROME's rank-one update, with one key used throughout (pitfall: upstream mixes two).

With ``k*`` the template-averaged key, ``δ`` the optimised output shift and ``C = E[kkᵀ]``:

    u = C⁻¹k*  (k* when mom2 adjustment is off),   w = δ / (uᵀk*),   ΔW = w uᵀ   ([d_model, d_ff])

so ``ΔW k* = δ`` exactly: the new value at the key is ``v* = W k* + δ``, the mean of the optimised outputs over
the templates. Solved in float64.
"""

from __future__ import annotations

import torch

from kg.errors import InvalidInput


def rank_one(key: torch.Tensor, delta: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(w, u)`` with ``ΔW = w uᵀ`` for one key ``[d_ff]`` and shift ``[d_model]``; ``c`` None skips C⁻¹.

    Raises:
        InvalidInput: a degenerate key (``uᵀk* = 0``).
    """
    k = key.double()
    u = torch.linalg.solve(c.double().to(k.device), k) if c is not None else k
    denom = torch.dot(u, k)
    if not torch.isfinite(denom) or denom.abs() < 1e-12:
        raise InvalidInput("ROME: the subject's key is degenerate (uᵀk* = 0); cannot edit this request")
    return delta.double() / denom, u
