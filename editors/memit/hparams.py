"""MEMIT hyper-parameters: method knobs only, with defaults per architecture family scaled to the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from editors._common.hparams import Shape, ValueFitHparams, check_layers, resolve, scale_layers


@dataclass(frozen=True, kw_only=True)
class MemitHparams(ValueFitHparams):
    """Knobs of one MEMIT batch edit.

    ``mom2_update_weight`` is λ in ``(λC + KKᵀ)⁻¹K``. Upstream tunes it on 7B models (15,000 at d_ff 11,008);
    since a typical key gives ``kᵀC⁻¹k ≈ d_ff``, the share of the target one layer reaches is about
    ``d_ff/λ``, so the default scales λ with the MLP width (SmolLM2, d_ff 1,536: λ ≈ 2,093; unscaled, each layer
    reaches ~10 % and edits fail). ``context_templates`` and ``stats_samples`` as in
    :class:`~editors.rome.RomeHparams`.
    """

    layers: tuple[int, ...]
    mom2_update_weight: float

    @classmethod
    def for_model(cls, shape: Shape, overrides: Mapping[str, Any] | None = None) -> "MemitHparams":
        """Defaults for the model's family, scaled to its depth and width, with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown knob or layers outside the model.
        """
        ref = _FAMILY.get(shape.family, _FAMILY["llama"])
        weight = round(ref.weight * shape.d_ff / ref.d_ff, 1)
        base = cls(layers=scale_layers(ref.layers, ref.depth, shape.depth), mom2_update_weight=weight)
        hp = resolve(replace(base, **ref.extra), overrides or {})
        check_layers(hp.layers, shape.depth, "memit")
        return hp


@dataclass(frozen=True)
class _Reference:
    """An upstream configuration and the model it was tuned on."""

    layers: tuple[int, ...]
    depth: int
    weight: float
    d_ff: int
    extra: Mapping[str, Any]


# EasyEdit's Llama-2-7B, Qwen2.5-7B and GPT-2 XL configurations (Llama's 4-8 of 32 is 4-8 on SmolLM2's 30).
_FAMILY: dict[str, _Reference] = {
    "llama": _Reference((4, 5, 6, 7, 8), 32, 15000.0, 11008, {}),
    "qwen2": _Reference((4, 5, 6, 7, 8), 28, 15000.0, 18944, {}),
    "gemma3": _Reference((4, 5, 6, 7, 8), 32, 15000.0, 11008, {}),
    "gpt2": _Reference((13, 14, 15, 16, 17), 48, 20000.0, 6400,
                       {"v_weight_decay": 0.5, "clamp_norm_factor": 0.75}),
}
MemitHparams.tuned_families = frozenset(_FAMILY)
