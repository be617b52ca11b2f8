"""What the guard reads from an edit: the text, its sentences, and each triple as a sentence and part by part."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kg.errors import InvalidInput

#: Triple parts this short are names: the classifier, which reads meaning from sentences and is noisy on bare
#: names, acts on them only at its refuse threshold (the lexicon applies as everywhere).
NAME_WORDS, NAME_CHARS = 3, 40
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*|\n+")  # ".bs" and "3.5" stay whole


@dataclass(frozen=True)
class CheckedText:
    """One text the guard checks. ``name`` marks a short triple part (an entity or relation name)."""

    text: str
    name: bool = False


def checked_texts(text: str | None, triples: Sequence[tuple[str, str, str]], *,
                  max_chars: int) -> list[CheckedText]:
    """The distinct, non-blank texts to check, in order.

    A text is checked whole and, when it has several sentences, sentence by sentence (the embedder reads only
    the first ~256 tokens). A triple ``(s, r, o)`` is checked as ``"s r o"`` (underscores in ``r`` as spaces)
    and as each of ``s``, ``r`` and ``o`` alone; a part of at most ``NAME_WORDS`` words is a ``name``.

    Raises:
        InvalidInput: ``text`` is not a string or a triple is not three strings.

    >>> [(c.text, c.name) for c in checked_texts(None, [("France", "capital_of", "Rome")], max_chars=100)]
    [('France capital of Rome', False), ('France', True), ('capital of', True), ('Rome', True)]
    """
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"guard: text must be a string, not {type(text).__name__}")
    out: list[CheckedText] = []
    if text and text.strip():
        whole = text.strip()[:max_chars]
        sentences = [p.strip() for p in _SENTENCE_END.split(whole) if p and p.strip()]
        out += [CheckedText(t) for t in [whole, *(sentences if len(sentences) > 1 else [])]]
    for triple in triples:
        sentence, *parts = _triple_texts(triple, max_chars)
        out += [CheckedText(sentence), *(CheckedText(p, _is_name(p)) for p in parts)]
    seen: dict[str, CheckedText] = {}
    for c in out:
        if c.text and (c.text not in seen or not c.name):  # a text that is also a sentence is not a name
            seen[c.text] = c
    return list(seen.values())


def _is_name(part: str) -> bool:
    return len(part.split()) <= NAME_WORDS and len(part) <= NAME_CHARS


def _triple_texts(triple: Sequence[str], max_chars: int) -> list[str]:
    if isinstance(triple, str) or len(triple) != 3 or not all(isinstance(p, str) for p in triple):
        raise InvalidInput(f"guard: a triple must be three strings (subject, relation, object), got {triple!r}")
    s, r, o = (" ".join(p.replace("_", " ").split())[:max_chars] for p in triple)
    return [" ".join(p for p in (s, r, o) if p), s, r, o]
