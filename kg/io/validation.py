"""Checks shared by every reader: a triple's parts are non-empty, printable text of sane length."""

from __future__ import annotations

import unicodedata

from pydantic import ValidationError

from kg.errors import ImportFailed
from kg.records import TripleIn


def make_triple(subject: str, relation: str, obj: str, *, line: int, path: str, confidence: str | None = None,
                source: str | None = None) -> TripleIn:
    """Build a validated triple or raise ImportFailed pointing at ``line``."""
    for part, value in (("subject", subject), ("relation", relation), ("object", obj)):
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t"), None)
        if bad is not None:
            raise ImportFailed(f"{part} contains the control character {bad!r}", line=line, path=path)
    try:
        return TripleIn(subject=subject.strip(), relation=relation.strip(), object=obj.strip(),
                        confidence=float(confidence) if confidence not in (None, "") else 1.0,
                        source=source or None)
    except (ValidationError, ValueError) as e:
        raise ImportFailed(_first_error(e), line=line, path=path) from e


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(error)
