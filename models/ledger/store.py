"""On-disk layout of one model's ledger (``<home>/ledger/<model-name>/``).

- ``manifest.json``: base checksum, the applied record ids in order, one entry per record (kind, file digest,
  touched names, before/after digests, status), an optional snapshot, and an event log.
- ``records/<id>.safetensors``: the record's tensors, with its JSON info in the safetensors metadata.
- ``snapshots/<state-id>.safetensors``: optional compaction of the applied records' final values.

Every file is written atomically (temp file, fsync, rename, fsync of the folder). Record files are written
before the manifest names them, so a crash leaves at worst an unreferenced file, never a dangling entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import xxhash
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from kg.errors import LedgerCorrupt
from models._fs import atomic_write_bytes, atomic_write_json
from models.digest import ALGORITHM
from models.ledger.records import Record, record_from_parts

FORMAT = 1
_INFO_KEY = "kgedit_record"


@dataclass(frozen=True)
class Entry:
    """The manifest's view of one record: enough to plan reverts and check drift without reading its file."""

    id: str
    kind: str
    file: str
    digest: str
    touched: tuple[str, ...]
    before: Mapping[str, str]
    after: Mapping[str, str]
    meta: Mapping[str, Any]
    created: float
    status: str  # "applied" or "reverted"


@dataclass(frozen=True)
class Snapshot:
    """Final values of every tensor touched by ``applied`` (a prefix of the applied list), in one file."""

    file: str
    digest: str
    applied: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    """Everything the ledger knows, as frozen data; changed only by writing a new one."""

    model: str
    base_checksum: str
    applied: tuple[str, ...] = ()
    entries: Mapping[str, Entry] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    events: tuple[Mapping[str, Any], ...] = ()

    def with_event(self, op: str, record: str | None, state: str) -> Manifest:
        return replace(self, events=(*self.events, {"op": op, "record": record, "state": state, "ts": time.time()}))


class LedgerStore:
    """Reads and writes one ledger folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest_stamp(self) -> tuple[int, int, int] | None:
        """(inode, size, mtime) of the manifest: changes whenever any process rewrites it (rename = new inode)."""
        try:
            st = self.manifest_path.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def read_manifest(self) -> Manifest | None:
        """The manifest, or None when this ledger has never been written.

        Raises:
            LedgerCorrupt: the manifest exists but cannot be parsed.
        """
        if not self.manifest_path.exists():
            return None
        try:
            return _manifest_from_json(json.loads(self.manifest_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise LedgerCorrupt(f"{self.manifest_path}: unreadable ledger manifest: {e!r}") from e

    def write_manifest(self, manifest: Manifest) -> None:
        atomic_write_json(self.manifest_path, _manifest_to_json(manifest))

    def write_record(self, record: Record) -> Entry:
        """Persist ``record``'s tensors and info; return its manifest entry (status "applied")."""
        data = st_save(record.tensors(), metadata={_INFO_KEY: json.dumps(record.info())})
        rel = f"records/{record.id}.safetensors"
        atomic_write_bytes(self.root / rel, data)
        return Entry(
            id=record.id, kind=record.kind, file=rel, digest=_bytes_digest(data), touched=tuple(record.touched),
            before=dict(record.before), after=dict(record.after), meta=dict(record.meta), created=time.time(),
            status="applied",
        )

    def read_record(self, entry: Entry) -> Record:
        """Load and verify the record file named by ``entry``.

        Raises:
            LedgerCorrupt: the file is missing, its checksum differs, or it cannot be parsed.
        """
        data = self._read_verified(entry.file, entry.digest, f"record {entry.id}")
        try:
            info = json.loads(_metadata(data)[_INFO_KEY])
            return record_from_parts(info, st_load(data))
        except (SafetensorError, ValueError, KeyError) as e:
            raise LedgerCorrupt(f"record {entry.id}: cannot parse {entry.file}: {e!r}") from e

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)

    def write_snapshot(self, tensors: Mapping[str, torch.Tensor], applied: tuple[str, ...], state: str) -> Snapshot:
        """Persist a snapshot under a name of its own (the manifest still names the previous one until rewritten)."""
        data = st_save({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()})
        rel = f"snapshots/{state}.safetensors"
        atomic_write_bytes(self.root / rel, data)
        return Snapshot(file=rel, digest=_bytes_digest(data), applied=applied)

    def read_snapshot(self, snapshot: Snapshot) -> dict[str, torch.Tensor]:
        """Load and verify the snapshot's tensors.

        Raises:
            LedgerCorrupt: missing, damaged or unparsable.
        """
        data = self._read_verified(snapshot.file, snapshot.digest, "snapshot")
        try:
            return st_load(data)
        except (SafetensorError, ValueError) as e:
            raise LedgerCorrupt(f"snapshot {snapshot.file}: {e!r}") from e

    def _read_verified(self, rel: str, digest: str, what: str) -> bytes:
        try:
            data = (self.root / rel).read_bytes()
        except OSError as e:
            raise LedgerCorrupt(f"{what}: cannot read {self.root / rel}: {e}") from e
        if _bytes_digest(data) != digest:
            raise LedgerCorrupt(f"{what}: {self.root / rel} does not match its checksum (damaged file)")
        return data


def _bytes_digest(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def _metadata(data: bytes) -> dict[str, str]:
    # safetensors layout: 8-byte little-endian header length, then the JSON header with "__metadata__".
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n])["__metadata__"]


def _manifest_to_json(m: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT, "algorithm": ALGORITHM, "model": m.model, "base_checksum": m.base_checksum,
        "applied": list(m.applied), "entries": {k: _entry_to_json(e) for k, e in m.entries.items()},
        "snapshot": asdict(m.snapshot) if m.snapshot else None, "events": list(m.events),
    }


def _entry_to_json(e: Entry) -> dict[str, Any]:
    d = asdict(e)
    d.update(touched=list(e.touched), before=dict(e.before), after=dict(e.after), meta=dict(e.meta))
    return d


def _manifest_from_json(d: dict[str, Any]) -> Manifest:
    if d["format"] != FORMAT or d["algorithm"] != ALGORITHM:
        raise ValueError(f"ledger format {d['format']}/{d['algorithm']} is not {FORMAT}/{ALGORITHM}")
    entries = {k: Entry(**{**e, "touched": tuple(e["touched"])}) for k, e in d["entries"].items()}
    snap = d.get("snapshot")
    return Manifest(
        model=d["model"], base_checksum=d["base_checksum"], applied=tuple(d["applied"]), entries=entries,
        snapshot=Snapshot(**{**snap, "applied": tuple(snap["applied"])}) if snap else None,
        events=tuple(d.get("events", ())),
    )
