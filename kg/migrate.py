"""Copy a knowledge graph with its full history from one store to another (any backend to any backend).

What is copied: every entity, every fact with its validity interval and metadata, every commit, the change log
and the Meta entries (store format, custom relations). Facts keep their ids, so versions, time travel, diffs and
rollbacks behave the same on the copy. The source is read as of its head when the migration starts (a commit
made meanwhile is not copied, and a fact it retires stays visible in the copy).

How it is verified: both stores are read back in full and summarised by :class:`HistoryDigest`: the counts, and
per version the number of visible facts, a checksum of the visible facts (ids, statements and metadata) and a
checksum of that commit and its change log. Checksums are sums of SHA-256 values modulo 2**256 (an additive
multiset hash), so they do not depend on the order in which either store returns rows and can be updated
version by version in one pass: O(facts + versions), not O(facts x versions).

The target must be empty. Pages are written in their own transactions and the commits last, so an interrupted
migration leaves a target whose head is 0 (nothing visible): drop it and run again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel
from tqdm import tqdm

from kg import queries as Q
from kg.backends import GraphBackend
from kg.backends.base import Row
from kg.errors import Conflict, StoreError
from kg.store import GraphStore

log = logging.getLogger(__name__)

PAGE = 20_000  # rows per read page and per write transaction
_MOD = 1 << 256

# Keyset pagination (WHERE key > $after ORDER BY key LIMIT $limit): stable on every backend, unlike SKIP.
ENTITY_PAGE = ("MATCH (e:Entity) WHERE e.id > $after "
               "RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang ORDER BY e.id LIMIT $limit")
FACT_PAGE = (
    "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id > $after AND f.valid_from <= $head "
    "RETURN a.id AS s, b.id AS o, f.id AS id, f.pred AS pred, f.valid_from AS valid_from, f.valid_to AS valid_to, "
    "f.edit_id AS edit_id, f.author AS author, f.confidence AS confidence, f.source AS source "
    "ORDER BY f.id LIMIT $limit")
CHANGE_PAGE = ("MATCH (c:Change) WHERE c.id > $after AND c.version <= $head "
               "RETURN c.id AS id, c.version AS version, c.op AS op, c.fact AS fact, c.s AS s, c.o AS o, "
               "c.pred AS pred ORDER BY c.id LIMIT $limit")
ALL_META = "MATCH (m:Meta) RETURN m.key AS key, m.value AS value ORDER BY m.key"
COUNTS = {
    "entities": "MATCH (e:Entity) RETURN count(*) AS total",
    "facts": "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.valid_from <= $head RETURN count(*) AS total",
    "changes": "MATCH (c:Change) WHERE c.version <= $head RETURN count(*) AS total",
}


class MigrationMismatch(StoreError):
    """The copy does not match the source (counts or a version's checksum differ)."""


class VersionCheck(BaseModel):
    """One version as the verification saw it."""

    version: int
    facts: int
    state: str  # checksum of the facts visible at this version
    log: str  # checksum of the commit that made it and its change log


class MigrationReport(BaseModel):
    """What a migration copied and verified."""

    source: str
    target: str
    head: int
    entities: int
    facts: int
    commits: int
    changes: int
    meta_keys: list[str]
    head_checksum: str
    versions_verified: int
    seconds: float


class HistoryDigest:
    """Counts and per-version checksums of a store's history, fed row by row in any order."""

    def __init__(self, head: int):
        self.head = head
        self.counts = {"entities": 0, "facts": 0, "commits": 0, "changes": 0}
        self.entities = 0
        self.meta: dict[str, str] = {}
        self._delta_n = [0] * (head + 2)
        self._delta_h = [0] * (head + 2)
        self._log = [0] * (head + 1)

    def add(self, kind: str, row: Row) -> None:
        """Account for one row of ``kind`` (entities, facts, commits, changes, meta)."""
        if kind == "meta":
            self.meta[row["key"]] = row["value"]
            return
        self.counts[kind] += 1
        if kind == "entities":
            self.entities = (self.entities + _h(row["id"], row["name"], *(row["aliases"] or ()), row["lang"])) % _MOD
        elif kind == "facts":
            h = _h(row["id"], row["s"], row["pred"], row["o"], row["edit_id"], row["author"], row["confidence"],
                   row["source"])
            end = row["valid_to"] if row["valid_to"] is not None and row["valid_to"] <= self.head else self.head + 1
            self._delta_n[row["valid_from"]] += 1
            self._delta_h[row["valid_from"]] += h
            self._delta_n[end] -= 1
            self._delta_h[end] -= h
        elif kind == "changes":
            self._log[row["version"]] += _h(row["id"], row["op"], row["fact"], row["s"], row["o"], row["pred"])
        else:
            self._log[row["version"]] += _h(*(row[k] for k in _COMMIT_KEYS))

    def versions(self) -> list[VersionCheck]:
        """Every version 0..head with its visible-fact count and checksums."""
        out, n, h = [], 0, 0
        for v in range(self.head + 1):
            n, h = n + self._delta_n[v], (h + self._delta_h[v]) % _MOD
            out.append(VersionCheck(version=v, facts=n, state=f"{h:064x}", log=f"{self._log[v] % _MOD:064x}"))
        return out

    def differences(self, other: "HistoryDigest") -> list[str]:
        """What differs from ``other``, in words (empty when the two histories are the same)."""
        found = [f"{k}: {self.counts[k]} != {other.counts[k]}" for k in self.counts
                 if self.counts[k] != other.counts[k]]
        if self.entities != other.entities:
            found.append("entity checksum differs")
        found += [f"meta {k!r} differs" for k in sorted(set(self.meta) | set(other.meta))
                  if self.meta.get(k) != other.meta.get(k)]
        found += [f"version {a.version}: {a} != {b}" for a, b in zip(self.versions(), other.versions()) if a != b]
        return found


def migrate_store(source: GraphBackend, target: GraphBackend, *, source_name: str = "source",
                  target_name: str = "target", progress: bool = False) -> MigrationReport:
    """Copy ``source``'s graph and history into the empty ``target``, then verify the copy.

    Both backends must hold a kgedit store (open them with :meth:`GraphStore.open` first, which creates the
    schema and checks the store format).

    Raises:
        Conflict: the target already holds entities, facts or commits.
        MigrationMismatch: the copy read back differs from the source (the message lists what differs).
        StoreError: either store failed.
    """
    start = time.perf_counter()
    _check_empty(target, target_name)
    head = source.run(Q.HEAD)[0]["head"] or 0
    total = _total_rows(source, head)
    log.info("migrating %s (head %d, %d rows) to %s", source_name, head, total, target_name)
    expected = HistoryDigest(head)
    with tqdm(total=total, desc="copy", unit="row", disable=not progress) as bar:
        for kind, rows in read_history(source, head):
            for row in rows:
                expected.add(kind, row)
            _write(target, kind, rows)
            bar.update(len(rows))
    actual = HistoryDigest(head)
    with tqdm(total=total, desc="verify", unit="row", disable=not progress) as bar:
        for kind, rows in read_history(target, head):
            for row in rows:
                actual.add(kind, row)
            bar.update(len(rows))
    _verify(expected, actual, target)
    versions = expected.versions()
    return MigrationReport(source=source_name, target=target_name, head=head, meta_keys=sorted(expected.meta),
                           **expected.counts, head_checksum=versions[-1].state, versions_verified=len(versions),
                           seconds=round(time.perf_counter() - start, 2))


def migrate(from_uri: str, to_uri: str, *, from_auth: dict[str, str | None] | None = None,
            to_auth: dict[str, str | None] | None = None, progress: bool = False) -> MigrationReport:
    """Open both stores by URI (a path, ``:memory:`` or ``bolt://``...) and run :func:`migrate_store`.

    ``from_auth``/``to_auth`` hold ``user``, ``password`` and ``database`` for Bolt URIs.

    Raises:
        Conflict, MigrationMismatch, StoreError, ConfigError: see :func:`migrate_store` and ``open_backend``.
    """
    with GraphStore.open(from_uri, **(from_auth or {})) as source, \
            GraphStore.open(to_uri, **(to_auth or {})) as target:
        return migrate_store(source.backend, target.backend, source_name=from_uri, target_name=to_uri,
                             progress=progress)


def read_history(backend: GraphBackend, head: int) -> Iterator[tuple[str, list[Row]]]:
    """The store's contents as of ``head``, in pages of ``(kind, rows)``: entities and facts first, commits last.

    Facts retired after ``head`` are returned as still visible (``valid_to`` None), as they were at ``head``.
    """
    yield from _pages(backend, "entities", ENTITY_PAGE, {}, _entity_row)
    yield from _pages(backend, "facts", FACT_PAGE, {"head": head}, lambda r: _fact_row(r, head))
    yield from _pages(backend, "changes", CHANGE_PAGE, {"head": head}, dict)
    yield "meta", backend.run(ALL_META)
    yield "commits", backend.run(Q.COMMITS_BETWEEN, {"after": 0, "upto": head})


# -- internals ------------------------------------------------------------------------------------------

_COMMIT_KEYS = ("version", "edit_id", "parent", "author", "ts", "kind", "message", "n_changes", "reverts")


def _h(*fields: Any) -> int:
    text = "\x1f".join("\x00" if f is None else repr(f) if isinstance(f, float) else str(f) for f in fields)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")


def _pages(backend: GraphBackend, kind: str, query: str, params: dict[str, Any],
           shape: Callable[[Row], Row]) -> Iterator[tuple[str, list[Row]]]:
    after = ""  # every id is a non-empty string, so all of them sort after ""
    while True:
        rows = backend.run(query, {**params, "after": after, "limit": PAGE})
        if rows:
            yield kind, [shape(r) for r in rows]
        if len(rows) < PAGE:
            return
        after = rows[-1]["id"]


def _entity_row(row: Row) -> Row:
    return {**row, "aliases": list(row["aliases"] or ())}  # Neo4j drops an empty list property: absent == []


def _fact_row(row: Row, head: int) -> Row:
    if row["valid_to"] is not None and row["valid_to"] > head:
        return {**row, "valid_to": None}
    return dict(row)


def _write(target: GraphBackend, kind: str, rows: list[Row]) -> None:
    with target.atomic():
        if kind == "entities":
            target.bulk_create_nodes("Entity", rows)
        elif kind == "facts":
            target.bulk_create_facts(rows)
        elif kind == "changes":
            target.bulk_create_nodes("Change", rows)
        elif kind == "meta":
            for row in rows:
                target.run(Q.META_SET, row)
        else:  # commits, written last: until they land, the target's head is 0 and nothing is visible
            for row in rows:
                target.run(Q.CREATE_COMMIT, row)


def _check_empty(target: GraphBackend, name: str) -> None:
    for label, query in (("entities", COUNTS["entities"]), ("commits", "MATCH (c:Commit) RETURN count(*) AS total"),
                         ("facts", "MATCH ()-[f:FACT]->() RETURN count(*) AS total")):
        if target.run(query)[0]["total"]:
            raise Conflict(f"the migration target {name} is not empty (it has {label}); use an empty store")


def _total_rows(source: GraphBackend, head: int) -> int:
    total = sum(source.run(q, {"head": head} if "$head" in q else None)[0]["total"] for q in COUNTS.values())
    return total + head  # one row per commit


def _verify(expected: HistoryDigest, actual: HistoryDigest, target: GraphBackend) -> None:
    problems = expected.differences(actual)
    head = expected.head
    if head:  # also through the service's own read path, not only the raw pages
        visible = target.run(Q.COUNT_FACTS, {"at": head})[0]["total"]
        if visible != expected.versions()[-1].facts:
            problems.append(f"the target shows {visible} facts at head, expected {expected.versions()[-1].facts}")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise MigrationMismatch(f"the copy differs from the source: {shown}")
    log.info("verified %d versions", head + 1)
