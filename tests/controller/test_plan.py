"""Edit plans against a real store: coverage conflicts, inverses, multi-hop derivation, forgetting."""

from __future__ import annotations

import pytest

from controller.plan import plan_edit, plan_forget
from kg.errors import InvalidInput, UnknownRelation
from kg.records import TripleIn
from kg.store import GraphStore


@pytest.fixture
def store(tmp_path):
    with GraphStore.open(str(tmp_path / "kg")) as s:
        s.commit(add=[TripleIn(subject=a, relation=r, object=b) for a, r, b in [
            ("France", "capital", "Paris"), ("Paris", "capital_of", "France"),
            ("Italy", "capital", "Rome"), ("Rome", "capital_of", "Italy"),
            ("United States", "head_of_state", "Joe Biden"), ("Joe Biden", "spouse", "Jill Biden"),
            ("Donald Trump", "spouse", "Melania Trump"), ("France", "official_language", "French"),
        ]], author="seed")
        yield s


def added(plan):
    return {(f.subject, f.relation, f.object, f.role) for f in plan.add}


def retired(plan):
    return {(f.subject_name, f.pred, f.object_name) for f in plan.retire}


def test_coverage_conflict_retires_old_fact_and_its_inverse(store):
    plan = plan_edit(store, [("France", "capital", "Lyon")])
    assert ("France", "capital", "Lyon", "primary") in added(plan)
    assert ("Lyon", "capital_of", "France", "inverse") in added(plan)
    assert retired(plan) == {("France", "capital", "Paris"), ("Paris", "capital_of", "France")}


def test_one_to_one_inverse_conflict(store):
    plan = plan_edit(store, [("France", "capital", "Rome")])
    assert {("France", "capital", "Paris"), ("Rome", "capital_of", "Italy"), ("Italy", "capital", "Rome")} <= retired(plan)


def test_many_valued_relation_adds_without_retiring(store):
    plan = plan_edit(store, [("France", "official_language", "Breton")])
    assert plan.retire == [] and ("France", "official_language", "Breton", "primary") in added(plan)


def test_multi_hop_rule_derives_first_lady(store):
    plan = plan_edit(store, [("United States", "head_of_state", "Donald Trump")])
    assert ("United States", "first_lady", "Melania Trump", "derived") in added(plan)
    assert ("United States", "head_of_state", "Joe Biden") in retired(plan)


def test_known_fact_is_unchanged(store):
    plan = plan_edit(store, [("France", "capital", "Paris")])
    assert plan.empty and [f.object for f in plan.unchanged] == ["Paris"]


def test_unknown_relation_and_bad_triples(store):
    with pytest.raises(UnknownRelation):
        plan_edit(store, [("France", "capitol city of", "Paris")])
    with pytest.raises(InvalidInput):
        plan_edit(store, [("France", "capital", " ")])
    with pytest.raises(InvalidInput):
        plan_edit(store, [])


def test_forget_retires_fact_and_inverse(store):
    plan = plan_forget(store, [("France", "capital", None)])
    assert retired(plan) == {("France", "capital", "Paris"), ("Paris", "capital_of", "France")}
    with pytest.raises(InvalidInput):
        plan_forget(store, [("France", "capital", "Berlin")])
