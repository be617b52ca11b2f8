"""The small interface every graph store backend implements.

The versioned graph (``kg.store``) holds all version logic and speaks only to this interface, in the Cypher
subset that runs on every backend. A backend adds transactions, bulk loading and its dialect's quirks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

Row = dict[str, Any]


class GraphBackend(Protocol):
    """A Cypher graph database with explicit transactions."""

    #: Human-readable name ("ladybug", "neo4j").
    name: str
    #: Whether a pattern may bind the same relationship twice (walks, LadybugDB) or never does (Neo4j).
    matches_walks: bool

    def ensure_schema(self) -> None:
        """Create node/relationship tables, constraints and indexes if missing (idempotent)."""

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One write transaction: commit when the block ends, roll back and re-raise on any exception.

        Nested use joins the outer transaction.
        """
        yield

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run one statement (inside the current transaction if any) and return rows as dicts."""
        ...

    def run_values(self, query: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
        """:meth:`run` as column names and one list of values per row: no dict per row, for reads of many rows."""
        ...

    def run_read_only(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run one statement in a read-only transaction: the store refuses any write."""
        ...

    def bulk_create_facts(self, rows: Sequence[Row]) -> int:
        """Create many FACT relationships between existing entities; returns the number created."""
        ...

    def bulk_import_facts(self, rows: Sequence[tuple], *, valid_from: int, edit_id: str, author: str) -> int:
        """Create the FACT relationships of an import between existing entities; returns the number created.

        ``rows`` are ``(s, s_name, pred, o, o_name, confidence, source)`` tuples (``kg.versions.IMPORT_ROW``);
        row ``n`` gets the id ``"<valid_from>-<n>"``, ``valid_to`` null and the given ``edit_id`` and ``author``.
        """
        ...

    def bulk_create_nodes(self, label: str, rows: Sequence[Row]) -> int:
        """Create many nodes of a label whose keys do not exist yet; returns the number created."""
        ...

    def close(self) -> None:
        """Release the store (file locks, connections)."""
