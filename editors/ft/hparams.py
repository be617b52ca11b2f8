"""FT-M hyper-parameters: method knobs only, with defaults per architecture family scaled to the depth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from editors._common.hparams import FamilyTable, Shape, family_defaults


@dataclass(frozen=True)
class FtHparams:
    """Knobs of one FT-M edit: Adam on one ``mlp_out`` weight, teacher-forced loss on the target tokens only.

    ``norm_constraint``: optional L∞ bound on the change of each weight (None: unbounded).
    """

    tuned_families: ClassVar[frozenset[str]] = frozenset()  # set below: families with tuned defaults
    layer: int
    lr: float = 5e-4
    steps: int = 25
    loss_stop: float = 1e-2
    norm_constraint: float | None = None

    @classmethod
    def for_model(cls, shape: Shape, overrides: Mapping[str, Any] | None = None) -> "FtHparams":
        """Defaults for the models family, scaled to its depth, with ``overrides`` applied.

        Raises:
            InvalidInput: an unknown knob or a layer outside the model.
        """
        return family_defaults(cls, _FAMILY, shape, overrides, "ft")


# family -> (layer, depth it was tuned on, other knobs): EasyEdit's Llama-2-7B (21 of 32), Qwen2.5-7B (27 of
# 28) and GPT-2 XL (0, L∞ 5e-4) configurations. Llama's 21 of 32 lands on 20 of SmolLM2's 30.
_FAMILY: FamilyTable = {
    "llama": (21, 32, {}),
    "qwen2": (27, 28, {}),
    "gemma3": (21, 32, {}),
    "gpt2": (0, 48, {"norm_constraint": 5e-4}),
}
FtHparams.tuned_families = frozenset(_FAMILY)
