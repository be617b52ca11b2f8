"""Migration between backends: embedded -> Bolt -> embedded keeps the whole history, and the check catches damage."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg import migrate as M
from kg.errors import Conflict
from kg.records import TripleIn
from kg.store import GraphStore
from tests.kg.conftest import REMOTE_BACKENDS, T


def build_history(store: GraphStore) -> None:
    """Imports, edits, a custom relation, rollbacks of a commit and to a version: every kind of history."""
    store.commit(add=[T("France", "capital", "Paris"), T("France", "official_language", "French"),
                      T("Germany", "capital", "Berlin"), T("北京", "located_in", "中国")], author="alice",
                 message="seed")
    store.import_triples([TripleIn(subject=f"City {i}", relation="located_in", object="France",
                                   confidence=0.5 + i / 100, source="gazetteer") for i in range(30)]
                         + [TripleIn(subject="France", relation="favourite cheese", object="Brie")],
                         author="bot", message="import", source="file.csv", add_unknown_relations=True)
    for new in ("Lyon", "Marseille"):
        store.commit(add=[T("France", "capital", new)], retire=store.objects("France", "capital"), author="bob")
    store.rollback_commit(3, author="admin")
    store.commit(add=[T("Spain", "capital", "Madrid")], author="carol", edit_id="edit-42")
    store.rollback_to(2, author="admin")
    store.commit(retire=store.objects("Germany", "capital"), author="dave", message="forget", kind="forget")


def history(store: GraphStore) -> dict:
    """Everything a user can observe about the history, in comparable form."""
    head = store.head
    return {
        "log": store.log(),
        "facts": [store.all_facts(at=v) for v in range(head + 1)],
        "steps": [store.diff(v - 1, v) for v in range(1, head + 1)],
        "whole": store.diff(0, head),
        "entities": store.entities(),
        "custom": sorted(r.name for r in store.schema.custom()),
        "berlin_neighbourhood": store.neighbourhood("Berlin", depth=2, at=1),
    }


@pytest.mark.parametrize("via", REMOTE_BACKENDS)
def test_round_trip_keeps_identical_history(fresh_target, via):
    first, middle, last = fresh_target("ladybug"), fresh_target(via), fresh_target("ladybug")
    with first.open() as store:
        build_history(store)
        expected = history(store)
    assert expected["custom"] == ["favourite_cheese"] and len(expected["log"]) == 8
    for source, target in ((first, middle), (middle, last)):
        report = M.migrate(source.uri, target.uri, from_auth=_auth(source), to_auth=_auth(target))
        assert report.head == 8 and report.commits == 8 and report.versions_verified == 9
        with target.open() as copy:
            assert history(copy) == expected, f"{target.backend} differs"
    with last.open() as copy:  # the copy is a working store: it takes new commits and rollbacks
        copy.rollback_commit(8, author="admin")
        assert [f.object_name for f in copy.objects("Germany", "capital")] == ["Berlin"]


@pytest.mark.parametrize("via", REMOTE_BACKENDS)
def test_round_trip_keeps_bulk_import_log(fresh_target, via, monkeypatch):
    """The import in the history is written with the one-line change log (kg.versions.BULK_OP) and still diffs,
    rolls back and migrates exactly."""
    from kg import versions

    monkeypatch.setattr(versions, "BULK_LOG_MIN", 10)
    test_round_trip_keeps_identical_history(fresh_target, via)


def test_target_must_be_empty(fresh_target):
    source, target = fresh_target("ladybug"), fresh_target("bolt")
    with source.open() as store:
        build_history(store)
    M.migrate(source.uri, target.uri, to_auth=_auth(target))
    with pytest.raises(Conflict, match="not empty"):
        M.migrate(source.uri, target.uri, to_auth=_auth(target))


def test_damaged_copy_is_detected(fresh_target, monkeypatch):
    source, target = fresh_target("ladybug"), fresh_target("bolt")
    with source.open() as store:
        build_history(store)
    write = M._write

    def lossy(backend, kind, rows):  # the target keeps a fact's metadata wrong
        if kind == "facts":
            rows = [dict(rows[0], confidence=0.123), *rows[1:]]
        write(backend, kind, rows)

    monkeypatch.setattr(M, "_write", lossy)
    with pytest.raises(M.MigrationMismatch, match="version"):
        M.migrate(source.uri, target.uri, to_auth=_auth(target))


def test_digest_is_independent_of_row_order():
    rows = [{"id": f"1-{i}", "s": "a", "pred": "p", "o": f"b{i}", "valid_from": 1, "valid_to": 2 if i % 2 else None,
             "edit_id": "e", "author": "x", "confidence": 1.0, "source": None} for i in range(5)]
    forward, backward = M.HistoryDigest(2), M.HistoryDigest(2)
    for row in rows:
        forward.add("facts", row)
    for row in reversed(rows):
        backward.add("facts", row)
    assert forward.versions() == backward.versions()
    assert [v.facts for v in forward.versions()] == [0, 5, 3]


def test_cli(fresh_target):
    from api.cli import main

    source, target = fresh_target("ladybug"), fresh_target("bolt")
    with source.open() as store:
        build_history(store)
    result = CliRunner().invoke(main, ["migrate", "--from", source.uri, "--to", target.uri, "--to-user",
                                       target.user, "--to-database", target.database, "--json"],
                                env={"KGEDIT_TO_PASSWORD": target.password})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["commits"] == 8 and report["target"] == target.uri
    assert target.password not in result.output
    again = CliRunner().invoke(main, ["migrate", "--from", source.uri, "--to", target.uri, "--to-user",
                                      target.user, "--to-database", target.database],
                               env={"KGEDIT_TO_PASSWORD": target.password})
    assert again.exit_code == 1 and "not empty" in again.output


def _auth(target) -> dict:
    return {"user": target.user, "password": target.password, "database": target.database}
