"""Read-only checking of Cypher text, shared by the store (user queries) and the interpreter (generated ones).

A lexical check gives callers a clear error naming the clause: keywords outside string literals, back-quoted
names and comments. It is deliberately conservative: namespaced calls (``apoc.create.node(...)``) and
unterminated literals are refused too, because they can hide writes. It is the first line only: read-only
queries also run in a read-only store transaction, so a write the lexer misses is still refused by the store.
"""

from __future__ import annotations

import re

from kg.errors import ReadOnlyQuery

WRITE_KEYWORDS = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "LOAD", "COPY", "FOREACH", "CALL",
    "ALTER", "INSTALL", "IMPORT", "EXPORT", "ATTACH", "USE", "GRANT", "REVOKE", "DENY", "TRUNCATE", "RENAME",
    "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT", "START", "STOP", "TERMINATE", "INSERT", "UPDATE", "UPSERT",
})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMESPACED_CALL = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)+\s*\(")
_CLOSERS = {"'": "'", '"': '"', "`": "`"}


def _is_name(code: str, start: int, end: int) -> bool:
    """A word right after ``.``, ``$`` or ``:`` (property, parameter, label) or before ``:`` (a map key)."""
    before = code[:start].rstrip()[-1:]
    after = code[end:].lstrip()[:1]
    return before in {".", "$", ":"} or after == ":"


def _blank_inert(cypher: str) -> tuple[str, bool]:
    """Replace literals, back-quoted names and comments by spaces. Returns (code, every literal closed)."""
    out: list[str] = []
    i, n = 0, len(cypher)
    while i < n:
        ch, two = cypher[i], cypher[i:i + 2]
        if two in ("//", "/*"):
            end = cypher.find("\n", i) if two == "//" else cypher.find("*/", i + 2)
            if end < 0 and two == "/*":
                return "".join(out), False
            i = n if end < 0 else end + (0 if two == "//" else 2)
        elif ch in _CLOSERS:
            end = _literal_end(cypher, i)
            if end < 0:
                return "".join(out), False
            i = end + 1
        else:
            out.append(ch)
            i += 1
            continue
        out.append(" ")
    return "".join(out), True


def _literal_end(cypher: str, start: int) -> int:
    """Index of the quote closing the literal opened at ``start``, or -1."""
    quote, i = cypher[start], start + 1
    while i < len(cypher):
        if cypher[i] == "\\" and quote != "`":
            i += 2
            continue
        if cypher[i] == quote:
            if quote == "`" and cypher[i + 1:i + 2] == "`":  # `` inside a back-quoted name
                i += 2
                continue
            return i
        i += 1
    return -1


def write_clauses(query: str) -> list[str]:
    """The write keywords a query uses, upper case, in order, without repeats (``UNTERMINATED`` and
    ``NAMESPACED CALL`` stand for an unclosed literal or comment and a ``ns.fn(...)`` call).

    >>> write_clauses("MATCH (n) WHERE n.name = 'CREATE' RETURN n")
    []
    >>> write_clauses("MATCH (n) SET n.x = 1 // CREATE")
    ['SET']
    """
    code, closed = _blank_inert(query)
    found: list[str] = [] if closed else ["UNTERMINATED"]
    for match in _WORD.finditer(code):
        word = match.group(0).upper()
        if word in WRITE_KEYWORDS and not _is_name(code, match.start(), match.end()) and word not in found:
            found.append(word)
    if _NAMESPACED_CALL.search(code):
        found.append("NAMESPACED CALL")
    return found


def check_read_only(query: str) -> None:
    """Raise :class:`ReadOnlyQuery` if the query contains a write clause.

    Raises:
        ReadOnlyQuery: naming the clauses found.
    """
    clauses = write_clauses(query)
    if clauses:
        raise ReadOnlyQuery(f"query is read-only but uses {', '.join(clauses)}; ask for write access to run it")
