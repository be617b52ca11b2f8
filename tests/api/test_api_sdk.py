"""The HTTP SDK mirrors the embedded facade method for method, returns the same pydantic models, and raises the
same typed errors, against a real server on localhost."""

from __future__ import annotations

import inspect

import pytest

from api.client import Client
from controller.facade import KGEdit
from controller.journal import Intent
from controller.outcomes import EditOutcome
from controller.users import Role, Unauthorized, User
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound, ReadOnlyQuery, UnknownRelation
from kg.records import Commit, CommitResult, Diff, Entity, Fact

MIRRORED = ["facts", "entity", "entities", "relations", "neighbourhood", "query", "log", "diff", "edits",
            "get_edit", "version_info", "edit", "forget", "rollback", "approve", "reject", "interpret", "submit",
            "ask", "generate", "import_file", "export_file", "list_users", "add_user", "set_role", "issue_token",
            "revoke_tokens", "models", "load_model", "unload_model", "lineage"]
SERVER_SIDE = {"self", "user", "author", "progress", "lang", "kw"}  # the token's user; the server's own choices


@pytest.mark.parametrize("name", MIRRORED)
def test_client_mirrors_the_facade(name):
    facade = inspect.signature(getattr(KGEdit, name)).parameters
    client = inspect.signature(getattr(Client, name)).parameters
    missing = set(facade) - SERVER_SIDE - set(client)
    assert not missing, f"Client.{name} lacks {missing}"
    for param in set(facade) & set(client) - {"self"}:
        assert facade[param].kind == client[param].kind, (name, param)


def test_version_property_is_mirrored(service):
    with service.client("viewer") as c:
        assert c.version == service.kge.version


def test_reads_return_the_same_models_as_the_facade(service):
    kge = service.kge
    with service.client("viewer") as c:
        assert c.facts("France") == kge.facts("France") and all(isinstance(f, Fact) for f in c.facts("France"))
        assert c.neighbourhood("Spain", depth=2) == kge.neighbourhood("Spain", depth=2)
        assert c.entity("japan") == kge.entity("japan") and isinstance(c.entity("japan"), Entity)
        assert c.log(limit=3) == kge.log(limit=3) and isinstance(c.log()[0], Commit)
        assert c.diff(0, 1) == kge.diff(0, 1) and isinstance(c.diff(0, 1), Diff)
        assert c.version_info(1) == kge.version_info(1)
        assert c.query("MATCH (e:Entity) WHERE e.id = $id RETURN e.name AS n", {"id": "japan"}) == [{"n": "Japan"}]
        assert c.relations() == kge.relations()
        assert [e.name for e in c.entities(contains="erman")] == ["Germany"]


def test_edit_review_and_rollback_round_trip(service):
    with service.client("editor") as ed, service.client("reviewer") as rita:
        out = ed.edit(("Japan", "capital", "Kyoto"))
        assert isinstance(out, EditOutcome) and out.status == "committed"
        assert [f.object_name for f in ed.facts("Japan", relation="capital")] == ["Kyoto"]
        intent = ed.get_edit(out.edit_id)
        assert isinstance(intent, Intent) and intent == service.kge.get_edit(out.edit_id)
        back = ed.rollback(edit_id=out.edit_id)
        assert isinstance(back, EditOutcome) and back.kind == "rollback"
        held = ed.edit(("United States", "head_of_state", "Someone Else"))
        assert held.status == "quarantined"
        assert isinstance(rita.reject(held.edit_id, reason="no"), Intent)
        assert ed.edits(status="rejected")[0].edit_id == held.edit_id
        gone = ed.forget(("France", "borders", "Spain"))
        assert [f.object_name for f in gone.retired] == ["Spain"]
        assert isinstance(ed.rollback(of_user="ed", since=intent.created), list)


def test_admin_rollbacks_and_files(service, tmp_path):
    with service.client("admin") as admin:
        path = tmp_path / "more.csv"
        path.write_text("Peru,capital,Lima\n", encoding="utf-8")
        imported = admin.import_file(path)
        assert isinstance(imported, CommitResult) and imported.commit.kind == "import"
        undone = admin.rollback(commit=imported.commit.version)
        assert isinstance(undone, CommitResult) and undone.commit.reverts == imported.commit.version
        out = tmp_path / "kg.csv"
        assert admin.export_file(out) == service.kge.export_file(tmp_path / "same.csv")
        assert "Paris" in out.read_text(encoding="utf-8")


def test_users(service):
    with service.client("admin") as admin:
        made = admin.add_user("sdk-user", "viewer")
        assert made == User(name="sdk-user", role=Role.VIEWER)
        assert admin.set_role("sdk-user", Role.EDITOR).role == Role.EDITOR
        token = admin.issue_token("sdk-user")
        assert Client(service.url, token).me().name == "sdk-user"
        assert admin.revoke_tokens("sdk-user") == 1
        assert "sdk-user" in {u.name for u in admin.list_users()}


def test_errors_are_the_same_typed_errors(service):
    with service.client("editor") as ed:
        with pytest.raises(NotFound, match="Atlantis"):
            ed.facts("Atlantis")
        with pytest.raises(UnknownRelation) as unknown:
            ed.edit(("Japan", "capitol of", "Kyoto"))
        assert "capital" in unknown.value.suggestions
        with pytest.raises(Conflict):
            ed.edit(("Japan", "capital", "Nara"), expected_version=0)
        with pytest.raises(ReadOnlyQuery):
            ed.query("CREATE (:Entity {id: 'x'})")
        with pytest.raises(Forbidden):
            ed.rollback(to_version=1)
        with pytest.raises(InvalidInput):
            ed.neighbourhood("Japan", depth=99)
        with pytest.raises(InvalidInput, match="exactly one"):
            ed.rollback()
    with pytest.raises(Unauthorized, match="invalid API token"):
        Client(service.url, "kge_wrong").facts("France")
