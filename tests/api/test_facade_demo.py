"""The library facade over a real data directory, with the shipped demo KG."""

from __future__ import annotations

import pytest

from controller.facade import KGEdit
from kg.records import TripleIn


@pytest.fixture(scope="module")
def kge(tmp_path_factory):
    with KGEdit.open(tmp_path_factory.mktemp("home")) as kge:
        kge.load_demo()
        yield kge


def test_demo_kg_is_loaded_once_with_2000_facts(kge):
    assert kge.version == 1 and kge.store.count_facts() >= 2000
    assert kge.load_demo() is None  # not loaded twice


def test_demo_facts(kge):
    assert [f.object_name for f in kge.facts("France", relation="capital")] == ["Paris"]
    neighbours = {f.subject_name for f in kge.neighbourhood("Spain") if f.pred == "borders"}
    assert {"Portugal", "France"} <= neighbours | {f.object_name for f in kge.neighbourhood("Spain")}


def test_readme_library_example(kge):
    result = kge.add_facts([TripleIn(subject="Atlantis", relation="capital", object="Poseidonia")])
    version = result.commit.version
    assert kge.diff(version - 1, version).added[0].object_name == "Poseidonia"
    kge.rollback(commit=version)
    assert kge.facts("Atlantis") == []
    assert [f.object_name for f in kge.facts("Atlantis", at=version)] == ["Poseidonia"]
