"""Shared fixtures: one schema, one MiniLM embedder and one interpreter per test session (the embedder takes
~10 s to load on 2 cores; frames compile on first use)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpreter import InMemoryEntityIndex, Interpreter
from interpreter.embedder import MiniLMEmbedder
from kg.ids import entity_id
from kg.schema import RelationSchema

DATA = Path(__file__).resolve().parents[1] / "data" / "interpreter"


@pytest.fixture(scope="session")
def schema() -> RelationSchema:
    return RelationSchema.default()


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    model = MiniLMEmbedder()
    model.encode(["warm up"])
    return model


@pytest.fixture(scope="session")
def entity_rows() -> list[tuple[str, str, list[str]]]:
    rows = json.loads((DATA / "entities.json").read_text(encoding="utf-8"))
    return [(entity_id(name), name, aliases) for name, aliases in rows]


@pytest.fixture(scope="session")
def index(entity_rows) -> InMemoryEntityIndex:
    return InMemoryEntityIndex(entity_rows)


@pytest.fixture(scope="session")
def interpreter(schema, index, embedder) -> Interpreter:
    """The full deterministic path: frames, aliases, spelling, embeddings, entity index."""
    return Interpreter(schema, entity_index=index, embedder=embedder)


@pytest.fixture(scope="session")
def bare(schema) -> Interpreter:
    """No entity index and no embedder: mentions become new entities, relations resolve by alias/spelling."""
    return Interpreter(schema, embedder=None)
