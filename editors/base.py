"""What every editing method looks like, and the one registry of methods.

A method is a class with hyper-parameters (a frozen dataclass, defaults per architecture family) and
``apply(handle, requests) -> Record``: it computes the change while holding the model's read lock and returns a
ledger record holding the exact inverse. It never writes weights itself; the caller applies the record through
``handle.ledger.apply(record)``. Capabilities are attributes, so callers never branch on method names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from editors.requests import EditRequest
from kg.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # annotations only: importing models loads torch (seconds), which the API's schemas do not need
    from models import ModelHandle, Record


class EditMethod(Protocol):
    """An editing method."""

    name: ClassVar[str]
    #: Can edit many requests in one record (MEMIT, AlphaEdit) rather than one at a time.
    batchable: ClassVar[bool]
    #: Needs second-moment statistics of the edited layer (computed once per model and layer, cached).
    needs_stats: ClassVar[bool]

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> Record:
        """Compute the edit for ``requests`` and return a ledger record (not yet applied).

        Raises:
            InvalidInput: a request the method cannot edit (checked before any tensor moves).
        """
        ...


_METHODS: dict[str, Callable[..., EditMethod]] = {}


def register_method(name: str) -> Callable[[type], type]:
    """Class decorator adding a method to the registry under ``name``."""

    def add(cls: type) -> type:
        if name in _METHODS:
            raise ValueError(f"editing method {name!r} registered twice")
        _METHODS[name] = cls
        return cls

    return add


def method_names() -> list[str]:
    _load_builtin_methods()
    return sorted(_METHODS)


def method_class(name: str) -> Callable[..., EditMethod]:
    """The class registered under ``name``. Raises NotFound naming the known methods."""
    _load_builtin_methods()
    factory = _METHODS.get(name.lower())
    if factory is None:
        raise NotFound(f"unknown editing method {name!r}; known: {', '.join(sorted(_METHODS))}")
    return factory


def get_method(name: str, **hparams: Any) -> EditMethod:
    """A method instance by name (case-insensitive), with hyper-parameters overriding its defaults.

    Raises:
        NotFound: unknown method, naming the known ones.
    """
    return method_class(name)(**hparams)


def prepare_method(method: EditMethod, handle: ModelHandle) -> dict[str, Any]:
    """Compute, or load from the cache, what ``method`` needs before its first edit on ``handle``'s model: the
    second-moment statistics of its layers (ROME, MEMIT, AlphaEdit) and its context templates. Later edits then
    take only their own time. Returns what was prepared and how long it took.
    """
    started = time.perf_counter()
    hp = method.hparams(handle) if hasattr(method, "hparams") else None
    prepared: dict[str, Any] = {"method": method.name, "layers": [], "stats_samples": None, "templates": False}
    if hp is not None and getattr(method, "needs_stats", False):
        layers = list(getattr(hp, "layers", None) or [hp.layer])
        method.stats.get(handle, layers, hp.stats_samples)
        prepared.update(layers=layers, stats_samples=hp.stats_samples)
    if hp is not None and hasattr(method, "templates") and hasattr(hp, "context_templates"):
        method.templates.get(handle, hp.context_templates)
        prepared["templates"] = True
    prepared["seconds"] = round(time.perf_counter() - started, 2)
    return prepared


def check_requests(handle: ModelHandle, requests: Sequence[EditRequest], *, max_context: int | None = None) -> None:
    """Shared validation before any tensor moves: non-empty, prompt fits the context, subject tokenises.

    Raises:
        InvalidInput: naming the first bad request.
    """
    if not requests:
        raise InvalidInput("no edit requests given")
    limit = max_context or getattr(handle.model.config, "max_position_embeddings", 2048)
    for i, request in enumerate(requests):
        n_tokens = len(handle.tokenizer(request.prompt + request.target_new)["input_ids"])
        if n_tokens >= limit:
            raise InvalidInput(f"request {i}: prompt and target take {n_tokens} tokens; the context is {limit}")


def _load_builtin_methods() -> None:
    # Importing each method's package registers it; done lazily so `editors` imports no torch code eagerly.
    import importlib

    for module in ("editors.rome", "editors.memit", "editors.alphaedit", "editors.ft", "editors.grace",
                   "editors.wise"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
