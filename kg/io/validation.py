"""Checks shared by every reader: a triple's parts are non-empty, printable text of sane length.

Bulk imports run this once per line, so it checks by hand and builds the record without re-validating it.
"""

from __future__ import annotations

import re

from kg.errors import ImportFailed
from kg.records import TripleRow

# C0/C1 control characters (tab allowed) and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_LIMITS = {"subject": 1000, "relation": 200, "object": 1000}


def make_triple(subject: str, relation: str, obj: str, *, line: int, path: str, confidence: str | None = None,
                source: str | None = None) -> TripleRow:
    """Build a checked triple or raise ImportFailed pointing at ``line``."""
    subject, relation, obj = subject.strip(), relation.strip(), obj.strip()
    if not (subject and relation and obj) or len(subject) > 1000 or len(obj) > 1000 or len(relation) > 200 \
            or _CONTROL.search(subject) or _CONTROL.search(relation) or _CONTROL.search(obj):
        _explain(subject, relation, obj, line=line, path=path)
    return TripleRow(subject, relation, obj, _confidence(confidence, line, path), source or None)


def _explain(subject: str, relation: str, obj: str, *, line: int, path: str) -> None:
    """Raise the precise error for a triple that failed the fast check."""
    for name, value in (("subject", subject), ("relation", relation), ("object", obj)):
        if not value:
            raise ImportFailed(f"{name} is empty", line=line, path=path)
        if len(value) > _LIMITS[name]:
            raise ImportFailed(f"{name} is longer than {_LIMITS[name]} characters", line=line, path=path)
        bad = _CONTROL.search(value)
        if bad:
            raise ImportFailed(f"{name} contains the control character {bad.group(0)!r}", line=line, path=path)


def _confidence(value: str | None, line: int, path: str) -> float:
    if value is None or not value.strip():
        return 1.0
    try:
        number = float(value)
    except ValueError:
        raise ImportFailed(f"confidence {value!r} is not a number", line=line, path=path) from None
    if not 0.0 <= number <= 1.0:
        raise ImportFailed(f"confidence {number} is outside 0..1", line=line, path=path)
    return number
