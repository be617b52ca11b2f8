"""GRACE hyper-parameters: one frozen object, with per-family layer defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from kg.errors import InvalidInput

#: Layer to wrap, as a fraction of depth, per architecture family (SmolLM2's 30 layers -> 24; Llama-2-7B -> 26,
#: upstream 27; GPT-2 XL -> 35 as upstream). Unknown families use the fallback.
LAYER_FRACTION = {"llama": 0.8, "qwen2": 0.65, "gemma3": 0.8, "gpt2": 0.73}
FALLBACK_FRACTION = 0.8


@dataclass(frozen=True)
class GraceHParams:
    """Knobs of GRACE (§6 of the algorithms reference)."""

    #: Layer whose MLP output projection gets the codebook; None = the family default; "auto" = causal tracing.
    layer: int | str | None = None
    #: Initial radius of a new row (L2, in the units of the projection's input).
    eps_init: float = 1.0
    #: Adam steps on the value (upstream 50 for Llama-2/Qwen2.5) and their learning rate.
    n_iter: int = 50
    lr: float = 1.0
    #: Stop training a value early once the target's mean NLL is below this.
    stop_loss: float = 0.01
    #: Replace the output at the last token of every forward call ("last", upstream default) or at every token.
    replace: str = "last"
    #: Value initialisation: "warm" = the layer's own output at the key (start from no change), "cold" = random.
    val_init: str = "warm"
    seed: int = 0

    @classmethod
    def create(cls, **overrides: Any) -> "GraceHParams":
        """Defaults with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown name or an out-of-range value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InvalidInput(f"unknown GRACE hyper-parameter(s) {unknown}; known: {sorted(known)}")
        hp = cls(**overrides)
        if hp.eps_init <= 0 or hp.n_iter < 1 or hp.lr <= 0:
            raise InvalidInput("GRACE needs eps_init > 0, n_iter >= 1 and lr > 0")
        if hp.replace not in ("last", "all") or hp.val_init not in ("warm", "cold"):
            raise InvalidInput("GRACE replace must be 'last' or 'all', val_init 'warm' or 'cold'")
        if isinstance(hp.layer, str) and hp.layer != "auto":
            raise InvalidInput(f"GRACE layer must be an int, None or 'auto', not {hp.layer!r}")
        return hp
