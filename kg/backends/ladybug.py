"""Embedded LadybugDB backend (``ladybug==0.22.0``, pinned).

LadybugDB silently drops rows when one ``UNWIND ... MERGE ... CREATE`` batch meets the same new node twice
(reference/platform.md §7.7). Every batched write here therefore (1) creates entities first over distinct
ids, (2) creates facts with ``MATCH ... WHERE a.id = r.s MATCH ... CREATE``, and (3) checks the number of rows
written against the number given, rolling the transaction back on a mismatch.

A second quirk, measured on 0.22.0: the Python binding caches each statement prepared with the parameters of its
first use; after a statement ran with a 20,000-row list, every later run of the same text took 250 ms even for
10 rows. Statements run with large list parameters are therefore evicted from that cache right after they run.
"""

from __future__ import annotations

import csv
import logging
import operator
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ladybug

from kg.backends.base import Row
from kg.errors import RowCountMismatch, StoreError

log = logging.getLogger(__name__)

# Batches above this size go through COPY FROM a temporary CSV file (an order of magnitude faster).
COPY_THRESHOLD = 20_000
# Statements whose list parameters are longer than this are dropped from the binding's statement cache.
_BIG_PARAMETER = 100

DDL = (
    "CREATE NODE TABLE IF NOT EXISTS Entity(id STRING PRIMARY KEY, name STRING, aliases STRING[], lang STRING)",
    "CREATE REL TABLE IF NOT EXISTS FACT(FROM Entity TO Entity, id STRING, pred STRING, valid_from INT64,"
    " valid_to INT64, edit_id STRING, author STRING, confidence DOUBLE, source STRING)",
    "CREATE NODE TABLE IF NOT EXISTS Commit(version INT64 PRIMARY KEY, edit_id STRING, parent INT64,"
    " author STRING, ts STRING, kind STRING, message STRING, n_changes INT64, reverts INT64)",
    "CREATE NODE TABLE IF NOT EXISTS Change(id STRING PRIMARY KEY, version INT64, op STRING, fact STRING,"
    " s STRING, o STRING, pred STRING)",
    "CREATE NODE TABLE IF NOT EXISTS Meta(key STRING PRIMARY KEY, value STRING)",
)

# Column order of each table as COPY expects it (FROM/TO first for relationships).
_COPY_COLUMNS = {
    "Entity": ("id", "name", "aliases", "lang"),
    "Change": ("id", "version", "op", "fact", "s", "o", "pred"),
    "FACT": ("s", "o", "id", "pred", "valid_from", "valid_to", "edit_id", "author", "confidence", "source"),
}

# valid_to is written like every other field, as the COPY path does (a migrated history has retired facts). The
# CAST is needed because a batch whose valid_to are all null binds that field as STRING.
_CREATE_FACTS = (
    "UNWIND $rows AS r MATCH (a:Entity) WHERE a.id = r.s MATCH (b:Entity) WHERE b.id = r.o "
    "CREATE (a)-[:FACT {id: r.id, pred: r.pred, valid_from: r.valid_from, valid_to: CAST(r.valid_to AS INT64), "
    "edit_id: r.edit_id, author: r.author, confidence: r.confidence, source: r.source}]->(b) RETURN count(*) AS total"
)


