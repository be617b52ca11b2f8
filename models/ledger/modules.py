"""Modules the ledger inserts into a model: a wrapper around the module at a path, removable by revert.

Persistent interventions (GRACE codebooks, WISE side memories, SafetyLock steering vectors, forward "hooks" that
must survive restarts) are subclasses of :class:`WrapperModule`. The ledger records the subclass by import path,
its JSON config and its own tensors, and rebuilds it on replay with :meth:`WrapperModule.build`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from kg.errors import LedgerCorrupt

_INNER = "inner."


class WrapperModule(nn.Module):
    """Base of inserted modules. ``inner`` is the module that was at the path; revert puts it back."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    @classmethod
    def build(cls, inner: nn.Module, config: Mapping[str, Any]) -> WrapperModule:
        """Make the wrapper around ``inner`` from its JSON config (tensors are loaded afterwards)."""
        raise NotImplementedError

    def own_state(self) -> dict[str, torch.Tensor]:
        """This wrapper's tensors, without the wrapped module's."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith(_INNER)}

    def load_own_state(self, state: Mapping[str, torch.Tensor]) -> None:
        """Copy ``state`` into this wrapper's tensors, exactly.

        Raises:
            LedgerCorrupt: the names do not match the wrapper's own tensors.
        """
        own = self.own_state()
        if set(own) != set(state):
            raise LedgerCorrupt(f"{type(self).__name__}: stored tensors {sorted(state)} do not match {sorted(own)}")
        with torch.no_grad():
            for name, target in own.items():
                target.copy_(state[name])


class OutputOffset(WrapperModule):
    """Adds a learned vector to the wrapped module's output (activation steering, e.g. SafetyLock).

    Config: ``{"dim": int}``; tensor ``offset`` of shape [dim].
    """

    def __init__(self, inner: nn.Module, dim: int) -> None:
        super().__init__(inner)
        like = next(inner.parameters(), None)
        self.offset = nn.Parameter(
            torch.zeros(dim, dtype=like.dtype if like is not None else torch.float32,
                        device=like.device if like is not None else None),
            requires_grad=False,
        )

    @classmethod
    def build(cls, inner: nn.Module, config: Mapping[str, Any]) -> OutputOffset:
        return cls(inner, int(config["dim"]))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        out = self.inner(*args, **kwargs)
        if isinstance(out, tuple):  # blocks return (hidden, *extras); steer the hidden states only
            return (out[0] + self.offset, *out[1:])
        return out + self.offset


def factory_path(cls: type[WrapperModule]) -> str:
    """The import path the ledger stores for ``cls`` (``package.module:Class``)."""
    return f"{cls.__module__}:{cls.__qualname__}"


def load_factory(path: str) -> type[WrapperModule]:
    """Import the wrapper class named by :func:`factory_path`.

    Raises:
        LedgerCorrupt: the class cannot be imported or is not a :class:`WrapperModule`.
    """
    module_name, _, qualname = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as e:
        raise LedgerCorrupt(f"cannot import ledger module class {path!r}: {e}") from e
    if not (isinstance(obj, type) and issubclass(obj, WrapperModule)):
        raise LedgerCorrupt(f"{path!r} is not a WrapperModule subclass")
    return obj
