"""The math of one WISE edit: its protected activations, its low-rank part and the margin loss.

An edit trains one part ``D = U Vᵀ`` of the side memory. ``V``'s columns are kept orthogonal to a set of
protected activations: the earlier edits' keys (so the new part is silent on them and the router keeps sending
them to their own parts), the last token of near misses (the prompt with other subjects, the request's locality
prompts: a linear router cannot tell those from the edit otherwise) and the edit prompt's own tokens before the
prediction. So ``D p = 0`` for every protected ``p`` up to rounding; this is an addition to the paper, which
relies on the margin loss alone.
"""

from __future__ import annotations

from typing import Any

import torch

from editors.wise.hparams import WiseHParams


def orthonormal_basis(vectors: torch.Tensor, *, rtol: float = 1e-6) -> torch.Tensor:
    """An orthonormal basis Q [cols, n'] of the span of ``vectors`` [n, cols] (numerically null directions dropped)."""
    if vectors.shape[0] == 0:
        return vectors.new_zeros(vectors.shape[1], 0)
    u, s, _ = torch.linalg.svd(vectors.double().T, full_matrices=False)
    keep = s > rtol * s.max()
    return u[:, keep].float()


def project_out(v: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """``v`` [cols, r] with its components along the orthonormal ``basis`` [cols, n] removed."""
    if basis.shape[1] == 0:
        return v
    return v - basis @ (basis.T @ v)


def part_acts(up: torch.Tensor, down: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """‖U Vᵀ a‖ for activations [n, cols]."""
    return ((a @ down) @ up.T).norm(dim=-1)


def margins(up: torch.Tensor, down: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor,
            hp: WiseHParams) -> tuple[torch.Tensor, dict[str, Any]]:
    """The margin loss (§7) and whether the router separates already: ``act_ratio`` times the smallest edit
    activation exceeds every unrelated activation by ``gamma``, and the smallest is at least ``beta``."""
    d_pos = part_acts(up, down, pos)
    d_neg = part_acts(up, down, neg)
    loss = hinge(d_neg - hp.alpha) + hinge(hp.beta - d_pos) + hinge(hp.gamma + d_neg.max() - d_pos)
    lowest, highest = float(d_pos.min().detach()), float(d_neg.max().detach())
    stats = {"min_edit_act": lowest, "max_negative_act": highest,
             "separated": hp.act_ratio * lowest - highest >= hp.gamma and lowest >= hp.beta}
    return loss, stats


def hinge(x: torch.Tensor) -> torch.Tensor:
    """Mean of the positive entries (0 when none), as upstream: only violated margins pull."""
    bad = x[x > 0]
    return bad.mean() if bad.numel() else x.new_zeros(())
