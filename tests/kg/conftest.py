"""Stores for kg tests: one contract suite over every store backend (rdflib ``test_graph.py::make_graph`` style).

Every test that asks for ``store`` (or a fixture built on it, like ``countries``) runs once per backend:

- ``ladybug``: the embedded store, a real LadybugDB database on disk under ``tmp_path``;
- ``bolt``: the Neo4j backend against ArcadeDB's Bolt server, started once per session in its own process, with a
  fresh empty database per test. If ArcadeDB cannot start, these tests fail with the server's output: never skip;
- ``neo4j``: the Neo4j backend against a real Neo4j, only when ``KGEDIT_NEO4J_URI`` is set (with
  ``KGEDIT_NEO4J_USER``, ``KGEDIT_NEO4J_PASSWORD``, ``KGEDIT_NEO4J_DATABASE``); the database is wiped before
  each test, so point it at a scratch database.

A test that only makes sense on some backends says so with ``@pytest.mark.backends("ladybug")``; it is then
generated for those backends only (not skipped on the others).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kg.records import TripleIn
from kg.store import GraphStore
from tests.bolt_server import PASSWORD, USER, ArcadeBoltServer, BoltServerError

BACKENDS = ["ladybug", "bolt"] + (["neo4j"] if os.environ.get("KGEDIT_NEO4J_URI") else [])
REMOTE_BACKENDS = [b for b in BACKENDS if b != "ladybug"]  # the Neo4j backend, on each server we have
_DATABASE_NUMBERS = itertools.count(1)


def T(s: str, r: str, o: str) -> TripleIn:
    return TripleIn(subject=s, relation=r, object=o)


@dataclass(frozen=True)
class Target:
    """Where a test's store lives: what ``GraphStore.open`` needs."""

    backend: str
    uri: str
    user: str | None = None
    password: str | None = None
    database: str | None = None

    def open(self) -> GraphStore:
        return GraphStore.open(self.uri, user=self.user, password=self.password, database=self.database)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run a store test only on these backends")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_target" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = [b for b in BACKENDS if marker is None or b in marker.args]
    metafunc.parametrize("store_target", names, indirect=True, scope="function")


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArcadeBoltServer]:
    """ArcadeDB with Bolt, once per session. Fails (never skips) when it cannot start."""
    server = ArcadeBoltServer(tmp_path_factory.mktemp("arcadedb"))
    try:
        server.start()
    except BoltServerError as e:
        pytest.fail(f"the Bolt conformance suite needs ArcadeDB (arcadedb-embedded, Java bundled): {e}",
                    pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def fresh_target(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[str], Target]]:
    """A factory: ``fresh_target(backend)`` gives a new, empty store location on that backend.

    Bolt databases made here are dropped when the test ends.
    """
    created: list[tuple[ArcadeBoltServer, str]] = []
    numbers = itertools.count(1)

    def make(backend: str) -> Target:
        if backend == "ladybug":
            return Target("ladybug", str(tmp_path / f"kg{next(numbers)}"))
        if backend == "bolt":
            server: ArcadeBoltServer = request.getfixturevalue("bolt_server")
            name = f"kgtest{next(_DATABASE_NUMBERS)}"
            server.create_database(name)
            created.append((server, name))
            return Target("bolt", server.uri, USER, PASSWORD, name)
        target = Target("neo4j", os.environ["KGEDIT_NEO4J_URI"], os.environ.get("KGEDIT_NEO4J_USER", "neo4j"),
                        os.environ.get("KGEDIT_NEO4J_PASSWORD"), os.environ.get("KGEDIT_NEO4J_DATABASE"))
        _wipe(target)
        return target

    yield make
    for server, name in created:
        server.drop_database(name)


@pytest.fixture
def store_target(request: pytest.FixtureRequest, fresh_target: Callable[[str], Target]) -> Target:
    """A fresh, empty store location on the backend this test instance is generated for."""
    return fresh_target(request.param)


@pytest.fixture
def store(store_target: Target) -> Iterator[GraphStore]:
    with store_target.open() as s:
        yield s


@pytest.fixture
def countries(store):
    """v1: two countries with capitals and languages."""
    store.commit(add=[T("France", "capital", "Paris"), T("France", "official_language", "French"),
                      T("Germany", "capital", "Berlin"), T("Germany", "official_language", "German")],
                 author="alice", message="seed")
    return store


def _wipe(target: Target) -> None:
    """Empty a real Neo4j database (Community edition has one user database: no create/drop per test)."""
    from kg.backends.neo4j import Neo4jBackend

    backend = Neo4jBackend(target.uri, user=target.user, password=target.password, database=target.database)
    try:
        backend.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    finally:
        backend.close()
