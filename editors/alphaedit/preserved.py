"""The keys AlphaEdit must preserve: ``K_p K_pᵀ``, derived from the ledger, never kept as a running sum.

Upstream keeps ``cache_c += K Kᵀ`` in memory, which leaks across independent edits and ignores rollbacks. Here
each AlphaEdit record's keys (read after its change, per layer) are stored under its record id, and the sum is
taken over the records the ledger lists as *applied* right now: reverting a record removes its contribution,
replaying a ledger restores it, and nothing can drift. With ``home`` the keys live in
``<home>/stats/<base-checksum>/alphaedit-keys/<record-id>.safetensors``; without, in this object's memory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models import ModelHandle

logger = logging.getLogger(__name__)


class PreservedKeys:
    """Per-record keys of applied AlphaEdit edits; :meth:`gram` sums ``K Kᵀ`` over the applied ones."""

    def __init__(self, home: Path | None = None) -> None:
        self.root = None if home is None else Path(home) / "stats"
        self._memory: dict[str, dict[str, torch.Tensor]] = {}
        self._lock = threading.Lock()

    def save(self, handle: ModelHandle, record_id: str, keys: Mapping[str, torch.Tensor]) -> None:
        """Keep ``keys`` ({mlp_out path: [d_ff, n]}) for ``record_id`` (counted once the ledger applies it)."""
        stored = {path: k.detach().float().cpu().contiguous() for path, k in keys.items()}
        with self._lock:
            self._memory[record_id] = stored
        path = self._path(handle, record_id)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            save_file(stored, tmp, metadata={"record": record_id})
            os.replace(tmp, path)

    def gram(self, handle: ModelHandle, module: str, dim: int) -> torch.Tensor:
        """``Σ K Kᵀ`` (float64, [dim, dim]) at ``module`` over AlphaEdit records applied now."""
        total = torch.zeros(dim, dim, dtype=torch.float64)
        for record_id in self.applied_records(handle):
            keys = self._load(handle, record_id)
            if keys is None:
                logger.warning("AlphaEdit record %s is applied but its keys are not stored here; its edit is not "
                               "protected by later AlphaEdit edits", record_id)
                continue
            if module in keys:
                k = keys[module].double()
                total += k @ k.T
        return total

    def applied_records(self, handle: ModelHandle) -> list[str]:
        """Ids of the AlphaEdit records the ledger has applied now, oldest first."""
        applied = set(handle.ledger.applied)
        return [e.id for e in handle.ledger.entries() if e.id in applied and e.meta.get("method") == "alphaedit"]

    def _load(self, handle: ModelHandle, record_id: str) -> dict[str, torch.Tensor] | None:
        with self._lock:
            if record_id in self._memory:
                return self._memory[record_id]
        path = self._path(handle, record_id)
        if path is None or not path.exists():
            return None
        try:
            keys = load_file(path)
        except (OSError, SafetensorError) as e:
            logger.warning("AlphaEdit keys %s are unreadable: %s", path, e)
            return None
        with self._lock:
            self._memory[record_id] = keys
        return keys

    def _path(self, handle: ModelHandle, record_id: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / handle.ledger.base_checksum[:32] / "alphaedit-keys" / f"{record_id}.safetensors"
