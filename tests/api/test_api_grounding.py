"""How chat answers are grounded: which entities a message names, and which of their facts the model is given."""

from __future__ import annotations

from api.chat import grounding, system_note


def test_mentioned_entities_by_name_longest_first(service):
    kge = service.kge
    assert [e.name for e in kge.mentioned_entities("What is the capital of Germany?")] == ["Germany"]
    assert [e.name for e in kge.mentioned_entities("Is the United States' head of state in France's capital?")] \
        == ["United States", "France"]
    assert [e.name for e in kge.mentioned_entities("is it the capital, the Paris one?", limit=5)] == ["Paris"]
    assert kge.mentioned_entities("nothing known here") == [] and kge.mentioned_entities("") == []
    assert [e.name for e in kge.mentioned_entities("Paris, Tokyo, Berlin, Spain", limit=2)] == ["Paris", "Tokyo"]


def test_grounding_gives_each_relation_before_repeats(service):
    context = grounding(service.kge, "Tell me about France", entities=3, facts=3)
    assert context.entities == ["France"] and context.version == service.kge.version
    # France has two borders, a capital and a language: three facts cover three relations, not two borders.
    assert {f.pred for f in context.facts} == {"borders", "capital", "official_language"}
    note = system_note(context)
    assert note.startswith("Current facts from the knowledge graph") and "France | " in note
    assert grounding(service.kge, "Hello there", entities=3, facts=3) is None
