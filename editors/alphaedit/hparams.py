"""AlphaEdit hyper-parameters: method knobs only, with defaults per architecture family scaled to the depth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from editors._common.hparams import FamilyTable, Shape, ValueFitHparams, family_defaults


@dataclass(frozen=True, kw_only=True)
class AlphaEditHparams(ValueFitHparams):
    """Knobs of one AlphaEdit batch edit.

    ``nullspace_threshold``: eigenvectors of ``C = E[kkᵀ]`` whose eigenvalue is below this fraction of C's mean
    eigenvalue (``trace(C)/d_ff``) span the null space updates are projected onto. Upstream uses an absolute
    2e-2, which depends on the model's activation scale (on a random tiny model it selects nothing); on
    SmolLM2's layers 4-7, 2e-2 is 0.87-0.96 of the mean eigenvalue, hence 0.9 (about 1,100 of 1,536 directions).
    ``l2``: the ``αI`` regulariser. ``v_lr`` 0.5 rather than upstream Llama-3's 0.1: on SmolLM2 0.1 left 1 of 6
    counterfactuals unlearnt within 25 steps (see docs/editors.md). Others as in :class:`~editors.memit.MemitHparams`.
    """

    layers: tuple[int, ...]
    v_weight_decay: float = 0.5
    clamp_norm_factor: float = 0.75
    nullspace_threshold: float = 0.9
    l2: float = 1.0

    @classmethod
    def for_model(cls, shape: Shape, overrides: Mapping[str, Any] | None = None) -> "AlphaEditHparams":
        """Defaults for the models family, scaled to its depth, with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown knob or layers outside the model.
        """
        return family_defaults(cls, _FAMILY, shape, overrides, "alphaedit")


# family -> (layers, depth they were tuned on, other knobs): upstream AlphaEdit's Llama-3-8B / Qwen2.5-7B /
# GPT-2 XL configurations.
_FAMILY: FamilyTable = {
    "llama": ((4, 5, 6, 7, 8), 32, {}),
    "qwen2": ((4, 5, 6, 7, 8), 28, {}),
    "gemma3": ((4, 5, 6, 7, 8), 32, {}),
    "gpt2": ((13, 14, 15, 16, 17), 48, {"l2": 10.0}),
}
AlphaEditHparams.tuned_families = frozenset(_FAMILY)
