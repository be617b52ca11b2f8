"""Entity mentions: trim what a frame captured to the name itself, then link it to an existing KG entity
(exact name or alias, a clear typo, an embedding) or declare it a new entity. Near misses and ties are not
guessed: they come back with candidates for a clarification."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from interpreter.entities import EntityCandidate, EntityIndex
from interpreter.settings import InterpreterSettings
from interpreter.types import Candidate, EntityRef, Lang, Span
from kg.ids import entity_id

_EN_LEAD = re.compile(r"^(?:(?:now|currently|presently|still|also|actually|officially|that|just)\s+)+", re.I)
_EN_TAIL = re.compile(r"(?:\s+(?:now|anymore|any\s+more|these\s+days|nowadays|today|again|instead|currently"
                      r"|from\s+now\s+on|as\s+well|too))+$", re.I)
_ZH_LEAD = re.compile(r"^(?:现在|目前|如今|已经|已|当前|现任|最近)+")
_ZH_TAIL = re.compile(r"(?:了|啦|呢|吧|啊|吗|呀|的)+$")
_WRAPPERS = "\"'“”‘’《》「」『』()（）[]【】<>"
_EDGE_PUNCT = ".,;:!?。，；：！？、…-— \t\n"
# A copula or a relative clause inside a "name" means the frame split the sentence in the wrong place
# ("the country that borders Spain" is a description to query, not an entity).
_EN_INVALID = re.compile(r"\b(?:is|are|was|were|no\s+longer|that|which|whose)\b"
                         r"|^(?:what|who|whom|where|which|when|why|how|does|did|do|can|could|would|will|should)\s"
                         r"|^(?:what|who|whom|where|which|when|why|how|does|did|do"
                         r"|it|he|she|they|this|that|these|those|him|her|them|i|you|we|me|us|there|here)$", re.I)
_ZH_INVALID = re.compile(r"是|不再|^(?:它|他|她|他们|她们|它们|这|那|这个|那个|我|你|您|我们|你们|谁|什么|哪里)$")
_ARTICLE = re.compile(r"^the\s+", re.I)
_MAX_CHARS = 80
_MAX_WORDS = 10
_NEW_ENTITY = 0.9  # confidence factor of a mention that links to nothing known (when an index exists)


def trim_mention(text: str, start: int, end: int, lang: Lang) -> tuple[int, int] | None:
    """Narrow ``text[start:end]`` to the entity name; None when what is left cannot be a name.

    >>> text = "the capital of France is now Paris!"
    >>> trim_mention(text, 25, 35, "en")
    (29, 34)
    """
    prev = None
    while prev != (start, end):
        prev = (start, end)
        start, end = _strip_chars(text, start, end)
        start, end = _strip_words(text, start, end, lang)
    mention = text[start:end]
    if not mention or len(mention) > _MAX_CHARS or not any(ch.isalnum() for ch in mention):
        return None
    invalid = _EN_INVALID if lang == "en" else _ZH_INVALID
    if invalid.search(mention) or (lang == "en" and len(mention.split()) > _MAX_WORDS):
        return None
    return start, end


def _strip_chars(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start] in _EDGE_PUNCT or text[start] in _WRAPPERS):
        start += 1
    while end > start and (text[end - 1] in _EDGE_PUNCT or text[end - 1] in _WRAPPERS):
        end -= 1
    return start, end


def _strip_words(text: str, start: int, end: int, lang: Lang) -> tuple[int, int]:
    lead, tail = (_EN_LEAD, _EN_TAIL) if lang == "en" else (_ZH_LEAD, _ZH_TAIL)
    mention = text[start:end]
    head = lead.match(mention)
    if head and head.end() < len(mention):
        start += head.end()
    foot = tail.search(text[start:end])
    if foot and foot.start() > 0:
        end = start + foot.start()
    return start, end


@dataclass(frozen=True)
class EntityMatch:
    """A linked or new entity (``ref``), or the candidates to ask about (``reason`` says why)."""

    ref: EntityRef | None
    candidates: tuple[Candidate, ...] = ()
    reason: Literal["ambiguous", "low_confidence"] | None = None

    @property
    def factor(self) -> float:
        """How much this mention lowers an intent's confidence."""
        return self.ref.score if self.ref is not None else 0.0


class EntityLinker:
    """Links mentions through an :class:`EntityIndex`; without one every mention is a new entity."""

    def __init__(self, index: EntityIndex | None, settings: InterpreterSettings):
        self._index = index
        self._settings = settings

    def link(self, mention: str, span: Span | None) -> EntityMatch | None:
        """Link ``mention``; None when it has no letters or digits to make an id from."""
        bare = _ARTICLE.sub("", mention).strip() or mention
        if self._index is None:
            return _new(mention, bare, span, scored=False)
        candidates = self._lookup(self._index, mention, bare)
        exact = {c.id: c for c in candidates if c.method == "exact" and c.score >= 1.0}
        if len(exact) == 1:
            found = next(iter(exact.values()))
            return EntityMatch(EntityRef(text=mention, id=found.id, linked=True, score=1.0, span=span))
        if len(exact) > 1:
            return EntityMatch(None, _as_candidates(exact.values(), self._settings), "ambiguous")
        return self._near(mention, bare, span, candidates)

    def _lookup(self, index: EntityIndex, mention: str, bare: str) -> list[EntityCandidate]:
        # "the United Kingdom" is stored as "United Kingdom" (the common case, tried first); "The Hague" as
        # written. The second lookup only runs when the first found no exact match.
        limit = self._settings.max_candidates + 2
        found = index.lookup(bare, limit=limit)
        if bare != mention and not any(c.method == "exact" for c in found):
            as_written = index.lookup(mention, limit=limit)
            found = as_written if any(c.method == "exact" for c in as_written) else (found or as_written)
        return found

    def _near(self, mention: str, bare: str, span: Span | None,
              candidates: list[EntityCandidate]) -> EntityMatch | None:
        settings = self._settings
        if not candidates or candidates[0].score < settings.entity_clarify:
            return _new(mention, bare, span, scored=True)
        best = candidates[0]
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if best.score >= settings.entity_accept and best.score - runner_up >= _TIE_ENTITY:
            return EntityMatch(EntityRef(text=mention, id=best.id, linked=True, score=best.score, span=span))
        return EntityMatch(None, _as_candidates(candidates, settings), "low_confidence")


_TIE_ENTITY = 0.05


def _new(mention: str, bare: str, span: Span | None, *, scored: bool) -> EntityMatch | None:
    try:
        key = entity_id(bare)
    except ValueError:
        return None
    return EntityMatch(EntityRef(text=mention, id=key, linked=False, score=_NEW_ENTITY if scored else 1.0, span=span))


def _as_candidates(found: Iterable[EntityCandidate], settings: InterpreterSettings) -> tuple[Candidate, ...]:
    ranked = sorted(found, key=lambda c: (-c.score, c.id))[: settings.max_candidates]
    return tuple(Candidate(name=c.id, label=c.name, score=c.score) for c in ranked)
