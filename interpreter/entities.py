"""Entity lookup: the small protocol the KG implements, and an in-memory implementation of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interpreter.embedder import Embedder, cosine_top
from interpreter.similarity import phrase_key, typo_similarity
from interpreter.text import is_cjk

_FUZZY_FLOOR = 0.7  # below this a spelling match is noise, not a candidate


class EntityCandidate(BaseModel):
    """An existing entity a mention may refer to."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    score: float = Field(ge=0.0, le=1.0)
    method: Literal["exact", "fuzzy", "embedding"]


class EntityRecord(BaseModel):
    """What an index needs to know about one entity."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@runtime_checkable
class EntityIndex(Protocol):
    """Finds existing KG entities for a mention; best first. Exact name/alias matches score 1.0."""

    def lookup(self, name: str, *, limit: int = 5) -> list[EntityCandidate]: ...


class InMemoryEntityIndex:
    """An :class:`EntityIndex` over a list of entities: exact name/alias, then spelling, then (when an
    embedder is given) embedding similarity.

    >>> index = InMemoryEntityIndex([("united_kingdom", "United Kingdom", ["UK", "英国"])])
    >>> [(c.id, c.method) for c in index.lookup("uk")]
    [('united_kingdom', 'exact')]
    >>> [(c.id, c.method) for c in index.lookup("United Kingdon")]
    [('united_kingdom', 'fuzzy')]
    """

    def __init__(
        self,
        entities: Iterable[EntityRecord | tuple[str, str, Sequence[str]]],
        *,
        embedder: Embedder | None = None,
    ):
        self._records = [e if isinstance(e, EntityRecord) else EntityRecord(id=e[0], name=e[1], aliases=tuple(e[2]))
                         for e in entities]
        self._by_key: dict[str, set[int]] = {}
        for i, record in enumerate(self._records):
            for form in (record.name, record.id, *record.aliases):
                self._by_key.setdefault(phrase_key(form), set()).add(i)
        self._by_key.pop("", None)
        self._embedder = embedder
        self._vectors: np.ndarray | None = None
        self._vector_owner: list[int] = []

    def __len__(self) -> int:
        return len(self._records)

    def lookup(self, name: str, *, limit: int = 5) -> list[EntityCandidate]:
        """Candidates for ``name``, best first, at most ``limit``, one per entity."""
        key = phrase_key(name)
        if not key:
            return []
        best: dict[int, EntityCandidate] = {}
        for i in self._by_key.get(key, ()):
            best[i] = self._candidate(i, 1.0, "exact")
        if not best:
            self._add_fuzzy(key, best)
            self._add_embedded(name, best)
        return sorted(best.values(), key=lambda c: (-c.score, c.id))[:limit]

    def _candidate(self, i: int, score: float, method: str) -> EntityCandidate:
        record = self._records[i]
        return EntityCandidate(id=record.id, name=record.name, score=round(min(score, 1.0), 4), method=method)

    def _add_fuzzy(self, key: str, best: dict[int, EntityCandidate]) -> None:
        for form, owners in self._by_key.items():
            score = typo_similarity(key, form)
            if score < _FUZZY_FLOOR:
                continue
            for i in owners:
                if i not in best or best[i].score < score:
                    best[i] = self._candidate(i, score, "fuzzy")

    def _add_embedded(self, name: str, best: dict[int, EntityCandidate]) -> None:
        # MiniLM is English-only: Chinese names embed as unknown tokens and would all look alike.
        if self._embedder is None or not self._records or any(is_cjk(ch) for ch in name):
            return
        scores = cosine_top(self._embedder.encode([name])[0], self._matrix(self._embedder))
        for row in np.argsort(-scores)[:5]:
            i, score = self._vector_owner[row], float(scores[row])
            if score >= _FUZZY_FLOOR and (i not in best or best[i].score < score):
                best[i] = self._candidate(i, score, "embedding")

    def _matrix(self, embedder: Embedder) -> np.ndarray:
        # Embedded once, on the first lookup that needs it.
        if self._vectors is None:
            forms = [(i, form) for i, r in enumerate(self._records) for form in (r.name, *r.aliases)
                     if not any(is_cjk(ch) for ch in form)]
            self._vector_owner = [i for i, _ in forms]
            self._vectors = embedder.encode([form for _, form in forms])
        return self._vectors
