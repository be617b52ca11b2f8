"""Neo4j backend over Bolt, on the official ``neo4j`` driver (``bolt://``, ``neo4j://`` and their TLS forms).

The versioned graph (``kg.store``/``kg.versions``) is the same as on the embedded store; this module only adds
transactions, batching and error mapping:

- A write block (:meth:`Neo4jBackend.atomic`) is one explicit driver transaction: committed when the block ends,
  rolled back on any exception. Nested blocks join the outer one, as on LadybugDB.
- Read-only queries run in a ``READ`` access-mode transaction that is always rolled back, and refuse any
  statement whose summary reports an update. Neo4j refuses writes in a READ transaction by itself; Bolt servers
  that ignore the access mode (ArcadeDB, the test stand-in, does) are caught by the summary check, and the
  rollback guarantees nothing lands either way.
- Batches are ``UNWIND $rows`` statements of at most :data:`CHUNK` rows inside one explicit transaction, each
  checked against the number of rows it was given (:class:`kg.errors.RowCountMismatch`), exactly like the
  embedded backend, so a lost row can never be committed silently on any server.
- Driver and server errors become :class:`kg.errors.StoreError`; an unreachable server or a refused login gives
  a message naming the URI (never the password).

Not safe to share one transaction between threads: a lock serialises use of the backend, as on LadybugDB.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from kg.backends.base import Row
from kg.errors import RowCountMismatch, StoreError

log = logging.getLogger(__name__)

CHUNK = 5_000  # rows per UNWIND statement: large enough to amortise a round trip, small for server memory

# Uniqueness constraints give the lookups by key an index on every server; FACT.id and Commit.edit_id are
# looked up too (retire, load facts by id, commits of an edit) but need not be unique.
SCHEMA = (
    "CREATE CONSTRAINT kg_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
    "CREATE CONSTRAINT kg_commit_version IF NOT EXISTS FOR (c:Commit) REQUIRE c.version IS UNIQUE",
    "CREATE CONSTRAINT kg_change_id IF NOT EXISTS FOR (c:Change) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT kg_meta_key IF NOT EXISTS FOR (m:Meta) REQUIRE m.key IS UNIQUE",
    "CREATE INDEX kg_fact_id IF NOT EXISTS FOR ()-[f:FACT]-() ON (f.id)",
    "CREATE INDEX kg_commit_edit IF NOT EXISTS FOR (c:Commit) ON (c.edit_id)",
)

_CREATE_FACTS = (
    "UNWIND $rows AS r MATCH (a:Entity) WHERE a.id = r.s MATCH (b:Entity) WHERE b.id = r.o "
    "CREATE (a)-[:FACT {id: r.id, pred: r.pred, valid_from: r.valid_from, valid_to: r.valid_to, "
    "edit_id: r.edit_id, author: r.author, confidence: r.confidence, source: r.source}]->(b) RETURN count(*) AS total"
)
_FACT_KEYS = ("s", "o", "id", "pred", "valid_from", "valid_to", "edit_id", "author", "confidence", "source")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Neo4jBackend:
    """A Neo4j (or Neo4j-compatible) database reached over Bolt.

    Raises:
        StoreError: the server cannot be reached or refuses the login (the message names the URI).
    """

    name = "neo4j"
    #: Neo4j never binds one relationship twice in a pattern (see ``GraphStore.neighbourhood``).
    matches_walks = False

    def __init__(self, uri: str, *, user: str | None = None, password: str | None = None,
                 database: str | None = None):
        self.uri = uri
        self.database = database or None  # None: the server's default database
        auth = (user or "neo4j", password or "") if (user or password) else None  # neo4j: the default user
        self._lock = threading.RLock()
        self._tx: neo4j.Transaction | None = None
        with self._errors("connect to"):
            self._driver = neo4j.GraphDatabase.driver(uri, auth=auth)
        # One bookmark manager for every session of this backend: on a cluster a read then sees every write this
        # backend committed before it (causal consistency), even though each call uses a new session.
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        try:
            with self._errors("connect to"):
                self._driver.verify_connectivity()
        except StoreError:
            self._driver.close()
            raise
        log.info("connected to %s (%s)", uri, self.server_agent)

    @property
    def server_agent(self) -> str:
        """What the server calls itself, e.g. ``Neo4j/5.26.0``."""
        with self._errors("query"):
            return self._driver.get_server_info().agent

    def ensure_schema(self) -> None:
        # Schema commands may not share a transaction with data writes on Neo4j: each runs on its own.
        for statement in SCHEMA:
            self.run(statement)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._tx is not None:  # nested: the outer block commits or rolls back
                yield
                return
            with self._errors("begin a transaction on"):
                session = self._session()
            try:
                with self._errors("begin a transaction on"):
                    self._tx = session.begin_transaction()
                try:
                    yield
                except BaseException:
                    self._rollback_quietly(self._tx)
                    raise
                with self._errors("commit on"):
                    self._tx.commit()
            finally:
                self._tx = None
                session.close()

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        with self._lock, self._errors("query"):
            if self._tx is not None:
                return _rows(self._tx.run(query, params or {}))
            with self._session() as session:
                return _rows(session.run(query, params or {}))

    def run_values(self, query: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
        rows = self.run(query, params)
        return (list(rows[0]) if rows else []), [list(row.values()) for row in rows]

    def run_read_only(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        with self._lock:
            if self._tx is not None:
                raise StoreError("a read-only query cannot run inside a write transaction")
            with self._errors("query"), self._session(neo4j.READ_ACCESS) as session:
                tx = session.begin_transaction()
                try:
                    result = tx.run(query, params or {})
                    rows = _rows(result)
                    counters = result.consume().counters
                    if counters.contains_updates or counters.contains_system_updates:
                        raise StoreError("a read-only query tried to write; it was rolled back")
                    return rows
                finally:
                    self._rollback_quietly(tx)  # a read changes nothing; rolling back keeps it that way

    def bulk_create_nodes(self, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        keys = list(rows[0])
        for name in (label, *keys):
            if not _NAME.fullmatch(name):
                raise StoreError(f"not a valid label or property name: {name!r}")
        props = ", ".join(f"{k}: r.{k}" for k in keys)
        return self._batched(label, f"UNWIND $rows AS r CREATE (:{label} {{{props}}}) RETURN count(*) AS total",
                             [{k: row.get(k) for k in keys} for row in rows])

    def bulk_create_facts(self, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        # Only the written fields travel: rows from kg.versions also carry names for the caller's use.
        return self._batched("FACT", _CREATE_FACTS, [{k: row.get(k) for k in _FACT_KEYS} for row in rows])

    def bulk_import_facts(self, rows: Sequence[tuple], *, valid_from: int, edit_id: str, author: str) -> int:
        return self.bulk_create_facts(_import_rows(rows, valid_from=valid_from, edit_id=edit_id, author=author))

    def close(self) -> None:
        with self._lock:
            self._driver.close()

    # -- internals -------------------------------------------------------------------------------------

    def _session(self, mode: str = neo4j.WRITE_ACCESS) -> neo4j.Session:
        return self._driver.session(database=self.database, default_access_mode=mode,
                                    bookmark_manager=self._bookmarks)

    def _batched(self, what: str, query: str, rows: list[Row]) -> int:
        """Run ``query`` over ``rows`` in chunks inside one transaction, checking every chunk's count."""
        total = 0
        with self.atomic():
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start:start + CHUNK]
                result = self.run(query, {"rows": chunk})
                written = result[0]["total"] if result else 0
                if written != len(chunk):
                    raise RowCountMismatch(
                        f"{what}: wrote {written} of {len(chunk)} rows; the transaction was rolled back")
                total += written
        return total

    @staticmethod
    def _rollback_quietly(tx: neo4j.Transaction | None) -> None:
        # After a failed statement the server has already ended the transaction; there is nothing to undo.
        if tx is None or tx.closed():
            return
        try:
            tx.rollback()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
            log.warning("rollback failed (the server discards the transaction anyway): %s", e)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn driver and server errors into StoreError; unreachable servers and bad logins name the URI."""
        try:
            yield
        except StoreError:
            raise
        except neo4j_errors.AuthError as e:
            raise StoreError(f"cannot {action} graph store {self.uri}: login refused ({e.message})") from e
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as e:
            raise StoreError(f"cannot {action} graph store {self.uri}: server unreachable ({e})") from e
        except neo4j_errors.Neo4jError as e:
            raise StoreError(f"{e.code}: {e.message}" if e.code else str(e)) from e
        except (neo4j_errors.DriverError, ValueError, TypeError) as e:
            # ValueError/TypeError: the driver refuses a malformed URI or a parameter it cannot send.
            raise StoreError(f"cannot {action} graph store {self.uri}: {e}") from e


def _import_rows(rows: Sequence[tuple], *, valid_from: int, edit_id: str, author: str) -> list[Row]:
    return [{"s": s, "o": o, "id": f"{valid_from}-{n}", "pred": pred, "valid_from": valid_from, "valid_to": None,
             "edit_id": edit_id, "author": author, "confidence": confidence, "source": source}
            for n, (s, _, pred, o, _, confidence, source) in enumerate(rows)]


def _rows(result: neo4j.Result) -> list[Row]:
    return [{k: _plain(v) for k, v in record.items()} for record in result]


def _plain(value: Any) -> Any:
    """Driver values as plain Python: nodes and relationships as property dicts, temporal values as ISO text."""
    if isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time.Date, Time, DateTime, Duration
        return value.iso_format()
    return value
