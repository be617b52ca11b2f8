"""From a frame's action and resolved slots to an :class:`~interpreter.types.Intent`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from interpreter.cypher import build_query
from interpreter.patterns.frames import Action, Tier
from interpreter.resolve import Resolver, SlotText, variable
from interpreter.types import EntityRef, Intent, IntentKind, RelationRef, Source, Span, Triple

KIND_OF = {
    Action.EDIT: IntentKind.EDIT, Action.REPLACE: IntentKind.EDIT, Action.NEGATE_THEN: IntentKind.EDIT,
    Action.NEGATE: IntentKind.FORGET, Action.FORGET_ALL: IntentKind.FORGET,
    Action.QUERY: IntentKind.QUERY, Action.QUERY_CHAIN: IntentKind.QUERY, Action.QUERY_WHOSE: IntentKind.QUERY,
    Action.QUERY_INVERSE: IntentKind.QUERY, Action.QUERY_CHECK: IntentKind.QUERY,
}
# Generic-tier matches found their relation by similarity, not by a phrase the schema lists.
_TIER_FACTOR = {Tier.TEMPLATE: 1.0, Tier.ALIAS: 1.0, Tier.GENERIC: 0.95}


@dataclass(frozen=True)
class Slots:
    """What a frame (or the LLM) produced: the action, slot texts by letter, and where it all came from."""

    action: Action
    texts: Mapping[str, SlotText]
    clause: Span
    relation: str | None = None  # fixed by a template frame
    tier: Tier = Tier.ALIAS


def build_intent(slots: Slots, resolver: Resolver, *, kind: IntentKind | None = None,
                 source: Source = "rules") -> Intent:
    """Resolve ``slots`` and assemble the intent. ``kind`` overrides the action's kind ("forget that ...").

    Raises:
        Unresolved: a relation or entity needs a clarification (or is unknown in a question).
        InvalidSlot: a slot cannot be an entity.
    """
    builder = _Builder(slots, resolver, kind or KIND_OF[slots.action])
    triples, supersedes, answer = builder.triples()
    query = build_query(triples, answer=answer) if builder.kind is IntentKind.QUERY else None
    return Intent(kind=builder.kind, triples=triples, supersedes=supersedes, query=query,
                  question=slots.clause.text if builder.kind is IntentKind.QUERY else None,
                  confidence=round(min(builder.confidence * _TIER_FACTOR[slots.tier], 1.0), 4),
                  span=slots.clause, source=source)


class _Builder:
    def __init__(self, slots: Slots, resolver: Resolver, kind: IntentKind):
        self.slots, self.resolver, self.kind = slots, resolver, kind
        self.confidence = 1.0

    def triples(self) -> tuple[list[Triple], list[Triple], str | None]:
        """(triples, superseded triples, answer variable) for the slots' action."""
        action, t = self.slots.action, self._triple
        if action in (Action.QUERY_CHAIN, Action.QUERY_WHOSE):
            r1, r2 = self._relation("r1"), self._relation("r2")
            if action is Action.QUERY_CHAIN:
                return [t(self._entity("s"), r1, variable("x")), t(variable("x"), r2, variable("a"))], [], "a"
            return [t(variable("x"), r1, self._entity("o")), t(variable("x"), r2, variable("a"))], [], "a"
        r = self._relation("r")
        if action is Action.QUERY:
            return [t(self._entity("s"), r, variable("a"))], [], "a"
        if action is Action.QUERY_INVERSE:
            return [t(variable("a"), r, self._entity("o"))], [], "a"
        s = self._entity("s")
        if action is Action.FORGET_ALL:
            return [t(s, r, None)], [], None
        if action is Action.NEGATE:
            return [t(s, r, self._entity("x"))], [], None
        main = [t(s, r, self._entity("o"))]
        old = [t(s, r, self._entity("x"))] if action in (Action.REPLACE, Action.NEGATE_THEN) else []
        return main, old, None

    def _relation(self, letter: str) -> RelationRef:
        # A template frame has no relation slot: its relation is the template's, its text the whole clause.
        text = self.slots.texts.get(letter) or SlotText(self.slots.clause.text, self.slots.clause)
        ref = self.resolver.relation(text, fixed=self.slots.relation, kind=self.kind, clause=self.slots.clause)
        self.confidence *= ref.score
        return ref

    def _entity(self, letter: str) -> EntityRef:
        ref, factor = self.resolver.entity(self.slots.texts[letter], kind=self.kind, clause=self.slots.clause)
        self.confidence *= factor
        return ref

    def _triple(self, subject: EntityRef, relation: RelationRef, obj: EntityRef | None) -> Triple:
        return self.resolver.triple(subject, relation, obj, self.slots.clause)
