"""The edit journal: one intent record per edit, written before the model is touched.

Status flow: ``pending`` -> ``committed`` | ``aborted``; or ``quarantined`` -> ``pending`` (approved) |
``rejected``; or ``refused``. Model records are listed in the intent *before* they are applied, so after a
crash a restart knows exactly which records to revert (see :mod:`controller.recovery`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from controller.db import ControllerDB
from kg.errors import NotFound
from kg.ids import entity_id


class Status(StrEnum):
    PENDING = "pending"
    COMMITTED = "committed"
    ABORTED = "aborted"
    QUARANTINED = "quarantined"
    REJECTED = "rejected"
    REFUSED = "refused"


class ModelRecordRef(BaseModel):
    """A ledger record an edit applied, and the triples (s, relation, o) it installed."""

    model_config = ConfigDict(frozen=True)

    record_id: str
    model: str
    triples: list[tuple[str, str, str]]
    applied: bool = False
    #: The editing method that made the record (re-editing its facts uses the same one); None in old journals.
    method: str | None = None

    @property
    def keys(self) -> set[tuple[str, str, str]]:
        """The installed facts as (subject id, relation, object id)."""
        return {(entity_id(s), r, entity_id(o)) for s, r, o in self.triples}


class Intent(BaseModel):
    model_config = ConfigDict(frozen=True)

    edit_id: str
    user: str
    kind: str
    status: Status
    created: str
    updated: str
    request: dict[str, Any]
    plan: dict[str, Any] | None = None
    records: list[ModelRecordRef] = Field(default_factory=list)
    kg_version: int | None = None
    model_state: str | None = None
    reasons: list[str] = Field(default_factory=list)
    result: dict[str, Any] | None = None


def new_edit_id() -> str:
    return "e-" + uuid.uuid4().hex[:12]


class Journal:
    """Intent records in the controller database."""

    def __init__(self, db: ControllerDB):
        self._db = db

    def open(self, *, edit_id: str, user: str, kind: str, request: dict[str, Any], status: Status,
             plan: dict[str, Any] | None = None, reasons: list[str] | None = None) -> Intent:
        now = _now()
        with self._db.atomic() as conn:
            conn.execute("INSERT INTO intents (edit_id, user, kind, status, created, updated, request, plan, reasons)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (edit_id, user, kind, status, now, now, _dump(request), _dump(plan),
                          _dump(reasons or [])))
        return self.get(edit_id)

    def update(self, edit_id: str, **fields: Any) -> Intent:
        """Set fields (status, plan, records, kg_version, model_state, reasons, result) in one transaction."""
        allowed = {"status", "plan", "records", "kg_version", "model_state", "reasons", "result"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update intent fields {unknown}")
        values = {k: (_dump(v) if k in ("plan", "records", "reasons", "result") else v) for k, v in fields.items()}
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._db.atomic() as conn:
            done = conn.execute(f"UPDATE intents SET {sets}, updated = ? WHERE edit_id = ?",
                                (*values.values(), _now(), edit_id)).rowcount
        if not done:
            raise NotFound(f"no edit {edit_id!r}")
        return self.get(edit_id)

    def add_record(self, edit_id: str, ref: ModelRecordRef) -> Intent:
        intent = self.get(edit_id)
        records = [r for r in intent.records if r.record_id != ref.record_id] + [ref]
        return self.update(edit_id, records=[r.model_dump() for r in records])

    def remove_record(self, edit_id: str, record_id: str) -> Intent:
        """Drop a record an edit tried and reverted again (a method whose result failed verification)."""
        intent = self.get(edit_id)
        return self.update(edit_id, records=[r.model_dump() for r in intent.records if r.record_id != record_id])

    def get(self, edit_id: str) -> Intent:
        rows = self._db.query("SELECT * FROM intents WHERE edit_id = ?", (edit_id,))
        if not rows:
            raise NotFound(f"no edit {edit_id!r}")
        return _intent(rows[0])

    def list(self, *, status: Status | None = None, user: str | None = None, since: str | None = None,
             limit: int | None = None) -> list[Intent]:
        """Intents newest first, filtered."""
        where, params = [], []
        for column, value in (("status", status), ("user", user)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(str(value))
        if since is not None:
            where.append("created >= ?")
            params.append(since)
        sql = "SELECT * FROM intents" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created DESC, rowid DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_intent(r) for r in self._db.query(sql, tuple(params))]

    def unfinished(self) -> list[Intent]:
        """Edits a crash may have interrupted, oldest first."""
        return list(reversed(self.list(status=Status.PENDING)))

    def records_installing(self, key: tuple[str, str, str], *, applied: bool | None = True
                           ) -> list[tuple[str, ModelRecordRef]]:
        """(edit_id, record) of committed edits whose records installed the fact ``key`` (subject id, relation,
        object id), newest first; ``applied`` filters on whether the record is currently applied."""
        found = []
        for intent in self.list(status=Status.COMMITTED):
            for ref in intent.records:
                if (applied is None or ref.applied == applied) and key in ref.keys:
                    found.append((intent.edit_id, ref))
        return found

    def owner_of(self, record_id: str) -> tuple[str, ModelRecordRef] | None:
        """The committed edit a record belongs to."""
        for intent in self.list(status=Status.COMMITTED):
            for ref in intent.records:
                if ref.record_id == record_id:
                    return intent.edit_id, ref
        return None

    def set_applied(self, edit_id: str, record_id: str, applied: bool) -> None:
        intent = self.get(edit_id)
        records = [r.model_copy(update={"applied": applied}) if r.record_id == record_id else r
                   for r in intent.records]
        self.update(edit_id, records=[r.model_dump() for r in records])


def _intent(row: Any) -> Intent:
    data = dict(row)
    for key in ("request", "plan", "records", "reasons", "result"):
        data[key] = json.loads(data[key]) if data[key] else ({} if key == "request" else None)
    data["records"] = data["records"] or []
    data["reasons"] = data["reasons"] or []
    return Intent(**data)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
