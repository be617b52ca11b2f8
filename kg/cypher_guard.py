"""Read-only checking of Cypher text.

A lexical check (keywords outside string literals, comments and back-quoted names) gives callers a clear
error naming the clause. It is the first line only: read-only queries also run in a read-only store
transaction, so a write the lexer misses is still refused by the store.
"""

from __future__ import annotations

import re

from kg.errors import ReadOnlyQuery

WRITE_KEYWORDS = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "COPY", "LOAD", "INSTALL",
    "ATTACH", "DETACH", "IMPORT", "EXPORT", "FOREACH", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "USE",
    "TRUNCATE", "RENAME", "GRANT", "REVOKE", "DENY",
})

# String literals, back-quoted identifiers and comments, which may contain keyword-like words harmlessly.
_INERT = re.compile(
    r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""",
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words followed by "(" are function calls (e.g. a user function named set_x is fine; `exists(` too).
_CALL = re.compile(r"\bCALL\b", re.IGNORECASE)


def write_clauses(query: str) -> list[str]:
    """Return the write keywords a query uses (upper case, in order of appearance, without repeats).

    >>> write_clauses("MATCH (n) WHERE n.name = 'CREATE' RETURN n")
    []
    >>> write_clauses("MATCH (n) SET n.x = 1 // CREATE")
    ['SET']
    """
    code = _INERT.sub(" ", query)
    found: list[str] = []
    for match in _WORD.finditer(code):
        word = match.group(0).upper()
        before = code[match.start() - 1] if match.start() else " "
        if word in WRITE_KEYWORDS and before not in ".$" and word not in found:
            found.append(word)
    if _CALL.search(code) and "CALL" not in found:
        found.append("CALL")  # procedures may write; only known read-only ones pass (none yet)
    return found


def check_read_only(query: str) -> None:
    """Raise :class:`ReadOnlyQuery` if the query contains a write clause.

    Raises:
        ReadOnlyQuery: naming the clauses found.
    """
    clauses = write_clauses(query)
    if clauses:
        raise ReadOnlyQuery(
            f"query is read-only but uses {', '.join(clauses)}; ask for write access to run it"
        )
