"""ROME hyper-parameters: method knobs only, with defaults per architecture family scaled to the model's depth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from editors._common.hparams import Shape, check_layers, resolve, scale_layer
from editors._common.values import ValueKnobs


@dataclass(frozen=True)
class RomeHparams:
    """Knobs of one ROME edit.

    ``context_templates`` is ``((prefix_length, count), ...)``: generated prefixes besides the bare prompt
    (upstream ROME: ``((5, 10), (10, 10))``; fewer here so an edit takes seconds on a CPU).
    ``stats_samples`` is the number of HaluEval paragraphs behind ``C`` (upstream: 100,000 Wikipedia articles).
    """

    layer: int
    v_steps: int = 20
    v_lr: float = 0.5
    v_weight_decay: float = 1e-3
    clamp_norm_factor: float = 4.0
    kl_factor: float = 0.0625
    loss_stop: float = 5e-2
    mom2_adjustment: bool = True
    stats_samples: int = 500
    context_templates: tuple[tuple[int, int], ...] = ((5, 4),)

    @property
    def value_knobs(self) -> ValueKnobs:
        return ValueKnobs(self.v_steps, self.v_lr, self.kl_factor, self.v_weight_decay, self.clamp_norm_factor,
                          self.loss_stop)

    @classmethod
    def for_model(cls, shape: Shape, overrides: Mapping[str, Any] | None = None) -> "RomeHparams":
        """Defaults for the models family, scaled to its depth, with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown knob or a layer outside the model.
        """
        layer, reference, extra = _FAMILY.get(shape.family, _FAMILY["llama"])
        hp = resolve(replace(cls(layer=scale_layer(layer, reference, shape.depth)), **extra), overrides or {})
        check_layers([hp.layer], shape.depth, "rome")
        return hp


# family -> (layer, depth of the model that layer was tuned on, other knobs); llama's layer 5 of 32 is EasyEdit's
# Llama-2-7B choice and lands on layer 5 of SmolLM2's 30 (checked there: see docs/editors.md).
_FAMILY: dict[str, tuple[int, int, dict[str, Any]]] = {
    "llama": (5, 32, {}),
    "qwen2": (5, 28, {}),
    "gemma3": (5, 32, {}),
    "gpt2": (17, 48, {"v_weight_decay": 0.5}),
}
