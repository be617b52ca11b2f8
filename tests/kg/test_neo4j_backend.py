"""The Neo4j backend's own behaviour (transactions, batching, errors, settings), on every Bolt server we have.

The contract the versioned store relies on is checked by the shared suite (test_versions, test_cypher, test_io,
test_row_loss), which runs on this backend too; these tests cover what that suite cannot see.
"""

from __future__ import annotations

import socket

import pytest

from kg.backends import open_backend
from kg.backends import neo4j as N
from kg.errors import RowCountMismatch, StoreError
from kg.settings import Settings
from kg.store import GraphStore
from tests.kg.conftest import REMOTE_BACKENDS, T

pytestmark = pytest.mark.backends(*REMOTE_BACKENDS)


def entity(i: int | str) -> dict:
    return {"id": f"e{i}", "name": f"E {i}", "aliases": [], "lang": None}


def fact(i: int, s: str, o: str) -> dict:
    return {"id": f"1-{i}", "s": s, "o": o, "pred": "borders", "valid_from": 1, "valid_to": None, "edit_id": "e",
            "author": "a", "confidence": 1.0, "source": None}


def count(backend, label: str = "Entity") -> int:
    return backend.run(f"MATCH (x:{label}) RETURN count(*) AS n")[0]["n"]


@pytest.fixture
def backend(store):
    return store.backend


