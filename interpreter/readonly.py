"""The read-only check on every query the interpreter emits: the store's own check (:mod:`kg.cypher_guard`),
raising the interpreter's :class:`~interpreter.errors.UnsafeQuery`."""

from __future__ import annotations

from interpreter.errors import UnsafeQuery
from kg.cypher_guard import write_clauses


def write_keywords(cypher: str) -> list[str]:
    """The write keywords ``cypher`` uses (see :func:`kg.cypher_guard.write_clauses`)."""
    return write_clauses(cypher)


def is_read_only(cypher: str) -> bool:
    """True when ``cypher`` contains no write clause.

    >>> is_read_only("MATCH (n:Entity) WHERE n.name = 'CREATE me' RETURN n // DELETE")
    True
    >>> is_read_only("MATCH (n) DETACH DELETE n")
    False
    """
    return not write_clauses(cypher)


def ensure_read_only(cypher: str) -> str:
    """Return ``cypher`` unchanged if it is read-only.

    Raises:
        UnsafeQuery: it contains a write clause (named in the error).
    """
    found = write_clauses(cypher)
    if found:
        raise UnsafeQuery(cypher, found)
    return cypher
