"""Resolve the raw text of relation and entity slots into references, or into the clarification to ask.

Shared by the deterministic path (slots captured by frames) and the LLM path (triples the model wrote).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from interpreter.linking import EntityLinker
from interpreter.relations import RelationMatcher
from interpreter.types import Candidate, Clarification, EntityRef, IntentKind, RelationRef, Span, Triple

if TYPE_CHECKING:
    from kg.schema import RelationSchema

ClarifyKind = Literal["relation", "entity"]
Reason = Literal["unknown", "ambiguous", "low_confidence"]
_REASONS: dict[str, Reason] = {"ambiguous": "ambiguous", "low": "low_confidence"}
_QUESTIONS = {
    ("relation", "unknown"): "I don't know the relation {m!r}. Did you mean one of these?",
    ("relation", "ambiguous"): "{m!r} could mean several relations. Which one?",
    ("relation", "low_confidence"): "I'm not sure what {m!r} means here. Did you mean one of these?",
    ("entity", "ambiguous"): "{m!r} could be several entities. Which one?",
    ("entity", "low_confidence"): "I don't know {m!r}. Did you mean one of these?",
}


class Unresolved(Exception):
    """Raised inside resolution to stop building an intent; carries the clarification (or None for a
    relation that is simply not in the schema, which a question turns into a chat turn)."""

    def __init__(self, clarification: Clarification | None):
        super().__init__(clarification.question if clarification else "unknown relation")
        self.clarification = clarification


class InvalidSlot(Exception):
    """A slot's text cannot be an entity (empty, a pronoun, a clause): the frame did not really match."""


@dataclass(frozen=True)
class SlotText:
    """The text of one slot and its span in the original message (None when it has no position)."""

    text: str
    span: Span | None


class Resolver:
    """Turns slot texts into :class:`RelationRef`/:class:`EntityRef` and triples in canonical direction."""

    def __init__(self, schema: RelationSchema, relations: RelationMatcher, linker: EntityLinker, *,
                 canonical: bool = True):
        self._relations = relations
        self._linker = linker
        self._order = {name: i for i, name in enumerate(schema.names())}
        self._inverse = {r.name: r.inverse for r in schema if r.inverse and r.inverse != r.name}
        self._canonical = canonical

    def relation(self, slot: SlotText, *, fixed: str | None, kind: IntentKind, clause: Span) -> RelationRef:
        """Resolve a relation slot.

        Raises:
            Unresolved: unknown, ambiguous or uncertain relation (with a clarification, except an unknown
                relation in a question, which carries None).
        """
        match = (self._relations.fixed(fixed, slot.text, slot.span) if fixed
                 else self._relations.match(slot.text, slot.span))
        if match.ref is not None:
            return match.ref
        if match.status == "unknown" and kind is IntentKind.QUERY:
            raise Unresolved(None)
        reason: Reason = _REASONS.get(match.status, "unknown")
        raise Unresolved(_clarify("relation", reason, slot, list(match.candidates), kind, clause))

    def entity(self, slot: SlotText, *, kind: IntentKind, clause: Span) -> tuple[EntityRef, float]:
        """Link an entity slot; returns the reference and its confidence factor.

        Raises:
            InvalidSlot: the text has nothing to make an id from.
            Unresolved: the mention is ambiguous or a near miss of a known entity.
        """
        found = self._linker.link(slot.text, slot.span)
        if found is None:
            raise InvalidSlot(slot.text)
        if found.ref is None:
            raise Unresolved(_clarify("entity", found.reason or "ambiguous", slot, list(found.candidates),
                                      kind, clause))
        return found.ref, found.factor

    def triple(self, subject: EntityRef, relation: RelationRef, obj: EntityRef | None,
               span: Span | None) -> Triple:
        """Build a triple, turned to the canonical direction of an inverse pair (the relation listed first
        in the schema), so "Paris is the capital of France" and "France's capital is Paris" agree."""
        inverse = self._inverse.get(relation.name)
        if (self._canonical and inverse and obj is not None
                and self._order.get(inverse, 1 << 30) < self._order.get(relation.name, 0)):
            relation = relation.model_copy(update={"name": inverse})
            subject, obj = obj, subject
        return Triple(subject=subject, relation=relation, object=obj, span=span)


def variable(name: str) -> EntityRef:
    """A query variable (``?name``)."""
    return EntityRef(text=f"?{name}", var=name)


def _clarify(kind: ClarifyKind, reason: Reason, slot: SlotText, candidates: list[Candidate], intent: IntentKind,
             clause: Span) -> Clarification:
    question = _QUESTIONS.get((kind, reason), _QUESTIONS[(kind, "ambiguous")]).format(m=slot.text)
    return Clarification(kind=kind, reason=reason, mention=slot.text, question=question,
                         candidates=candidates, intent=intent, span=slot.span or clause)