class TestConnection:
    def test_bolt_uri_picks_this_backend(self, store_target):
        backend = open_backend(store_target.uri, user=store_target.user, password=store_target.password,
                               database=store_target.database)
        try:
            assert isinstance(backend, N.Neo4jBackend) and backend.name == "neo4j"
            assert "Neo4j" in backend.server_agent
        finally:
            backend.close()

    def test_unreachable_server_names_the_uri(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            uri = f"bolt://127.0.0.1:{s.getsockname()[1]}"  # bound, never listening: refused at once
            with pytest.raises(StoreError, match="unreachable") as err:
                N.Neo4jBackend(uri, user="u", password="p")
        assert uri in str(err.value)

    def test_wrong_password_names_the_uri_not_the_password(self, store_target):
        with pytest.raises(StoreError) as err:
            N.Neo4jBackend(store_target.uri, user=store_target.user, password="not-the-password-123",
                           database=store_target.database)
        assert store_target.uri in str(err.value) and "not-the-password-123" not in str(err.value)

    def test_malformed_uri(self):
        with pytest.raises(StoreError):
            N.Neo4jBackend("bolt://localhost:notaport")

    def test_settings_from_environment_open_the_bolt_store(self, store_target, tmp_path, monkeypatch):
        for key, value in (("STORE_URI", store_target.uri), ("STORE_USER", store_target.user),
                           ("STORE_PASSWORD", store_target.password), ("STORE_DATABASE", store_target.database)):
            monkeypatch.setenv(f"KGEDIT_{key}", value or "")
        settings = Settings.load(home=str(tmp_path))
        with GraphStore.open(settings.resolved_store_uri, user=settings.store_user,
                             password=settings.store_password, database=settings.store_database) as store:
            assert store.backend.name == "neo4j"
            store.commit(add=[T("France", "capital", "Paris")], author="a")
        with store_target.open() as again:  # a second client sees the committed version
            assert again.head == 1 and [f.object_name for f in again.objects("France", "capital")] == ["Paris"]


class TestSchema:
    def test_ensure_schema_is_idempotent_and_enforces_keys(self, backend):
        backend.ensure_schema()
        backend.ensure_schema()
        backend.bulk_create_nodes("Entity", [entity(1)])
        with pytest.raises(StoreError):
            with backend.atomic():
                backend.bulk_create_nodes("Entity", [entity(2)])
                backend.run("CREATE (:Entity {id: 'e1', name: 'again'})")
        assert count(backend) == 1

    def test_bad_label_is_refused(self, backend):
        with pytest.raises(StoreError, match="label or property"):
            backend.bulk_create_nodes("Entity) DETACH DELETE (x", [entity(1)])


class TestTransactions:
    def test_commit_on_success(self, backend):
        with backend.atomic():
            backend.bulk_create_nodes("Entity", [entity(1)])
        assert count(backend) == 1

    def test_rollback_on_error(self, backend):
        with pytest.raises(ZeroDivisionError):
            with backend.atomic():
                backend.bulk_create_nodes("Entity", [entity(1)])
                1 / 0
        assert count(backend) == 0

    def test_nested_block_joins_the_outer_transaction(self, backend):
        with pytest.raises(RuntimeError):
            with backend.atomic():
                with backend.atomic():
                    backend.bulk_create_nodes("Entity", [entity(1)])
                assert count(backend) == 1  # visible inside the transaction
                raise RuntimeError("outer fails after the inner block ended")
        assert count(backend) == 0

    def test_failed_statement_rolls_back_the_block(self, backend):
        with pytest.raises(StoreError):
            with backend.atomic():
                backend.bulk_create_nodes("Entity", [entity(1)])
                backend.run("MATCH (e:Entity RETURN e")
        assert count(backend) == 0
        backend.bulk_create_nodes("Entity", [entity(2)])  # the backend is usable afterwards
        assert count(backend) == 1

    def test_read_only_refuses_writes_and_keeps_nothing(self, backend):
        with pytest.raises(StoreError, match="read-only"):
            backend.run_read_only("CREATE (:Entity {id: 'sneaky'}) RETURN 1 AS x")
        assert count(backend) == 0
        with pytest.raises(StoreError, match="inside a write transaction"):
            with backend.atomic():
                backend.run_read_only("MATCH (e:Entity) RETURN e.id")


class TestBatches:
    def test_many_chunks_in_one_transaction(self, backend, monkeypatch):
        monkeypatch.setattr(N, "CHUNK", 7)
        assert backend.bulk_create_nodes("Entity", [entity(i) for i in range(30)]) == 30
        assert backend.bulk_create_facts([fact(i, "e0", f"e{i + 1}") for i in range(29)]) == 29
        assert backend.run("MATCH ()-[f:FACT]->() RETURN count(*) AS n")[0]["n"] == 29

    def test_short_chunk_rolls_back_earlier_chunks(self, backend, monkeypatch):
        monkeypatch.setattr(N, "CHUNK", 7)
        backend.bulk_create_nodes("Entity", [entity(i) for i in range(30)])
        rows = [fact(i, "e0", f"e{i + 1}") for i in range(29)]
        rows[20] = fact(20, "e0", "missing")  # third chunk comes back one short
        with pytest.raises(RowCountMismatch, match="wrote 6 of 7"):
            backend.bulk_create_facts(rows)
        assert backend.run("MATCH ()-[f:FACT]->() RETURN count(*) AS n")[0]["n"] == 0

    def test_all_fields_written(self, backend):
        backend.bulk_create_nodes("Entity", [entity(1), entity(2)])
        row = {**fact(0, "e1", "e2"), "valid_to": 3, "source": "s.csv", "confidence": 0.25}
        backend.bulk_create_facts([row])
        got = backend.run("MATCH (a)-[f:FACT]->(b) RETURN a.id AS s, b.id AS o, f.id AS id, f.pred AS pred, "
                          "f.valid_from AS valid_from, f.valid_to AS valid_to, f.edit_id AS edit_id, "
                          "f.author AS author, f.confidence AS confidence, f.source AS source")
        assert got == [row]


class TestValues:
    def test_nodes_and_temporal_values_come_back_plain(self, backend):
        backend.bulk_create_nodes("Entity", [{**entity(1), "aliases": ["One", "Uno"]}])
        rows = backend.run("MATCH (e:Entity) RETURN e, date('2024-05-01') AS d")
        assert rows == [{"e": {"id": "e1", "name": "E 1", "aliases": ["One", "Uno"]}, "d": "2024-05-01"}]
