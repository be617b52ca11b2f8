"""Stores for kg tests: a real LadybugDB database on disk under pytest's tmp_path."""

from __future__ import annotations

import pytest

from kg.records import TripleIn
from kg.store import GraphStore


def T(s: str, r: str, o: str) -> TripleIn:
    return TripleIn(subject=s, relation=r, object=o)


@pytest.fixture
def store(tmp_path):
    with GraphStore.open(str(tmp_path / "kg")) as s:
        yield s


@pytest.fixture
def countries(store):
    """v1: two countries with capitals and languages."""
    store.commit(add=[T("France", "capital", "Paris"), T("France", "official_language", "French"),
                      T("Germany", "capital", "Berlin"), T("Germany", "official_language", "German")],
                 author="alice", message="seed")
    return store
