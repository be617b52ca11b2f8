"""Ambiguous or unknown relations and entities produce a Clarification listing candidates, never a guess."""

from __future__ import annotations

import pytest

from interpreter import InMemoryEntityIndex, Interpreter, IntentKind
from kg.schema import Relation, RelationSchema


def clarification(interpreter: Interpreter, text: str):
    result = interpreter.interpret(text, mode="rules")
    assert not [i for i in result.intents if i.kind in (IntentKind.EDIT, IntentKind.FORGET)], result.intents
    (item,) = result.clarifications
    assert item.span.text and item.span.text in text and item.question
    return item


class TestRelations:
    """Relation phrases the schema does not settle."""

    @pytest.mark.parametrize("text,mention", [("The vibe of France is chill", "vibe"),
                                               ("Set the flavour of Japan to umami", "flavour"),
                                               ("法国的气质是浪漫", "气质")])
    def test_unknown(self, interpreter: Interpreter, text: str, mention: str) -> None:
        item = clarification(interpreter, text)
        assert item.kind == "relation" and item.reason == "unknown" and item.mention == mention
        assert item.intent is IntentKind.EDIT

    def test_unknown_lists_nearest_candidates(self, interpreter: Interpreter) -> None:
        item = clarification(interpreter, "The vibe of France is chill")
        assert 1 <= len(item.candidates) <= 3 and all(c.score < 0.72 for c in item.candidates)
        assert [c.score for c in item.candidates] == sorted((c.score for c in item.candidates), reverse=True)

    def test_uncertain_embedding_match_asks(self, interpreter: Interpreter) -> None:
        """"city hall chief" is about as close to head of state as to mayor: ask, listing both."""
        item = clarification(interpreter, "The city hall chief of Paris is Anne Hidalgo")
        assert item.reason == "low_confidence"
        assert {"mayor", "head_of_state"} <= {c.name for c in item.candidates}

    def test_tie_between_relations_is_ambiguous(self) -> None:
        schema = RelationSchema([
            Relation(name="capitol", cardinality="one2one", aliases=("capitol building",)),
            Relation(name="capital", cardinality="one2one", aliases=("capital city",)),
        ])
        item = clarification(Interpreter(schema, embedder=None), "The capitel of France is Paris")
        assert item.reason == "ambiguous" and {c.name for c in item.candidates} == {"capitol", "capital"}

    def test_clear_matches_do_not_ask(self, interpreter: Interpreter) -> None:
        for text in ("The capitl of Japan is Tokyo", "The chief exec of Apple is Tim Cook",
                     "The national currency of Japan is the yen"):
            result = interpreter.interpret(text)
            assert not result.clarifications and result.intents[0].kind is IntentKind.EDIT, text

    def test_embedding_match_is_marked(self, interpreter: Interpreter) -> None:
        (triple,) = interpreter.interpret("The chief exec of Apple is Tim Cook").intents[0].triples
        assert triple.relation.method == "embedding" and triple.relation.name == "ceo"
        (typo,) = interpreter.interpret("The capitl of Japan is Tokyo").intents[0].triples
        assert typo.relation.method == "fuzzy" and typo.relation.score < 1


@pytest.fixture(scope="module")
def two_parises(schema) -> Interpreter:
    index = InMemoryEntityIndex([("paris", "Paris", ["巴黎"]), ("paris_texas", "Paris, Texas", ["Paris"]),
                                 ("france", "France", ["法国"]), ("netherlands", "Netherlands", ["荷兰"])])
    return Interpreter(schema, entity_index=index, embedder=None)


class TestEntities:
    """Entity mentions that match more than one known entity, or only nearly one."""

    def test_ambiguous_name(self, two_parises: Interpreter) -> None:
        item = clarification(two_parises, "The capital of France is Paris")
        assert item.kind == "entity" and item.reason == "ambiguous" and item.mention == "Paris"
        assert {c.name for c in item.candidates} == {"paris", "paris_texas"}

    def test_near_miss_asks(self, two_parises: Interpreter) -> None:
        """One typo in six letters could be another entity (Iran/Iraq, Jon/John Smith): ask."""
        item = clarification(two_parises, "The capital of Frnace is Lyon")
        assert item.reason == "low_confidence" and item.candidates[0].name == "france"

    def test_clear_typo_links(self, two_parises: Interpreter) -> None:
        """One typo in a long name is safe to link (the threshold, 0.9, is one edit in ten letters)."""
        (triple,) = two_parises.interpret("The capital of the Netherlnds is Amsterdam").intents[0].triples
        assert triple.subject.id == "netherlands" and triple.subject.linked and triple.subject.score < 1

    def test_unknown_name_is_a_new_entity(self, two_parises: Interpreter) -> None:
        (triple,) = two_parises.interpret("The capital of Peru is Lima").intents[0].triples
        assert triple.key == ("peru", "capital", "lima") and not triple.subject.linked

    def test_a_clarification_does_not_hide_other_intents(self, two_parises: Interpreter) -> None:
        result = two_parises.interpret("undo my last edit. The capital of France is Paris")
        assert [i.kind for i in result.intents] == ["rollback"] and len(result.clarifications) == 1