class LadybugBackend:
    """A LadybugDB database on disk (a path) or in memory (``:memory:``).

    Only one process may open a database for writing (LadybugDB holds a file lock). Within the process a lock
    serialises use of the single connection, which is not safe to share between threads.
    """

    name = "ladybug"
    #: Patterns match walks: one relationship may be bound twice, so a walk can come back along the relationship
    #: it went out by (see ``GraphStore.neighbourhood``).
    matches_walks = True

    def __init__(self, path: str):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = ladybug.Database(path)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as e:
            raise StoreError(f"cannot open graph store at {path}: {e}") from e
        self._lock = threading.RLock()
        self._tx_depth = 0

    def ensure_schema(self) -> None:
        for statement in DDL:
            self.run(statement)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield
                finally:
                    self._tx_depth -= 1
                return
            self._execute("BEGIN TRANSACTION")
            self._tx_depth = 1
            try:
                yield
            except BaseException:
                self._tx_depth = 0
                self._rollback_quietly()
                raise
            self._tx_depth = 0
            self._execute("COMMIT")

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        with self._lock:
            return self._rows(self._execute(query, params))

    def run_values(self, query: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
        with self._lock:
            return self._values(self._execute(query, params))

    def run_read_only(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        with self._lock:
            if self._tx_depth:
                raise StoreError("a read-only query cannot run inside a write transaction")
            self._execute("BEGIN TRANSACTION READ ONLY")
            try:
                return self._rows(self._execute(query, params))
            finally:
                self._rollback_quietly()

    def bulk_create_nodes(self, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        if len(rows) >= COPY_THRESHOLD and _csv_safe(rows):
            return self._copy(label, rows)
        props = ", ".join(f"{c}: r.{c}" for c in _COPY_COLUMNS[label])
        query = f"UNWIND $rows AS r CREATE (:{label} {{{props}}}) RETURN count(*) AS total"
        return sum(_check_count(label, self.run(query, {"rows": chunk})[0]["total"], len(chunk))
                   for chunk in _chunks(rows))

    def bulk_create_facts(self, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        if len(rows) >= COPY_THRESHOLD:
            return self._copy("FACT", rows)
        total = 0
        for chunk in _chunks(rows):
            created = self.run(_CREATE_FACTS, {"rows": chunk})
            total += _check_count("FACT", created[0]["total"] if created else 0, len(chunk))
        return total

    def bulk_import_facts(self, rows: Sequence[tuple], *, valid_from: int, edit_id: str, author: str) -> int:
        if len(rows) < COPY_THRESHOLD:
            return self.bulk_create_facts(
                [{"s": s, "o": o, "id": f"{valid_from}-{n}", "pred": pred, "valid_from": valid_from,
                  "valid_to": None, "edit_id": edit_id, "author": author, "confidence": confidence,
                  "source": source} for n, (s, _, pred, o, _, confidence, source) in enumerate(rows)])
        return self._copy_lines("FACT", _import_lines(rows, valid_from=valid_from, edit_id=edit_id, author=author),
                                len(rows))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._db.close()

    # -- internals -------------------------------------------------------------------------------------

    def _rollback_quietly(self) -> None:
        # A failed statement makes LadybugDB abort the transaction itself; ROLLBACK then has nothing to undo.
        try:
            self._conn.execute("ROLLBACK")
        except RuntimeError as e:
            if "No active transaction" not in str(e):
                raise StoreError(f"rollback failed: {e}") from e

    def _execute(self, query: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self._conn.execute(query, params or {})
        except RuntimeError as e:
            raise StoreError(str(e)) from e
        finally:
            if params and any(isinstance(v, list) and len(v) > _BIG_PARAMETER for v in params.values()):
                self._forget_prepared(query)

    def _forget_prepared(self, query: str) -> None:
        cache = getattr(self._conn, "_pybind_implicit_prepared_cache", None)  # private; ladybug is pinned
        if isinstance(cache, dict):
            for key in [k for k in cache if k[0] == query]:
                del cache[key]

    @classmethod
    def _rows(cls, result: Any) -> list[Row]:
        names, values = cls._values(result)
        return [dict(zip(names, row)) for row in values]

    @staticmethod
    def _values(result: Any) -> tuple[list[str], list[list[Any]]]:
        if isinstance(result, list):  # several statements: keep the last result
            result = result[-1]
        names = result.get_column_names()
        raw = getattr(result, "_query_result", None)  # private; ladybug is pinned
        if raw is None:
            return names, result.get_all()
        # The public iterator costs three Python calls a row; a 2-hop neighbourhood reads ~400 rows.
        rows, has_next, get_next = [], raw.hasNext, raw.getNext
        while has_next():
            rows.append(get_next())
        return names, rows

    def _copy(self, table: str, rows: Sequence[Row]) -> int:
        """Write rows to a temporary CSV and COPY it in; the count is checked like any other batch."""
        columns = _COPY_COLUMNS[table]

        def write(f: Any) -> None:
            # csv writes None as an empty field, which COPY reads as NULL.
            csv.writer(f).writerows(_csv_rows(rows, columns))

        return self._copy_file(table, write, len(rows))

    def _copy_lines(self, table: str, lines: Iterable[str], expected: int) -> int:
        """COPY ready-made CSV lines (each ending in a newline) into ``table``, checking the count."""
        return self._copy_file(table, lambda f: f.writelines(lines), expected)

    def _copy_file(self, table: str, write: Callable[[Any], None], expected: int) -> int:
        before = self._count(table)
        fd, tmp = tempfile.mkstemp(suffix=".csv", prefix=f"kgedit-{table}-")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
                write(f)
            self._execute(f"COPY {table} FROM '{tmp}' (header=false)")
        finally:
            os.unlink(tmp)
        return _check_count(table, self._count(table) - before, expected)

    def _count(self, table: str) -> int:
        query = ("MATCH ()-[f:FACT]->() RETURN count(*) AS total" if table == "FACT"
                 else f"MATCH (x:{table}) RETURN count(*) AS total")
        return self.run(query)[0]["total"]


def _chunks(rows: Sequence[Row], size: int = 5_000) -> list[list[Row]]:
    return [list(rows[i:i + size]) for i in range(0, len(rows), size)]


def _csv_safe(rows: Sequence[Row]) -> bool:
    """Whether every alias list can be written as a LadybugDB CSV list literal."""
    return not any(("," in str(x) or "]" in str(x)) for row in rows for x in (row.get("aliases") or ()))


def _csv_rows(rows: Sequence[Row], columns: tuple[str, ...]) -> Any:
    pick = operator.itemgetter(*columns)
    lists = [i for i, c in enumerate(columns) if c == "aliases"]
    if not lists:
        return map(pick, rows)
    # LadybugDB's list literal; _csv_safe() has checked that no item contains ',' or ']'.
    return ([*v[:i], "[" + ",".join(map(str, v[i] or ())) + "]", *v[i + 1:]] for v in map(pick, rows)
            for i in lists)


def _import_lines(rows: Sequence[tuple], *, valid_from: int, edit_id: str, author: str) -> Iterator[str]:
    """FACT rows of an import as CSV lines in ``_COPY_COLUMNS["FACT"]`` order, quoted exactly as csv.writer would.

    Entity ids (``kg.ids.entity_id``: word characters and ``_`` only) never need quoting; the fields shared by
    every row are quoted once, and relation names and sources once per distinct value.
    """
    shared = f",{valid_from},,{_field(edit_id)},{_field(author)},"
    prefix = f"{valid_from}-"
    preds: dict[str, str] = {}
    sources: dict[str | None, str] = {None: ""}
    for n, (s, _, pred, o, _, confidence, source) in enumerate(rows):
        p = preds.get(pred)
        if p is None:
            p = preds[pred] = _field(pred)
        src = sources.get(source)
        if src is None:
            src = sources[source] = _field(source)
        yield f"{s},{o},{prefix}{n},{p}{shared}{confidence!r},{src}\n"


def _field(value: str | None) -> str:
    """One CSV field as ``csv.writer`` (QUOTE_MINIMAL) writes it; None is an empty field (NULL for COPY)."""
    if value is None:
        return ""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _check_count(table: str, written: int, expected: int) -> int:
    if written != expected:
        raise RowCountMismatch(f"{table}: wrote {written} of {expected} rows; the transaction was rolled back")
    return written
