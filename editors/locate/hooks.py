"""Temporary forward hooks in ``with`` blocks: capture or replace module outputs, then remove every handle.

Hooks fire only in the thread that opened the block, so a concurrent reader generating with the same model (the
read lock is shared) never sees another caller's measurement or training hooks. A hook function has the small
signature ``fn(output, *, inputs, module) -> new_output | None``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

HookFn = Callable[..., Any]


class StopForward(Exception):
    """Raised by a hook to end a forward pass early (everything after the hooked module is skipped)."""


@contextmanager
def hooked(model: nn.Module, hooks: Mapping[str, HookFn]) -> Iterator[None]:
    """Register ``hooks[path]`` on the module at each path for the block; removed in ``finally``.

    ``fn(output, inputs=..., module=...)`` may return a replacement output (None keeps the original).
    """
    owner = threading.get_ident()
    handles = []
    try:
        for path, fn in hooks.items():
            handles.append(model.get_submodule(path).register_forward_hook(_gate(fn, owner)))
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def capture_inputs(model: nn.Module, paths: list[str], *, stop_after: str | None = None) -> Iterator[dict[str, torch.Tensor]]:
    """Record the first positional input of each module (detached) into the yielded dict, keyed by path.

    With ``stop_after``, the forward pass raises :class:`StopForward` once that module ran; call the model
    through :func:`run_until` to swallow it.
    """
    seen: dict[str, torch.Tensor] = {}

    def make(path: str) -> HookFn:
        def fn(output: Any, *, inputs: tuple, module: nn.Module) -> None:
            seen[path] = inputs[0].detach()
            if path == stop_after:
                raise StopForward
        return fn

    with hooked(model, {p: make(p) for p in paths}):
        yield seen


def run_until(model: nn.Module, **batch: Any) -> Any:
    """Call ``model(**batch)`` without gradients; a :class:`StopForward` from a hook ends it quietly (None)."""
    try:
        with torch.no_grad():
            return model(**batch)
    except StopForward:
        return None


def first(output: Any) -> torch.Tensor:
    """The hidden-state tensor of a module output (decoder blocks may return tuples)."""
    return output[0] if isinstance(output, tuple) else output


def with_first(output: Any, tensor: torch.Tensor) -> Any:
    """``output`` with its hidden-state tensor replaced by ``tensor`` (same container type)."""
    return (tensor, *output[1:]) if isinstance(output, tuple) else tensor


def _gate(fn: HookFn, owner: int) -> Callable[[nn.Module, tuple, Any], Any]:
    def hook(module: nn.Module, inputs: tuple, output: Any) -> Any:
        if threading.get_ident() != owner:
            return None
        return fn(output, inputs=inputs, module=module)
    return hook
