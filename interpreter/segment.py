"""Split a message into clauses that each carry one intent.

Sentence punctuation gives candidate pieces; pieces joined by semicolons are merged when together they read as
one intent ("X is no longer PM; it is Y"), longest first. A piece no frame reads is tried once more split at
conjunctions ("undo my last edit and tell me ..."), and kept whole unless every part reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from interpreter.text import is_cjk
from interpreter.types import Lang

T = TypeVar("T")
Bounds = tuple[int, int]
MAX_MERGE = 3  # pieces merged into one clause at most
MAX_PARTS = 8  # conjunction parts tried in one piece at most

_SENTENCE_END = re.compile(r"[.!?;。\n]+")
_LAST_WORD = re.compile(r"[\w.]+$")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc",
                            "no", "prof", "gen", "mt", "ft", "u.s", "u.k", "e.g", "i.e"})
_CONJUNCTIONS = {
    "en": re.compile(r"\s*,?\s+(?:and\s+then|and|then|also|plus|but)\s+|\s*,\s+", re.IGNORECASE),
    "zh": re.compile(r"[,，]?(?:然后|并且|而且|另外|同时|还有|以及|再)|[,，;]"),
}


@dataclass(frozen=True)
class Clause(Generic[T]):
    """A piece of the message (bounds in the matching copy) and its reading; ``reading`` None = unread."""

    start: int
    end: int
    reading: T | None


def sentence_pieces(text: str) -> list[Bounds]:
    """Pieces of ``text`` ending at sentence punctuation (kept with the piece)."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _is_boundary(text, match):
            pieces.append((start, match.end()))
            start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    return [(s, e) for s, e in (_strip(text, s, e) for s, e in pieces) if e > s]


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group(0) != ".":
        return True
    nxt = text[match.end():].lstrip()[:1]
    found = _LAST_WORD.search(text, max(0, match.start() - 40), match.start())  # a bounded look back
    word = found.group(0).casefold() if found else ""
    if not nxt or len(word) == 1 or word in _ABBREVIATIONS:
        return False  # "J. K. Rowling", "Dr. Who", or the end of the text
    return nxt.isupper() or nxt.isdigit() or is_cjk(nxt) or nxt in "\"'"


def _strip(text: str, start: int, end: int) -> Bounds:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def segment(text: str, lang: Lang, read: Callable[[int, int], T | None]) -> list[Clause[T]]:
    """Cover ``text`` with clauses, each read by ``read(start, end)`` (None = no reading)."""
    clauses: list[Clause[T]] = []
    for piece in _merge(text, sentence_pieces(text), read):
        if piece.reading is not None:
            clauses.append(piece)
        else:
            clauses.extend(_split_conjunctions(text, lang, piece, read))
    return clauses


def _merge(text: str, pieces: list[Bounds], read: Callable[[int, int], T | None]) -> list[Clause[T]]:
    out: list[Clause[T]] = []
    i = 0
    while i < len(pieces):
        for j in range(_merge_limit(text, pieces, i), i, -1):
            reading = read(pieces[i][0], pieces[j - 1][1])
            if reading is not None:
                out.append(Clause(pieces[i][0], pieces[j - 1][1], reading))
                i = j
                break
        else:
            out.append(Clause(pieces[i][0], pieces[i][1], None))
            i += 1
    return out


def _merge_limit(text: str, pieces: list[Bounds], i: int) -> int:
    """How far piece ``i`` may merge: across semicolons only ("... no longer PM; it is Y"), never across a
    full stop, so a long message costs one parse per sentence."""
    j = i + 1
    while j < min(len(pieces), i + MAX_MERGE) and text[pieces[j - 1][1] - 1] == ";":
        j += 1
    return j


def _split_conjunctions(text: str, lang: Lang, piece: Clause[T], read: Callable[[int, int], T | None]) -> list[Clause[T]]:
    cuts = [m for m in _CONJUNCTIONS[lang].finditer(text, piece.start, piece.end) if m.start() > piece.start]
    if not cuts or len(cuts) >= MAX_PARTS:
        return [piece]  # a run-on paragraph is not a list of requests: leave it whole
    bounds, start = [], piece.start
    for cut in cuts:
        bounds.append(_strip(text, start, cut.start()))
        start = cut.end()
    bounds.append(_strip(text, start, piece.end))
    parts = _merge(text, [b for b in bounds if b[1] > b[0]], read)
    return parts if all(p.reading is not None for p in parts) else [piece]
