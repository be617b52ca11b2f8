"""What the guard reads from an edit: the text, its sentences, and each triple as a sentence and part by part."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.errors import InvalidInput

_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s*|\n+")


def checked_texts(text: str | None, triples: Sequence[tuple[str, str, str]], *, max_chars: int) -> list[str]:
    """The distinct, non-blank texts to check, in order.

    A text is checked whole and, when it has several sentences, sentence by sentence (the embedder reads only
    the first ~256 tokens). A triple ``(s, r, o)`` is checked as ``"s r o"`` (underscores in ``r`` as spaces)
    and as each of ``s``, ``r`` and ``o`` alone.

    Raises:
        InvalidInput: ``text`` is not a string or a triple is not three strings.

    >>> checked_texts(None, [("France", "capital_of", "Rome")], max_chars=100)
    ['France capital of Rome', 'France', 'capital of', 'Rome']
    """
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"guard: text must be a string, not {type(text).__name__}")
    out: list[str] = []
    if text and text.strip():
        whole = text.strip()[:max_chars]
        out.append(whole)
        parts = [p.strip() for p in _SENTENCE_END.split(whole) if p and p.strip()]
        out.extend(parts if len(parts) > 1 else [])
    for triple in triples:
        out.extend(_triple_texts(triple, max_chars))
    return [t for t in dict.fromkeys(out) if t]


def _triple_texts(triple: Sequence[str], max_chars: int) -> list[str]:
    if isinstance(triple, str) or len(triple) != 3 or not all(isinstance(p, str) for p in triple):
        raise InvalidInput(f"guard: a triple must be three strings (subject, relation, object), got {triple!r}")
    s, r, o = (" ".join(p.replace("_", " ").split())[:max_chars] for p in triple)
    return [" ".join(p for p in (s, r, o) if p), s, r, o]
