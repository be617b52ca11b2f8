"""The weight-delta ledger: the only path that changes a model's weights, and the way back.

Each change is a record (:mod:`models.ledger.records`) that holds its exact inverse. Applying or reverting runs
under the model's write lock, checks every touched tensor's digest before and after (drift raises
:class:`~kg.errors.LedgerDrift` and leaves the weights as they were), and rewrites the manifest atomically.
On load, the registry replays the applied records in order (or a compaction snapshot plus the rest), so a
restarted process has exactly the weights the ledger says.

Revert order policy: reverting a record while a *later* applied record touches the same tensors (or a module
path containing them) is refused with :class:`~kg.errors.RevertOrderError`, which names the blocking records;
``revert(record_id, cascade=True)`` reverts those first, newest first. Records on disjoint tensors commute, so
they may be reverted in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from torch import nn

from kg.errors import LedgerDrift, LedgerError, LedgerNotFound, ModelUnloaded, RevertOrderError
from models.digest import tensor_digest, text_digest
from models.ledger.records import Record, _assign, _tensor
from models.ledger.store import Entry, LedgerStore, Manifest
from models.locks import RWLock

logger = logging.getLogger(__name__)


def state_id(base_checksum: str, applied: Sequence[str]) -> str:
    """The id of the model state reached by applying ``applied`` (in order) to the base weights."""
    return "s" + text_digest(base_checksum, *applied)[:24]


class Ledger:
    """One model's ledger. Made by the registry; reach it as ``handle.ledger``."""

    def __init__(self, root: Path, *, model_name: str, base_checksum: str, model: nn.Module, lock: RWLock) -> None:
        self._store = LedgerStore(root)
        self._model: nn.Module | None = model
        # The model's write lock also serialises ledger changes (writers are exclusive): one lock, one order,
        # so callers already inside handle.writing() can call the ledger without deadlock.
        self._lock = lock
        self._manifest = self._open_manifest(model_name, base_checksum)
        self._stamp = self._store.manifest_stamp()

    # -- reading ------------------------------------------------------------------------------------------

    @property
    def state_id(self) -> str:
        """Id of the current state: base checksum plus the applied record ids in order."""
        return state_id(self._manifest.base_checksum, self._manifest.applied)

    @property
    def applied(self) -> tuple[str, ...]:
        """Ids of the applied records, oldest first."""
        return self._manifest.applied

    @property
    def base_checksum(self) -> str:
        return self._manifest.base_checksum

    def lineage(self) -> list[str]:
        """State ids from the base weights to the current state (one per applied prefix)."""
        applied = self._manifest.applied
        return [state_id(self._manifest.base_checksum, applied[:k]) for k in range(len(applied) + 1)]

    def entries(self) -> list[Entry]:
        """Every record the ledger holds (applied and reverted), oldest first."""
        return sorted(self._manifest.entries.values(), key=lambda e: e.created)

    def record(self, record_id: str) -> Record:
        """Load a record (tensors included) from disk.

        Raises:
            LedgerNotFound: unknown id.
            LedgerCorrupt: its file is damaged.
        """
        return self._store.read_record(self._entry(record_id))

    # -- changing -----------------------------------------------------------------------------------------

    def apply(self, record: Record) -> str:
        """Persist ``record``, apply it under the write lock and return the new state id.

        Raises:
            LedgerError: the id is already in the ledger, or the manifest could not be written (weights restored).
            LedgerDrift: a touched tensor is not what the record was made against (nothing changed).
            ModelUnloaded: the model was unloaded.
        """
        self._check_new(record)
        entry = self._store.write_record(record)  # before the lock (readers wait for no fsync); before the manifest
        try:
            with self._lock.writing():
                model = self._live_model()
                self._check_new(record)
                self._apply_checked(model, record)
                manifest = replace(self._manifest, applied=(*self._manifest.applied, record.id),
                                   entries={**self._manifest.entries, record.id: entry})
                self._commit_or_undo(manifest.with_event("apply", record.id, self._state_of(manifest)),
                                     undo=lambda: self._revert_checked(model, record))
        except BaseException:
            if record.id not in self._manifest.entries:  # a concurrent apply of the same record keeps its file
                self._store.delete(entry.file)
            raise
        logger.info("ledger %s: applied %s (%s) -> %s", self._manifest.model, record.id, record.kind, self.state_id)
        return self.state_id

    def revert(self, record_id: str, *, cascade: bool = False) -> list[str]:
        """Revert an applied record, restoring its tensors bit for bit; return the ids reverted (newest first).

        Raises:
            LedgerNotFound: unknown id.
            LedgerError: the record is not applied.
            RevertOrderError: later applied records touch the same tensors and ``cascade`` is False.
            LedgerDrift: a touched tensor changed outside the ledger (nothing reverted).
        """
        with self._lock.writing():
            model = self._live_model()
            if self._entry(record_id).status != "applied":
                raise LedgerError(f"record {record_id} is not applied")
            blocking = self._dependents(record_id)
            if blocking and not cascade:
                raise RevertOrderError(record_id, blocking)
            order = [*reversed(blocking), record_id]
            for rid in order:
                self._revert_one(model, rid)
            return order

    def revert_to(self, target_state: str) -> list[str]:
        """Revert the newest records until the model is in ``target_state`` (an ancestor in :meth:`lineage`).

        Raises:
            LedgerNotFound: ``target_state`` is not an ancestor of the current state.
            LedgerDrift: as :meth:`revert`.
        """
        with self._lock.writing():
            model = self._live_model()
            lineage = self.lineage()
            if target_state not in lineage:
                raise LedgerNotFound(f"state {target_state} is not an ancestor of the current state {self.state_id}")
            order = list(reversed(self._manifest.applied[lineage.index(target_state):]))
            for rid in order:
                self._revert_one(model, rid)
            return order

    def replay(self) -> int:
        """Bring freshly loaded base weights to the state the manifest records; return the records replayed.

        Raises:
            LedgerCorrupt: a record or snapshot file is missing or damaged.
            LedgerDrift: a tensor does not match what the ledger expects.
        """
        with self._lock.writing():
            model = self._live_model()
            start = self._replay_snapshot(model)
            for rid in self._manifest.applied[start:]:
                self._apply_checked(model, self._store.read_record(self._manifest.entries[rid]))
            return len(self._manifest.applied)

    def compact(self) -> str | None:
        """Write the current values of every tensor the applied records touch into one snapshot file, so the
        next load copies one file instead of replaying each record. Records stay (revert needs their originals).
        Returns the snapshot's state id (None when nothing is applied).

        Raises:
            LedgerError: a module record is applied (snapshots hold tensor values only).
        """
        with self._lock.writing():
            model = self._live_model()
            entries = [self._manifest.entries[rid] for rid in self._manifest.applied]
            if any(e.kind == "module" for e in entries):
                raise LedgerError("compaction covers tensor records only; a module record is applied")
            if not entries:
                return None
            names = dict.fromkeys(n for e in entries for n in e.touched)
            values = {n: _tensor(model, n).detach().to("cpu", copy=True) for n in names}
            snap = self._store.write_snapshot(values, self._manifest.applied, self.state_id)
            old = self._manifest.snapshot
            self._commit(replace(self._manifest, snapshot=snap).with_event("compact", None, self.state_id))
            if old is not None and old.file != snap.file:
                self._store.delete(old.file)
            return self.state_id

    def close(self) -> None:
        """Detach from the model (after an unload); later operations raise ModelUnloaded."""
        with self._lock.writing():
            self._model = None

    # -- internals ----------------------------------------------------------------------------------------

    def _open_manifest(self, model_name: str, base_checksum: str) -> Manifest:
        manifest = self._store.read_manifest()
        if manifest is None:
            return Manifest(model=model_name, base_checksum=base_checksum)
        if manifest.base_checksum != base_checksum:
            if manifest.applied:
                raise LedgerError(
                    f"the ledger in {self._store.root} was made on other base weights ({manifest.base_checksum}) "
                    f"than the ones loaded ({base_checksum}) and has applied records; register the original "
                    "source again, or move the ledger folder away"
                )
            logger.warning("ledger %s: base weights changed; no records were applied, rebasing", model_name)
            manifest = replace(manifest, base_checksum=base_checksum, snapshot=None)
        return manifest

    def _check_new(self, record: Record) -> None:
        if record.id in self._manifest.entries:
            raise LedgerError(f"record {record.id} is already in the ledger")

    def _live_model(self) -> nn.Module:
        """The model, after checking it is loaded and no other process rewrote this ledger since we read it."""
        if self._model is None:
            raise ModelUnloaded(f"model {self._manifest.model!r} was unloaded; get it from the registry again")
        if self._store.manifest_stamp() != self._stamp:
            raise LedgerError(
                f"the ledger in {self._store.root} was changed by another process; reload the model before "
                "changing it (one process at a time may write a model's ledger)"
            )
        return self._model

    def _entry(self, record_id: str) -> Entry:
        try:
            return self._manifest.entries[record_id]
        except KeyError:
            raise LedgerNotFound(f"no record {record_id!r} in the ledger of {self._manifest.model!r}") from None

    def _state_of(self, manifest: Manifest) -> str:
        return state_id(manifest.base_checksum, manifest.applied)

    def _dependents(self, record_id: str) -> list[str]:
        """Later applied records that (transitively) touch what ``record_id`` touches, oldest first."""
        applied = self._manifest.applied
        touched = set(self._manifest.entries[record_id].touched)
        blocking = []
        for rid in applied[applied.index(record_id) + 1 :]:
            theirs = self._manifest.entries[rid].touched
            if _overlaps(touched, theirs):
                blocking.append(rid)
                touched.update(theirs)
        return blocking

    def _revert_one(self, model: nn.Module, record_id: str) -> None:
        entry = self._manifest.entries[record_id]
        record = self._store.read_record(entry)
        self._revert_checked(model, record)
        snap = self._manifest.snapshot
        stale = snap is not None and record_id in snap.applied
        manifest = replace(
            self._manifest,
            applied=tuple(r for r in self._manifest.applied if r != record_id),
            entries={**self._manifest.entries, record_id: replace(entry, status="reverted")},
            snapshot=None if stale else snap,
        )
        self._commit_or_undo(manifest.with_event("revert", record_id, self._state_of(manifest)),
                             undo=lambda: self._apply_checked(model, record))
        if stale:
            self._store.delete(snap.file)
        logger.info("ledger %s: reverted %s -> %s", self._manifest.model, record_id, self.state_id)

    def _apply_checked(self, model: nn.Module, record: Record) -> None:
        self._expect(model, record, record.before, "before applying")
        try:
            record.apply(model)
            self._expect(model, record, record.after, "after applying")
        except BaseException:
            _restore(model, record)
            raise

    def _revert_checked(self, model: nn.Module, record: Record) -> None:
        self._expect(model, record, record.after, "before reverting")
        record.revert(model)
        self._expect(model, record, record.before, "after reverting")

    def _expect(self, model: nn.Module, record: Record, expected: dict[str, str] | object, when: str) -> None:
        found = record.digests(model)
        bad = [k for k in record.touched if found.get(k) != expected[k]]  # type: ignore[index]
        if bad:
            hint = (" (a record made before another record was applied is stale: make it again)"
                    if when == "before applying" else "")
            raise LedgerDrift(
                f"ledger {self._manifest.model}: {len(bad)} tensor(s) differ from the ledger {when} record "
                f"{record.id} ({', '.join(bad[:3])}); the weights changed outside the ledger{hint}"
            )

    def _replay_snapshot(self, model: nn.Module) -> int:
        snap = self._manifest.snapshot
        if snap is None or self._manifest.applied[: len(snap.applied)] != snap.applied:
            return 0
        first_before: dict[str, str] = {}
        last_after: dict[str, str] = {}
        for rid in snap.applied:
            entry = self._manifest.entries[rid]
            for name in entry.touched:
                first_before.setdefault(name, entry.before[name])
                last_after[name] = entry.after[name]
        for name, value in self._store.read_snapshot(snap).items():
            _expect_tensor(model, name, first_before[name], "before the snapshot")
            _assign(model, name, value)
            _expect_tensor(model, name, last_after[name], "after the snapshot")
        return len(snap.applied)

    def _commit(self, manifest: Manifest) -> None:
        self._store.write_manifest(manifest)
        self._manifest = manifest
        self._stamp = self._store.manifest_stamp()

    def _commit_or_undo(self, manifest: Manifest, *, undo) -> None:
        try:
            self._commit(manifest)
        except OSError as e:
            undo()  # the manifest is the truth: keep memory equal to what it still says
            raise LedgerError(f"cannot write the ledger manifest in {self._store.root}: {e}") from e


def _overlaps(mine: Iterable[str], theirs: Iterable[str]) -> bool:
    """Whether two sets of tensor names / module paths share a tensor (equal, or one path contains the other)."""
    return any(a == b or a.startswith(b + ".") or b.startswith(a + ".") for a in mine for b in theirs)


def _expect_tensor(model: nn.Module, name: str, expected: str, when: str) -> None:
    if tensor_digest(_tensor(model, name)) != expected:
        raise LedgerDrift(f"{name}: checksum differs from the ledger {when}; the weights changed outside the ledger")


def _restore(model: nn.Module, record: Record) -> None:
    try:
        record.revert(model)
    except Exception:  # the original error matters more; this one is logged
        logger.exception("could not undo a failed application of record %s", record.id)
