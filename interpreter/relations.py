"""Relation normalisation: a phrase as written ("chief executive", "首相", "capitl") to a schema relation.

Exact names and aliases first, then spelling (typos), then sentence embeddings. Anything short of a clear
winner comes back as ``ambiguous``/``low``/``unknown`` with the nearest candidates, so the caller can ask.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from interpreter.embedder import Embedder, cosine_top
from interpreter.settings import InterpreterSettings
from interpreter.similarity import phrase_key, typo_similarity
from interpreter.text import is_cjk
from interpreter.types import Candidate, RelationRef, Span

if TYPE_CHECKING:
    from kg.schema import RelationSchema

Status = Literal["resolved", "ambiguous", "low", "unknown"]
Method = Literal["name", "alias", "fuzzy", "embedding"]
_MODIFIERS = re.compile(r"^(?:(?:the|a|an|its|their|his|her|new|current|present|incumbent|actual)\s+)+|^(?:新任|新的|新|现任|当前的|目前的|的)+",
                        re.IGNORECASE)
_TIE = 0.02  # two relations this close in score are a tie


@dataclass(frozen=True)
class RelationMatch:
    """The outcome of matching one phrase; ``ref`` is set only when ``status`` is ``resolved``."""

    status: Status
    ref: RelationRef | None
    candidates: tuple[Candidate, ...] = ()


class RelationMatcher:
    """Matches relation phrases against one schema. The embedder is fetched lazily, on the first phrase that
    neither an alias nor a spelling match resolves."""

    def __init__(self, schema: RelationSchema, *, settings: InterpreterSettings,
                 embedder: Callable[[], Embedder | None], verbs: Iterable[Mapping[str, frozenset[str]]] = ()):
        self._settings = settings
        self._embedder = embedder
        self._names = {phrase_key(r.name): r.name for r in schema}
        self._order = {r.name: i for i, r in enumerate(schema)}
        self._inverse = {r.name: r.inverse for r in schema if r.inverse and r.inverse != r.name}
        self._phrases: dict[str, set[str]] = {}
        for relation in schema:
            for phrase in (relation.name, *relation.aliases):
                self._phrases.setdefault(phrase_key(phrase), set()).add(relation.name)
        self._verbs: dict[str, set[str]] = {}
        for table in verbs:
            for phrase, names in table.items():
                self._verbs.setdefault(phrase_key(phrase), set()).update(names)
        self._matrix: np.ndarray | None = None
        self._matrix_owner: list[str] = []

    def mentioned(self, text: str) -> list[str]:
        """Relations whose name, alias or verb phrase occurs in ``text`` (a hint list for the LLM prompt)."""
        folded = f" {phrase_key(text)} "
        found: dict[str, None] = {}
        for table in (self._phrases, self._verbs):
            for key, names in table.items():
                needle = key if any(is_cjk(ch) for ch in key) else f" {key} "
                if needle in folded:
                    found.update(dict.fromkeys(sorted(names)))
        return list(found)

    def fixed(self, name: str, text: str, span: Span | None) -> RelationMatch:
        """The match of a template frame, whose relation is known."""
        return RelationMatch("resolved", RelationRef(text=text, name=name, score=1.0, method="template", span=span))

    def match(self, phrase: str, span: Span | None = None) -> RelationMatch:
        """Resolve ``phrase``; see the module docstring for the order of evidence."""
        keys = _variants(phrase)
        if not keys:
            return RelationMatch("unknown", None, ())
        exact = self._exact(phrase, keys, span)
        if exact is not None:
            return exact
        spelling = self._spelling_scores(keys)
        if spelling and max(spelling.values()) >= self._settings.fuzzy_min:
            return self._decide(phrase, spelling, "fuzzy", span)
        embedded = self._embedded(phrase, span)
        if embedded.candidates or not spelling:
            return embedded
        # No embedder: the nearest spellings are the best candidates we have to offer.
        return RelationMatch("unknown", None, self._candidates(_ranked(spelling)))

    def _exact(self, phrase: str, keys: list[str], span: Span | None) -> RelationMatch | None:
        for key in keys:
            names = self._phrases.get(key) or self._verbs.get(key)
            if names:
                return self._decide(phrase, {n: 1.0 for n in names}, "name" if key in self._names else "alias", span)
        return None

    def _spelling_scores(self, keys: list[str]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for table in (self._phrases, self._verbs):
            for known, names in table.items():
                score = max(typo_similarity(key, known) for key in keys)
                for name in names:
                    scores[name] = max(scores.get(name, 0.0), score)
        return {name: score for name, score in scores.items() if score > 0.0}

    def _embedded(self, phrase: str, span: Span | None) -> RelationMatch:
        if any(is_cjk(ch) for ch in phrase):
            return RelationMatch("unknown", None, ())  # MiniLM is English-only: Chinese text embeds as [UNK]s
        scores = self._embedding_scores(phrase)
        if not scores:
            return RelationMatch("unknown", None, ())
        settings = self._settings
        ranked = self._merge_inverse_pair(_ranked(scores))
        top, runner_up = ranked[0][1], (ranked[1][1] if len(ranked) > 1 else 0.0)
        if top >= settings.relation_accept and top - runner_up >= settings.relation_margin:
            return self._decide(phrase, dict(ranked[:1]), "embedding", span)
        status: Status = "low" if top >= settings.relation_clarify else "unknown"
        return RelationMatch(status, None, self._candidates(ranked))

    def _merge_inverse_pair(self, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """When the two best are a relation and its inverse, keep the one listed first.

        Their phrases differ by little more than "of" ("chief executive" / "chief executive of"), so an
        embedding cannot tell them apart; a noun phrase in a frame ("the R of S", "S's R") always means the
        forward relation, which the schema lists first.
        """
        if len(ranked) < 2 or self._inverse.get(ranked[0][0]) != ranked[1][0]:
            return ranked
        first, second = ranked[0], ranked[1]
        keep = first if self._order[first[0]] < self._order[second[0]] else second
        return [(keep[0], first[1]), *ranked[2:]]

    def _decide(self, phrase: str, scores: dict[str, float], method: Method, span: Span | None) -> RelationMatch:
        ranked = _ranked(scores)
        best, score = ranked[0]
        if len(ranked) > 1 and score - ranked[1][1] < _TIE:
            return RelationMatch("ambiguous", None, self._candidates(ranked))
        ref = RelationRef(text=phrase, name=best, score=round(score, 4), method=method, span=span)
        return RelationMatch("resolved", ref, self._candidates(ranked))

    def _candidates(self, ranked: list[tuple[str, float]]) -> tuple[Candidate, ...]:
        top = ranked[: self._settings.max_candidates]
        return tuple(Candidate(name=n, label=n.replace("_", " "), score=round(min(s, 1.0), 4)) for n, s in top)

    def _embedding_scores(self, phrase: str) -> dict[str, float]:
        embedder = self._embedder()
        if embedder is None:
            return {}
        matrix = self._phrase_matrix(embedder)
        sims = cosine_top(embedder.encode([phrase])[0], matrix)
        scores: dict[str, float] = {}
        for owner, sim in zip(self._matrix_owner, sims.tolist()):
            scores[owner] = max(scores.get(owner, 0.0), sim)
        return scores

    def _phrase_matrix(self, embedder: Embedder) -> np.ndarray:
        if self._matrix is None:  # embedded once per matcher, on first need
            pairs = [(name, key) for key, names in self._phrases.items() for name in names
                     if not any(is_cjk(ch) for ch in key)]
            self._matrix_owner = [name for name, _ in pairs]
            self._matrix = embedder.encode([key for _, key in pairs])
        return self._matrix


def _variants(phrase: str) -> list[str]:
    keys = [phrase_key(phrase), phrase_key(_MODIFIERS.sub("", phrase.strip()))]
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]


def _ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
