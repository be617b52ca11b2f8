"""Resolving a method's hyper-parameters for one model: family defaults, scaled to the model's depth, then the
caller's overrides. Hparams are frozen dataclasses of method knobs only (no paths, no devices).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from editors._common.values import ValueKnobs
from kg.errors import InvalidInput
from models import ModelHandle

H = TypeVar("H")


@dataclass(frozen=True)
class Shape:
    """What defaults are scaled by: the architecture family, the number of blocks and the MLP width."""

    family: str
    depth: int
    d_ff: int


def shape_of(handle: ModelHandle) -> Shape:
    arch = handle.arch
    weight = arch.as_out_in(arch.mlp_out(0).weight)
    return Shape(arch.family, arch.num_layers, int(weight.shape[1]))


def hparams_for(cls: type[H], handle: ModelHandle, overrides: Mapping[str, Any]) -> H:
    """``cls``'s knobs on ``handle``'s model: the edited layer(s) picked by causal tracing where ``overrides`` say
    ``"auto"`` or ``cls`` has no defaults tuned for the family (``cls.tuned_families``), then ``cls.for_model``.

    Raises:
        InvalidInput: an unknown knob or a layer outside the model.
    """
    from editors.locate.layers import traced_overrides  # causal tracing: only needed here

    key = "layers" if "layers" in {f.name for f in dataclasses.fields(cls)} else "layer"  # type: ignore[arg-type]
    traced = traced_overrides(handle, overrides, key=key, tuned_families=cls.tuned_families)  # type: ignore[attr-defined]
    return cls.for_model(shape_of(handle), traced)  # type: ignore[attr-defined]


def scale_layer(layer: int, reference_depth: int, depth: int) -> int:
    """``layer`` of a ``reference_depth``-layer model mapped to a ``depth``-layer one (same relative depth)."""
    return min(depth - 1, max(0, round(layer * depth / reference_depth)))


def scale_layers(layers: Sequence[int], reference_depth: int, depth: int) -> tuple[int, ...]:
    """A contiguous window of the same length starting at the scaled first layer (MEMIT's layer ranges)."""
    first = scale_layer(layers[0], reference_depth, depth)
    first = min(first, max(0, depth - len(layers)))
    return tuple(range(first, min(depth, first + len(layers))))


def check_overrides(cls: type, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides, after checking every name is a field of ``cls``.

    Raises:
        InvalidInput: an unknown hyper-parameter name.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InvalidInput(f"unknown {cls.__name__} hyper-parameter(s) {unknown}; known: {sorted(names)}")
    return dict(overrides)


def resolve(defaults: H, overrides: Mapping[str, Any]) -> H:
    """``defaults`` with ``overrides`` applied (tuples for list values, so the result stays hashable).

    Raises:
        InvalidInput: an unknown name or a value of the wrong kind.
    """
    fixed = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
             for k, v in check_overrides(type(defaults), overrides).items()}
    try:
        return dataclasses.replace(defaults, **fixed)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"bad hyper-parameters {fixed}: {e}") from e


def check_layers(layers: Sequence[int], depth: int, method: str) -> None:
    """Raises InvalidInput unless every layer is in ``[0, depth)`` and the list is non-empty and ascending."""
    if not layers or any(not 0 <= l < depth for l in layers) or list(layers) != sorted(set(layers)):
        raise InvalidInput(f"{method}: layers {list(layers)} must be distinct, ascending and within 0..{depth - 1}")


def as_meta(hparams: Any) -> dict[str, Any]:
    """Hparams as JSON-able data for a record's meta."""
    return json_safe(dataclasses.asdict(hparams))


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class ValueFitHparams:
    """The knobs shared by the methods that optimise a value vector and solve against key statistics (ROME,
    MEMIT, AlphaEdit): the value optimisation (:mod:`editors._common.values`), the number of text samples behind
    the second moments ``C``, and the context templates ``((prefix_length, count), ...)``. Each method's
    hparams extend it and may change the defaults. ``tuned_families``: the families with tuned defaults (others get
    their layers from causal tracing, :func:`hparams_for`)."""

    tuned_families: ClassVar[frozenset[str]] = frozenset()
    v_steps: int = 25
    v_lr: float = 0.5
    v_weight_decay: float = 1e-3
    clamp_norm_factor: float = 4.0
    kl_factor: float = 0.0625
    loss_stop: float = 5e-2
    stop_on_nll: bool = False
    v_chunk: int = 16
    stats_samples: int = 500
    context_templates: tuple[tuple[int, int], ...] = ((5, 4),)

    def __post_init__(self) -> None:
        self.value_knobs  # noqa: B018 - checks the knobs when the hparams are made, before any model work

    @property
    def value_knobs(self) -> ValueKnobs:
        return ValueKnobs(self.v_steps, self.v_lr, self.kl_factor, self.v_weight_decay, self.clamp_norm_factor,
                          self.loss_stop, self.stop_on_nll, self.v_chunk)


#: family -> (layer or layers, depth of the model they were tuned on, other knobs)
FamilyTable = Mapping[str, tuple[Any, int, Mapping[str, Any]]]


def family_defaults(cls: type[H], table: FamilyTable, shape: Shape, overrides: Mapping[str, Any] | None,
                    method: str) -> H:
    """``cls``'s defaults for the model's family (llama's when unknown), its layer (``int``) or layers (a tuple)
    scaled to the model's depth, then ``overrides``.

    Raises:
        InvalidInput: an unknown knob or a layer outside the model.
    """
    layers, reference, extra = table.get(shape.family, table["llama"])
    if isinstance(layers, int):
        base = cls(layer=scale_layer(layers, reference, shape.depth))  # type: ignore[call-arg]
    else:
        base = cls(layers=scale_layers(layers, reference, shape.depth))  # type: ignore[call-arg]
    hp = resolve(dataclasses.replace(base, **extra), overrides or {})
    check_layers(getattr(hp, "layers", None) or [hp.layer], shape.depth, method)  # type: ignore[attr-defined]
    return hp
