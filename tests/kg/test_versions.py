"""Versions on the real embedded store: time travel, diff, rollback of a commit and to a version."""

from __future__ import annotations

import pytest

from kg.errors import Conflict, InvalidInput, NotFound, UnknownRelation
from tests.kg.conftest import T


def current_capital(store, country, at=None):
    return [f.object_name for f in store.objects(country, "capital", at=at)]


def replace_capital(store, country, new, author="bob"):
    old = store.objects(country, "capital")
    return store.commit(add=[T(country, "capital", new)], retire=old, author=author)


class TestCommits:
    def test_versions_are_gap_free_from_one(self, countries):
        replace_capital(countries, "France", "Lyon")
        countries.commit(add=[T("Spain", "capital", "Madrid")], author="carol")
        assert [c.version for c in countries.log()] == [3, 2, 1]
        assert [c.parent for c in countries.log()] == [2, 1, 0]

    def test_commit_records_author_kind_and_changes(self, countries):
        result = replace_capital(countries, "France", "Lyon", author="bob")
        assert result.commit.author == "bob" and result.commit.kind == "edit"
        assert result.commit.n_changes == 2
        assert [f.object_name for f in result.added] == ["Lyon"]
        assert [f.object_name for f in result.retired] == ["Paris"]

    def test_unknown_relation_names_nearest(self, store):
        with pytest.raises(UnknownRelation) as err:
            store.commit(add=[T("France", "captial", "Paris")], author="a")
        assert "capital" in err.value.suggestions
        assert store.head == 0

    def test_expected_version_conflict(self, countries):
        with pytest.raises(Conflict):
            countries.commit(add=[T("Spain", "capital", "Madrid")], author="a", expected_version=0)
        assert countries.head == 1

    def test_readding_visible_fact_is_refused_not_duplicated(self, countries):
        with pytest.raises(InvalidInput):
            countries.commit(add=[T("France", "capital", "Paris")], author="a")
        assert current_capital(countries, "France") == ["Paris"]

    def test_retiring_invisible_fact_changes_nothing(self, countries):
        old = countries.objects("France", "capital")
        replace_capital(countries, "France", "Lyon")
        with pytest.raises(InvalidInput):
            countries.commit(add=[T("Spain", "capital", "Madrid")], retire=old, author="a")
        assert countries.head == 2 and current_capital(countries, "Spain") == []


class TestTimeTravel:
    def test_reads_at_every_version(self, countries):
        replace_capital(countries, "France", "Lyon")
        replace_capital(countries, "France", "Marseille")
        assert current_capital(countries, "France", at=0) == []
        assert current_capital(countries, "France", at=1) == ["Paris"]
        assert current_capital(countries, "France", at=2) == ["Lyon"]
        assert current_capital(countries, "France") == ["Marseille"]

    def test_facts_and_cypher_at_version(self, countries):
        replace_capital(countries, "France", "Lyon")
        old = {f.object_name for f in countries.facts("France", at=1)}
        assert old == {"Paris", "French"}
        rows = countries.query("MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND f.pred = 'capital' "
                               "AND visible(f) RETURN b.name AS name", {"s": "france"}, at=1)
        assert rows == [{"name": "Paris"}]

    def test_unknown_version_is_not_found(self, countries):
        with pytest.raises(NotFound):
            countries.facts("France", at=7)

    def test_history_is_kept(self, countries):
        replace_capital(countries, "France", "Lyon")
        rows = countries.query("MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = 'france' AND "
                               "f.pred = 'capital' RETURN b.name AS name, f.valid_from AS vf, f.valid_to AS vt "
                               "ORDER BY vf")
        assert rows == [{"name": "Paris", "vf": 1, "vt": 2}, {"name": "Lyon", "vf": 2, "vt": None}]


