"""Natural-language requests carried out end to end on the real store (model sync off)."""

from __future__ import annotations

import pytest

from controller.facade import KGEdit
from controller.nl import NeedsClarification
from kg.errors import InvalidInput


@pytest.fixture(scope="module")
def kge(tmp_path_factory):
    with KGEdit.open(tmp_path_factory.mktemp("nl"), sync_model=False) as kge:
        kge.load_demo()
        yield kge


def capital(kge, country):
    return [f.object_name for f in kge.store.objects(country, "capital")]


def test_edit_query_and_undo(kge):
    [answer] = kge.submit("The capital of France is now Lyon")
    assert answer.intent == "edit" and answer.outcome.status == "committed" and capital(kge, "France") == ["Lyon"]
    [answer] = kge.submit("What is the capital of France?")
    assert [r["name"] for r in answer.rows] == ["Lyon"]
    [answer] = kge.submit("undo my last edit")
    assert answer.intent == "rollback" and capital(kge, "France") == ["Paris"]


def test_chinese_edit(kge):
    [answer] = kge.submit("日本的首都是大阪")  # the demo KG names countries in English: a new entity 日本
    assert answer.outcome.status == "committed" and capital(kge, "日本") == ["大阪"]
    assert [f.object_name for f in kge.store.objects("大阪", "capital_of")] == ["日本"]


def test_interpret_applies_nothing(kge):
    version = kge.version
    reading = kge.interpret("The capital of Spain is Barcelona")
    assert reading.intents[0].triples[0].key == ("spain", "capital", "barcelona") and kge.version == version


def test_unclear_or_empty_messages(kge):
    with pytest.raises(InvalidInput):
        kge.submit("   ")
    version = kge.version
    with pytest.raises(NeedsClarification) as err:
        kge.submit("The flubberwock of France is Lyon")
    assert err.value.interpretation.clarifications and kge.version == version
