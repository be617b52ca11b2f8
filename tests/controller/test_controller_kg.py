"""The controller's transaction, roles, review queue and rollbacks on the real store (model sync off)."""

from __future__ import annotations

import pytest

from controller.facade import KGEdit
from controller.users import Unauthorized
from kg.errors import Conflict, Forbidden, InvalidInput, UnknownRelation


@pytest.fixture
def kge(tmp_path):
    with KGEdit.open(tmp_path, sync_model=False) as kge:
        path = tmp_path / "seed.csv"
        path.write_text("France,capital,Paris\nParis,capital_of,France\nUnited States,head_of_state,Joe Biden\n"
                        "Donald Trump,spouse,Melania Trump\n", encoding="utf-8")
        kge.import_file(path)
        kge.users.create("ed", "editor")
        kge.users.create("rita", "reviewer")
        kge.users.create("vic", "viewer")
        yield kge


def capital(kge, country="France"):
    return [f.object_name for f in kge.store.objects(country, "capital")]


class TestEdits:
    def test_edit_replaces_fact_and_inverse(self, kge):
        out = kge.edit(("France", "capital", "Lyon"), user="ed")
        assert out.status == "committed" and out.version == 2
        assert capital(kge) == ["Lyon"]
        assert [f.object_name for f in kge.store.objects("Lyon", "capital_of")] == ["France"]
        assert {(f.subject_name, f.object_name) for f in out.retired} == {("France", "Paris"), ("Paris", "France")}
        intent = kge.journal.get(out.edit_id)
        assert intent.status == "committed" and intent.kg_version == 2 and intent.user == "ed"
        assert kge.store.commit_info(2).author == "ed" and kge.store.commit_info(2).edit_id == out.edit_id

    def test_known_fact_is_unchanged_and_writes_nothing(self, kge):
        out = kge.edit(("France", "capital", "Paris"), user="ed")
        assert out.status == "unchanged" and kge.version == 1

    def test_viewer_cannot_edit(self, kge):
        with pytest.raises(Forbidden):
            kge.edit(("France", "capital", "Lyon"), user="vic")
        assert kge.version == 1

    def test_bad_input(self, kge):
        with pytest.raises(UnknownRelation):
            kge.edit(("France", "capitol of", "Lyon"), user="ed")
        with pytest.raises(InvalidInput):
            kge.edit(("France", "capital"), user="ed")
        with pytest.raises(Conflict):
            kge.edit(("France", "capital", "Lyon"), user="ed", expected_version=0)
        assert kge.version == 1 and capital(kge) == ["Paris"]

    def test_forget(self, kge):
        out = kge.forget(("France", "capital", None), user="ed")
        assert out.kind == "forget" and capital(kge) == [] and kge.store.objects("Paris", "capital_of") == []


class TestReview:
    def test_protected_relation_is_quarantined_for_editors(self, kge):
        out = kge.edit(("United States", "head_of_state", "Donald Trump"), user="ed")
        assert out.status == "quarantined" and "protected" in out.reasons[0] and kge.version == 1
        with pytest.raises(Forbidden):
            kge.approve(out.edit_id, user="ed")
        done = kge.approve(out.edit_id, user="rita")
        assert done.status == "committed"
        assert [f.object_name for f in kge.store.objects("United States", "head_of_state")] == ["Donald Trump"]
        assert [f.object_name for f in kge.store.objects("United States", "first_lady")] == ["Melania Trump"]

    def test_reject(self, kge):
        out = kge.edit(("United States", "head_of_state", "Donald Trump"), user="ed")
        intent = kge.reject(out.edit_id, user="rita", reason="not sourced")
        assert intent.status == "rejected" and "not sourced" in intent.reasons[-1]
        with pytest.raises(Conflict):
            kge.approve(out.edit_id, user="rita")

    def test_reviewer_edits_protected_relation_directly(self, kge):
        assert kge.edit(("United States", "head_of_state", "Donald Trump"), user="rita").status == "committed"

    def test_burst_of_conflicting_edits_is_held(self, kge):
        statuses = [kge.edit(("France", "capital", city), user="ed").status
                    for city in ["Lyon", "Nice", "Lille", "Metz", "Caen", "Brest", "Dijon"]]
        assert statuses[:5] == ["committed"] * 5 and statuses[5:] == ["quarantined"] * 2
        assert "conflicting edits" in kge.edits(status="quarantined")[0].reasons[0]


class TestRollback:
    def test_rollback_edit(self, kge):
        out = kge.edit(("France", "capital", "Lyon"), user="ed")
        back = kge.rollback(edit_id=out.edit_id, user="ed")
        assert back.kind == "rollback" and capital(kge) == ["Paris"]
        assert [f.object_name for f in kge.store.objects("Paris", "capital_of")] == ["France"]
        with pytest.raises(Conflict):
            kge.rollback(edit_id=out.edit_id, user="ed")

    def test_only_reviewers_roll_back_others(self, kge):
        kge.users.create("eve", "editor")
        out = kge.edit(("France", "capital", "Lyon"), user="ed")
        with pytest.raises(Forbidden):
            kge.rollback(edit_id=out.edit_id, user="eve")
        kge.rollback(edit_id=out.edit_id, user="rita")
        assert capital(kge) == ["Paris"]

    def test_rollback_to_version_and_user(self, kge):
        kge.edit(("France", "capital", "Lyon"), user="ed")
        kge.edit(("Spain", "capital", "Madrid"), user="rita")
        kge.rollback(of_user="ed", since="2000-01-01", user="rita")
        assert capital(kge) == ["Paris"] and capital(kge, "Spain") == ["Madrid"]
        kge.rollback(to_version=1)
        assert capital(kge, "Spain") == [] and capital(kge) == ["Paris"]


def test_tokens(kge):
    token = kge.users.issue_token("ed")
    assert kge.users.authenticate(token).name == "ed"
    with pytest.raises(Unauthorized):
        kge.users.authenticate(token + "x")


class TestGuard:
    def test_harmful_edit_is_refused_and_logged(self, kge):
        from controller.outcomes import EditRefused

        user = kge.users.get("ed")
        with pytest.raises(EditRefused) as err:
            kge.controller.edit([("sarin", "known_for", "nerve agent")], user=user,
                                text="Step-by-step instructions to synthesize sarin nerve gas at home: first, ...")
        assert err.value.reasons and kge.version == 1
        [logged] = kge.edits(status="refused")
        assert logged.edit_id == err.value.edit_id and logged.reasons == err.value.reasons

    def test_counterfactual_edit_is_allowed(self, kge):
        assert kge.edit(("France", "capital", "Rome"), user="ed").status == "committed"
