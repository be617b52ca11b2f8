"""ROME hyper-parameters: method knobs only, with defaults per architecture family scaled to the model's depth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from editors._common.hparams import FamilyTable, Shape, ValueFitHparams, family_defaults


@dataclass(frozen=True, kw_only=True)
class RomeHparams(ValueFitHparams):
    """Knobs of one ROME edit.

    ``context_templates`` is ``((prefix_length, count), ...)``: generated prefixes besides the bare prompt
    (upstream ROME: ``((5, 10), (10, 10))``; fewer here so an edit takes seconds on a CPU).
    ``stats_samples`` is the number of HaluEval paragraphs behind ``C`` (upstream: 100,000 Wikipedia articles).
    """

    layer: int
    v_steps: int = 20
    mom2_adjustment: bool = True

    @classmethod
    def for_model(cls, shape: Shape, overrides: Mapping[str, Any] | None = None) -> "RomeHparams":
        """Defaults for the models family, scaled to its depth, with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown knob or a layer outside the model.
        """
        return family_defaults(cls, _FAMILY, shape, overrides, "rome")


# family -> (layer, depth of the model that layer was tuned on, other knobs); llama's layer 5 of 32 is EasyEdit's
# Llama-2-7B choice and lands on layer 5 of SmolLM2's 30 (checked there: see docs/editors.md).
_FAMILY: FamilyTable = {
    "llama": (5, 32, {}),
    "qwen2": (5, 28, {}),
    "gemma3": (5, 32, {}),
    "gpt2": (17, 48, {"v_weight_decay": 0.5}),
}
RomeHparams.tuned_families = frozenset(_FAMILY)
