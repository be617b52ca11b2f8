"""Forward hooks that live in ``with`` blocks, act only on the thread that made them, and remove themselves.

Editors compute while holding only the model's *read* lock, so other threads may be generating with the same
modules at the same time. A hook here therefore fires only on the thread that registered it; every other
thread sees the plain model. Handles are removed in ``finally``; hooks registered by others are never touched.

Hook functions have one small signature, ``fn(tensor, *, hook) -> tensor | None``: ``hook`` is the module path,
and a returned tensor replaces the module's output (or input, for input hooks).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import torch
from torch import nn


class HookFn(Protocol):
    def __call__(self, tensor: torch.Tensor, *, hook: str) -> torch.Tensor | None: ...


class StopForward(Exception):
    """Raised by a hook to end a forward pass early (everything needed has been captured)."""


@contextmanager
def forward_hooks(
    model: nn.Module,
    outputs: Mapping[str, HookFn] | None = None,
    inputs: Mapping[str, HookFn] | None = None,
) -> Iterator[None]:
    """Hook module outputs / inputs (by path) for the block, on the calling thread only.

    ``inputs`` hooks see the first positional input of the module before it runs. A :class:`StopForward`
    raised inside a hook ends the forward pass; catch it with :func:`run_until_stopped`.

    Raises:
        AttributeError: no module at a path.
    """
    owner = threading.get_ident()
    handles = []
    try:
        for path, fn in (outputs or {}).items():
            handles.append(model.get_submodule(path).register_forward_hook(_output_hook(fn, path, owner)))
        for path, fn in (inputs or {}).items():
            handles.append(model.get_submodule(path).register_forward_pre_hook(_input_hook(fn, path, owner)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def run_until_stopped(model: nn.Module, **batch: Any) -> Any:
    """Run ``model(**batch)``; return its output, or None when a hook stopped it with :class:`StopForward`."""
    try:
        return model(**batch)
    except StopForward:
        return None


def _output_hook(fn: HookFn, path: str, owner: int):
    def hook(module: nn.Module, args: tuple, output: Any) -> Any:
        if threading.get_ident() != owner:
            return None
        if isinstance(output, tuple):  # some blocks return (hidden, extras...)
            new = fn(output[0], hook=path)
            return None if new is None else (new, *output[1:])
        return fn(output, hook=path)

    return hook


def _input_hook(fn: HookFn, path: str, owner: int):
    def hook(module: nn.Module, args: tuple) -> Any:
        if threading.get_ident() != owner or not args:
            return None
        new = fn(args[0], hook=path)
        return None if new is None else (new, *args[1:])

    return hook