class TestDiff:
    def test_diff_both_directions(self, countries):
        replace_capital(countries, "France", "Lyon")
        d = countries.diff(1, 2)
        assert [f.object_name for f in d.added] == ["Lyon"]
        assert [f.object_name for f in d.removed] == ["Paris"]
        back = countries.diff(2, 1)
        assert [f.object_name for f in back.added] == ["Paris"]
        assert [f.object_name for f in back.removed] == ["Lyon"]

    def test_diff_nets_out_intermediate_changes(self, countries):
        replace_capital(countries, "France", "Lyon")
        replace_capital(countries, "France", "Paris")
        d = countries.diff(1, 3)
        assert [(f.subject_name, f.object_name) for f in d.added] == [("France", "Paris")]
        assert [(f.subject_name, f.object_name) for f in d.removed] == [("France", "Paris")]
        assert countries.diff(2, 2).added == []

    def test_diff_from_empty(self, countries):
        assert len(countries.diff(0, 1).added) == 4


class TestRollback:
    def test_rollback_one_commit(self, countries):
        replace_capital(countries, "France", "Lyon")
        result = countries.rollback_commit(2, author="admin")
        assert result.commit.kind == "rollback" and result.commit.reverts == 2
        assert current_capital(countries, "France") == ["Paris"]
        assert current_capital(countries, "France", at=2) == ["Lyon"]  # history intact
        assert countries.head == 3

    def test_rollback_commit_after_later_unrelated_commits(self, countries):
        replace_capital(countries, "France", "Lyon")
        countries.commit(add=[T("Spain", "capital", "Madrid")], author="carol")
        replace_capital(countries, "Germany", "Bonn")
        countries.rollback_commit(2, author="admin")
        assert current_capital(countries, "France") == ["Paris"]
        assert current_capital(countries, "Spain") == ["Madrid"]
        assert current_capital(countries, "Germany") == ["Bonn"]

    def test_rollback_to_version(self, countries):
        v1 = {f.key for f in countries.all_facts()}
        replace_capital(countries, "France", "Lyon")
        countries.commit(add=[T("Spain", "capital", "Madrid")], author="carol")
        countries.rollback_to(1, author="admin")
        assert {f.key for f in countries.all_facts()} == v1
        assert countries.diff(1, countries.head).added == [] or {
            f.key for f in countries.diff(1, countries.head).added} == {
            f.key for f in countries.diff(1, countries.head).removed}

    def test_rollback_twice_is_refused(self, countries):
        replace_capital(countries, "France", "Lyon")
        countries.rollback_commit(2, author="admin")
        with pytest.raises(InvalidInput):
            countries.rollback_commit(2, author="admin")

    def test_rollback_of_rollback_redoes(self, countries):
        replace_capital(countries, "France", "Lyon")
        countries.rollback_commit(2, author="admin")
        countries.rollback_commit(3, author="admin")
        assert current_capital(countries, "France") == ["Lyon"]

    def test_rollback_does_not_resurrect_a_fact_visible_again(self, countries):
        replace_capital(countries, "France", "Lyon")
        replace_capital(countries, "France", "Paris")
        with pytest.raises(InvalidInput):  # Lyon is already retired and Paris already back
            countries.rollback_commit(2, author="admin")
        assert current_capital(countries, "France") == ["Paris"] and countries.head == 3

    def test_rollback_of_unknown_commit(self, countries):
        with pytest.raises(NotFound):
            countries.rollback_commit(9, author="admin")


class TestNeighbourhood:
    def test_one_and_two_hops(self, countries):
        countries.commit(add=[T("Paris", "located_in", "Île-de-France")], author="a")
        one = {(f.subject_name, f.object_name) for f in countries.neighbourhood("Paris", depth=1)}
        assert one == {("France", "Paris"), ("Paris", "Île-de-France")}
        two = {(f.subject_name, f.object_name) for f in countries.neighbourhood("Paris", depth=2)}
        assert two == one | {("France", "French")}

    def test_neighbourhood_at_version(self, countries):
        replace_capital(countries, "France", "Lyon")
        assert {f.object_name for f in countries.neighbourhood("France", at=1)} == {"Paris", "French"}
