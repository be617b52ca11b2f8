"""Ledger records: frozen data holding one weight change and its exact inverse.

Every record keeps the original values of what it touches in the parameter's own dtype, so revert writes the
saved originals back (bit for bit) and never subtracts a delta. Each record also carries the digest of every
touched tensor before and after it, so the ledger can tell when weights drifted outside it.

Three kinds: :class:`DenseRecord` (new values for whole tensors; also built from a dense delta),
:class:`LowRankRecord` (``W + u @ v.T`` with the original ``W`` kept) and :class:`ModuleRecord` (a
:class:`~models.ledger.modules.WrapperModule` inserted at a module path).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn

from kg.errors import InvalidInput, LedgerCorrupt, LedgerDrift
from models.digest import state_digest, tensor_digest
from models.ledger.modules import WrapperModule, factory_path, load_factory


@runtime_checkable
class Record(Protocol):
    """What the ledger needs from a record. ``touched`` are parameter names or module paths."""

    kind: ClassVar[str]
    id: str
    before: Mapping[str, str]
    after: Mapping[str, str]
    meta: Mapping[str, Any]

    @property
    def touched(self) -> tuple[str, ...]: ...

    def apply(self, model: nn.Module) -> None: ...

    def revert(self, model: nn.Module) -> None: ...

    def digests(self, model: nn.Module) -> dict[str, str]: ...

    def tensors(self) -> dict[str, torch.Tensor]: ...

    def info(self) -> dict[str, Any]: ...


def new_record_id() -> str:
    """A unique, time-ordered record id."""
    return f"r{time.time_ns() // 1_000_000:x}-{uuid.uuid4().hex[:8]}"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class _TensorRecord:
    """Shared part of records that replace parameter values: originals, digests, revert."""

    id: str
    originals: Mapping[str, torch.Tensor]
    before: Mapping[str, str]
    after: Mapping[str, str]
    meta: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))

    @property
    def touched(self) -> tuple[str, ...]:
        return tuple(self.originals)

    def new_value(self, name: str) -> torch.Tensor:
        raise NotImplementedError

    def apply(self, model: nn.Module) -> None:
        for name in self.originals:
            _assign(model, name, self.new_value(name))

    def revert(self, model: nn.Module) -> None:
        for name, original in self.originals.items():
            _assign(model, name, original)

    def digests(self, model: nn.Module) -> dict[str, str]:
        return {name: tensor_digest(_tensor(model, name)) for name in self.originals}

    def _base_info(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "before": dict(self.before), "after": dict(self.after),
                "meta": dict(self.meta), "names": list(self.originals)}


@dataclass(frozen=True)
class DenseRecord(_TensorRecord):
    """Whole-tensor replacement: ``values[name]`` becomes the parameter; ``originals[name]`` restores it."""

    kind: ClassVar[str] = "dense"
    values: Mapping[str, torch.Tensor] = field(default_factory=lambda: _frozen(None))

    @classmethod
    def from_values(
        cls, model: nn.Module, values: Mapping[str, torch.Tensor], *, meta: Mapping[str, Any] | None = None
    ) -> DenseRecord:
        """Record replacing each named parameter by ``values[name]`` (cast to the parameter's dtype).

        Raises:
            InvalidInput: an unknown parameter name, a shape mismatch, or two names for one tied tensor.
        """
        originals = _originals(model, values)
        canon = dict(zip(originals, values.values(), strict=True))
        new = {n: v.detach().to("cpu", originals[n].dtype).contiguous().clone() for n, v in canon.items()}
        for name, value in new.items():
            _check_shape(name, originals[name], value)
        return cls(
            id=new_record_id(), originals=_frozen(originals), values=_frozen(new), meta=_frozen(meta),
            before=_frozen(_digest_all(originals)), after=_frozen(_digest_all(new)),
        )

    @classmethod
    def from_delta(
        cls, model: nn.Module, deltas: Mapping[str, torch.Tensor], *, meta: Mapping[str, Any] | None = None
    ) -> DenseRecord:
        """Record adding ``deltas[name]`` to each parameter (summed in float64, stored as exact new values).

        Raises:
            InvalidInput: as :meth:`from_values`.
        """
        originals = _originals(model, deltas)
        values = {
            name: (originals[name].double() + delta.detach().to("cpu", torch.float64)).to(originals[name].dtype)
            for name, delta in zip(originals, deltas.values(), strict=True)
        }
        return cls.from_values(model, values, meta=meta)

    def new_value(self, name: str) -> torch.Tensor:
        return self.values[name]

    def tensors(self) -> dict[str, torch.Tensor]:
        return {**_prefixed("orig", self.originals), **_prefixed("value", self.values)}

    def info(self) -> dict[str, Any]:
        return self._base_info()

    @classmethod
    def from_parts(cls, info: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> DenseRecord:
        names = info["names"]
        return cls(
            id=info["id"], meta=_frozen(info["meta"]), before=_frozen(info["before"]), after=_frozen(info["after"]),
            originals=_frozen(_unprefixed(tensors, "orig", names)),
            values=_frozen(_unprefixed(tensors, "value", names)),
        )


@dataclass(frozen=True)
class LowRankRecord(_TensorRecord):
    """``W <- W + u @ v.T`` per parameter, with ``u`` [out, r] and ``v`` [in, r] in the parameter's own layout.

    The update is recomputed from the stored original on every apply, elementwise in float64 on the CPU, so a
    replay on any machine gives the same bits (a BLAS matmul may round differently across CPUs or GPUs).
    """

    kind: ClassVar[str] = "lowrank"
    factors: Mapping[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=lambda: _frozen(None))

    @classmethod
    def create(
        cls,
        model: nn.Module,
        factors: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
        *,
        meta: Mapping[str, Any] | None = None,
    ) -> LowRankRecord:
        """Record a low-rank update of each named 2-D parameter.

        Raises:
            InvalidInput: unknown name, a non-2-D parameter, or factor shapes that do not fit it.
        """
        originals = _originals(model, factors)
        stored = {}
        for name, (u, v) in zip(originals, factors.values(), strict=True):
            u, v = (t.detach().to("cpu").contiguous().clone() for t in (u, v))
            _check_factors(name, originals[name], u, v)
            stored[name] = (u, v)
        new = {name: _low_rank_update(originals[name], *stored[name]) for name in originals}
        return cls(
            id=new_record_id(), originals=_frozen(originals), factors=_frozen(stored), meta=_frozen(meta),
            before=_frozen(_digest_all(originals)), after=_frozen(_digest_all(new)),
        )

    def new_value(self, name: str) -> torch.Tensor:
        return _low_rank_update(self.originals[name], *self.factors[name])

    def tensors(self) -> dict[str, torch.Tensor]:
        us = {n: uv[0] for n, uv in self.factors.items()}
        vs = {n: uv[1] for n, uv in self.factors.items()}
        return {**_prefixed("orig", self.originals), **_prefixed("u", us), **_prefixed("v", vs)}

    def info(self) -> dict[str, Any]:
        return self._base_info()

    @classmethod
    def from_parts(cls, info: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> LowRankRecord:
        names = info["names"]
        us, vs = _unprefixed(tensors, "u", names), _unprefixed(tensors, "v", names)
        return cls(
            id=info["id"], meta=_frozen(info["meta"]), before=_frozen(info["before"]), after=_frozen(info["after"]),
            originals=_frozen(_unprefixed(tensors, "orig", names)), factors=_frozen({n: (us[n], vs[n]) for n in names}),
        )


@dataclass(frozen=True)
class ModuleRecord:
    """A :class:`WrapperModule` inserted around the module at ``path``; revert puts the wrapped module back.

    The original module is kept by the wrapper (as ``inner``), so nothing is copied; its tensors are untouched.
    """

    kind: ClassVar[str] = "module"
    id: str
    path: str
    factory: str  # import path of the WrapperModule subclass
    config: Mapping[str, Any]
    state: Mapping[str, torch.Tensor]
    before: Mapping[str, str]
    after: Mapping[str, str]
    meta: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))

    @classmethod
    def wrap(
        cls,
        model: nn.Module,
        path: str,
        wrapper: type[WrapperModule],
        *,
        config: Mapping[str, Any],
        state: Mapping[str, torch.Tensor],
        meta: Mapping[str, Any] | None = None,
    ) -> ModuleRecord:
        """Record wrapping the module at ``path`` in ``wrapper`` built from ``config``, holding ``state``.

        Raises:
            InvalidInput: no module at ``path``, or ``state`` does not fit the wrapper.
        """
        inner = _submodule(model, path)
        stored = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
        probe = wrapper.build(inner, dict(config))  # checks config and state fit, on the real inner module
        try:
            probe.load_own_state(stored)
        except LedgerCorrupt as e:
            raise InvalidInput(str(e)) from e
        return cls(
            id=new_record_id(), path=path, factory=factory_path(wrapper), config=_frozen(config),
            state=_frozen(stored), meta=_frozen(meta),
            before=_frozen({path: state_digest(inner.state_dict())}),
            after=_frozen({path: state_digest(probe.state_dict())}),
        )

    @property
    def touched(self) -> tuple[str, ...]:
        return (self.path,)

    def apply(self, model: nn.Module) -> None:
        wrapper = load_factory(self.factory).build(_submodule(model, self.path), dict(self.config))
        wrapper.load_own_state(self.state)
        model.set_submodule(self.path, wrapper)

    def revert(self, model: nn.Module) -> None:
        current = _submodule(model, self.path)
        if not isinstance(current, load_factory(self.factory)):
            raise LedgerDrift(f"{self.path}: expected the {self.factory} inserted by record {self.id}, "
                              f"found {type(current).__name__}")
        model.set_submodule(self.path, current.inner)

    def digests(self, model: nn.Module) -> dict[str, str]:
        return {self.path: state_digest(_submodule(model, self.path).state_dict())}

    def tensors(self) -> dict[str, torch.Tensor]:
        return _prefixed("state", self.state)

    def info(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "path": self.path, "factory": self.factory,
                "config": dict(self.config), "before": dict(self.before), "after": dict(self.after),
                "meta": dict(self.meta), "names": list(self.state)}

    @classmethod
    def from_parts(cls, info: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> ModuleRecord:
        return cls(
            id=info["id"], path=info["path"], factory=info["factory"], config=_frozen(info["config"]),
            state=_frozen(_unprefixed(tensors, "state", info["names"])), meta=_frozen(info["meta"]),
            before=_frozen(info["before"]), after=_frozen(info["after"]),
        )


RECORD_KINDS: dict[str, Any] = {c.kind: c for c in (DenseRecord, LowRankRecord, ModuleRecord)}


def record_from_parts(info: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> Record:
    """Rebuild a record from its JSON info and tensors (as persisted by the ledger store).

    Raises:
        LedgerCorrupt: unknown kind or missing fields.
    """
    try:
        return RECORD_KINDS[info["kind"]].from_parts(info, tensors)
    except (KeyError, TypeError) as e:
        raise LedgerCorrupt(f"malformed ledger record {info.get('id', '?')}: {e!r}") from e


def canonical_name(model: nn.Module, name: str) -> str:
    """The first name under which the tensor behind parameter ``name`` is registered (tied weights share one).

    Raises:
        InvalidInput: no such parameter.
    """
    target = _tensor_or_invalid(model, name)
    for other, param in model.named_parameters(remove_duplicate=False):
        if param is target:
            return other
    return name


def _assign(model: nn.Module, name: str, value: torch.Tensor) -> None:
    """Write ``value`` into parameter ``name`` in place (keeps ties and any references to the tensor)."""
    with torch.no_grad():
        _tensor(model, name).copy_(value)


def _tensor(model: nn.Module, name: str) -> torch.Tensor:
    try:
        return model.get_parameter(name)
    except AttributeError as e:
        raise LedgerDrift(f"parameter {name!r} is not in the model: {e}") from e


def _tensor_or_invalid(model: nn.Module, name: str) -> torch.Tensor:
    try:
        return model.get_parameter(name)
    except AttributeError as e:
        raise InvalidInput(f"no parameter named {name!r}: {e}") from e


def _submodule(model: nn.Module, path: str) -> nn.Module:
    try:
        return model.get_submodule(path)
    except AttributeError as e:
        raise InvalidInput(f"no module at {path!r}: {e}") from e


def _originals(model: nn.Module, names: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Exact CPU copies of the named parameters, keyed by canonical name, in the caller's order."""
    out: dict[str, torch.Tensor] = {}
    for name in names:
        canon = canonical_name(model, name)
        if canon in out:
            raise InvalidInput(f"{name!r} and another name refer to the same tied tensor {canon!r}")
        out[canon] = _tensor_or_invalid(model, name).detach().to("cpu", copy=True).contiguous()
    return out


def _check_shape(name: str, original: torch.Tensor, value: torch.Tensor) -> None:
    if value.shape != original.shape:
        raise InvalidInput(f"{name}: new value has shape {tuple(value.shape)}, parameter has {tuple(original.shape)}")


def _check_factors(name: str, original: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> None:
    if original.dim() != 2 or u.dim() != 2 or v.dim() != 2:
        raise InvalidInput(f"{name}: low-rank updates need a 2-D parameter and 2-D factors")
    if u.shape[0] != original.shape[0] or v.shape[0] != original.shape[1] or u.shape[1] != v.shape[1]:
        raise InvalidInput(
            f"{name}: factors u {tuple(u.shape)} and v {tuple(v.shape)} do not fit a {tuple(original.shape)} parameter"
        )


def _low_rank_update(original: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # Elementwise outer products in a fixed order: IEEE-exact everywhere, unlike a BLAS matmul.
    out = original.to(torch.float64)
    u64, v64 = u.to(torch.float64), v.to(torch.float64)
    for j in range(u64.shape[1]):
        out = out + u64[:, j, None] * v64[None, :, j]
    return out.to(original.dtype)


def _digest_all(tensors: Mapping[str, torch.Tensor]) -> dict[str, str]:
    return {name: tensor_digest(t) for name, t in tensors.items()}


def _prefixed(prefix: str, tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}/{name}": t for name, t in tensors.items()}


def _unprefixed(tensors: Mapping[str, torch.Tensor], prefix: str, names: list[str]) -> dict[str, torch.Tensor]:
    try:
        return {name: tensors[f"{prefix}/{name}"] for name in names}
    except KeyError as e:
        raise LedgerCorrupt(f"ledger record lacks tensor {e}") from e

