"""WISE hyper-parameters: one frozen object, with per-family layer defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from kg.errors import InvalidInput

#: Side-memory layer as a fraction of depth (Llama-2-7B upstream 27/32, Qwen2.5-7B 23/28, GPT-J 21/28;
#: SmolLM2's 30 layers -> 25).
LAYER_FRACTION = {"llama": 0.85, "qwen2": 0.82, "gemma3": 0.85, "gpt2": 0.67}
FALLBACK_FRACTION = 0.85

#: Short neutral contexts put before the edit prompt so the memory also fires when the prompt is not at the
#: start of the text (upstream generates ~10 random prefixes with the model; fixed ones keep edits reproducible).
DEFAULT_PREFIXES = ("", "Question: ", "Here is a fact. ")


@dataclass(frozen=True)
class WiseHParams:
    """Knobs of WISE (§7 of the algorithms reference)."""

    #: Layer whose MLP output projection gets the side memory; None = the family default; "auto" = causal tracing.
    layer: int | str | None = None
    #: At most this many optimiser steps on the side memory (upstream 70 for Llama-2).
    n_iter: int = 70
    #: "adam" (default) or "sgd" (upstream: SGD, lr 1.0, weight decay 1e-5). On SmolLM2, SGD at lr 1.0 blew the
    #: edit's activation up to ~260 with unrelated ones at ~170, and lr 0.2 oscillated for 30+ steps; Adam at
    #: 1e-2 separates them (~60 vs ~12) and reaches the target in ~10 steps.
    optimizer: str = "adam"
    lr: float = 1e-2
    weight_decay: float = 1e-5
    #: Stop once the total loss (NLL + margin terms) is below this (upstream 0.02), or once the router separates
    #: (see ``gamma``) and every target token's NLL is below ``stop_nll``. The best such iterate is kept.
    stop_loss: float = 0.02
    stop_nll: float = 0.1
    #: Routing: part k iff ‖D_k a‖ > act_ratio · min over its keys of ‖D_k a_e‖ (upstream 0.88 Llama-2, 0.5 Llama-3).
    act_ratio: float = 0.88
    #: Margins: unrelated activations below alpha, edit activations above beta, and apart by gamma.
    alpha: float = 5.0
    beta: float = 20.0
    gamma: float = 10.0
    #: Rank of each edit's part U Vᵀ of the side memory (upstream: a random mask of rho = 0.2 of the entries per
    #: shard instead; see docs/editors_memory.md for why).
    rank: int = 4
    #: Keep each part silent on earlier edits' keys and on near misses (see editors.wise.train).
    protect: bool = True
    prefixes: tuple[str, ...] = DEFAULT_PREFIXES
    seed: int = 0

    @classmethod
    def create(cls, **overrides: Any) -> "WiseHParams":
        """Defaults with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown name or an out-of-range value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InvalidInput(f"unknown WISE hyper-parameter(s) {unknown}; known: {sorted(known)}")
        if "prefixes" in overrides:
            overrides["prefixes"] = tuple(overrides["prefixes"]) or ("",)
        hp = cls(**overrides)
        if hp.optimizer not in ("adam", "sgd"):
            raise InvalidInput(f"WISE optimizer must be 'adam' or 'sgd', not {hp.optimizer!r}")
        if hp.n_iter < 1 or hp.lr <= 0 or hp.rank < 1 or not 0 < hp.act_ratio <= 1:
            raise InvalidInput("WISE needs n_iter >= 1, lr > 0, rank >= 1 and 0 < act_ratio <= 1")
        if min(hp.alpha, hp.beta, hp.gamma) < 0:
            raise InvalidInput("WISE margins must be >= 0")
        if isinstance(hp.layer, str) and hp.layer != "auto":
            raise InvalidInput(f"WISE layer must be an int, None or 'auto', not {hp.layer!r}")
        return hp
