"""Turn the model's raw intents into resolved intents with the same resolver the rules use, so both paths
give the same types, normalisation and clarifications."""

from __future__ import annotations

from interpreter.cypher import build_query
from interpreter.llm.reply import LLMIntent, LLMReply, LLMTriple
from interpreter.resolve import InvalidSlot, Resolver, SlotText, Unresolved, variable
from interpreter.rules import Outcome, SoftAsk
from interpreter.types import EntityRef, Intent, IntentKind, RollbackTarget, Span, Triple

_LLM_FACTOR = 0.9  # a model's reading is less certain than a frame's


def reply_to_outcomes(reply: LLMReply, resolver: Resolver, clause: Span) -> list[Outcome]:
    """One outcome per intent of ``reply``, all attributed to ``clause``.

    Raises:
        ValueError: an intent names an entity that cannot be one (so the whole reply is retried).
    """
    return [_outcome(item, resolver, clause) for item in reply.intents]


def _outcome(item: LLMIntent, resolver: Resolver, clause: Span) -> Outcome:
    if item.kind is IntentKind.ROLLBACK and item.rollback is not None:
        target = RollbackTarget(**item.rollback.model_dump())
        return Intent(kind=item.kind, rollback=target, confidence=_LLM_FACTOR, span=clause, source="llm")
    if item.kind is IntentKind.ASK:
        return Intent(kind=item.kind, question=item.question or clause.text, confidence=_LLM_FACTOR,
                      span=clause, source="llm")
    try:
        return _fact_intent(item, resolver, clause)
    except InvalidSlot as e:
        raise ValueError(f"not an entity: {e}") from e
    except Unresolved as e:
        return e.clarification if e.clarification is not None else SoftAsk(clause)


def _fact_intent(item: LLMIntent, resolver: Resolver, clause: Span) -> Intent:
    confidence = [_LLM_FACTOR]
    triples = [_triple(t, item.kind, resolver, clause, confidence) for t in item.triples]
    supersedes = [_triple(t, item.kind, resolver, clause, confidence) for t in item.supersedes]
    query = None
    if item.kind is IntentKind.QUERY:
        query = build_query(triples, answer=_answer(triples))
    score = 1.0
    for factor in confidence:
        score *= factor
    return Intent(kind=item.kind, triples=triples, supersedes=supersedes, query=query,
                  question=clause.text if query else None, confidence=round(score, 4), span=clause, source="llm")


def _triple(raw: LLMTriple, kind: IntentKind, resolver: Resolver, clause: Span, confidence: list[float]) -> Triple:
    relation = resolver.relation(SlotText(raw.relation, None), fixed=None, kind=kind, clause=clause)
    confidence.append(relation.score)
    subject = _term(raw.subject, kind, resolver, clause, confidence, default_var="x")
    obj = None if raw.object is None and kind is IntentKind.FORGET else _term(
        raw.object, kind, resolver, clause, confidence, default_var="a")
    return resolver.triple(subject, relation, obj, clause)


def _term(text: str | None, kind: IntentKind, resolver: Resolver, clause: Span, confidence: list[float], *,
          default_var: str) -> EntityRef:
    if text is None or text.startswith("?"):
        if kind is not IntentKind.QUERY:
            raise ValueError(f"a {kind.value} triple cannot contain an unknown")
        return variable(text[1:].strip() if text and len(text) > 1 else default_var)
    ref, factor = resolver.entity(SlotText(text, None), kind=kind, clause=clause)
    confidence.append(factor)
    return ref


def _answer(triples: list[Triple]) -> str | None:
    """The variable the question asks for: the last one that occurs only once (a join variable occurs twice)."""
    counts: dict[str, int] = {}
    for triple in triples:
        for term in (triple.subject, triple.object):
            if term is not None and term.var is not None:
                counts[term.var] = counts.get(term.var, 0) + 1
    once = [var for var, n in counts.items() if n == 1]
    return once[-1] if once else None
