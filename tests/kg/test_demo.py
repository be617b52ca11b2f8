"""The demo KG: the shipped CSV is consistent with the schema and is exactly what the builder regenerates."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from kg.demo import build_demo_triples, demo_csv_path, load_demo_triples, main, write_csv
from kg.errors import InvalidInput
from kg.ids import entity_id
from kg.schema import RelationSchema


@pytest.fixture(scope="module")
def triples() -> list[tuple[str, str, str]]:
    return load_demo_triples()


@pytest.fixture(scope="module")
def schema() -> RelationSchema:
    return RelationSchema.default()


def values_per(triples, relation, side):
    """Map each subject (side=0) or object (side=2) id of ``relation`` to the set of ids on the other side."""
    out = defaultdict(set)
    for fact in triples:
        if fact[1] == relation:
            out[entity_id(fact[side])].add(entity_id(fact[2 - side]))
    return out


class TestShippedCsv:
    """The shipped file is large, clean and agrees with the schema."""

    def test_size_and_header(self, triples):
        assert len(triples) >= 2000
        assert demo_csv_path().read_text(encoding="utf-8").splitlines()[0] == "subject,relation,object"

    def test_relations_are_canonical_schema_names(self, triples, schema):
        assert all(schema.get(r).name == r for r in {r for _, r, _ in triples})

    def test_no_duplicates_or_self_loops(self, triples):
        keys = [(entity_id(s), r, entity_id(o)) for s, r, o in triples]
        assert len(keys) == len(set(keys))
        assert [t for t in triples if entity_id(t[0]) == entity_id(t[2])] == []

    def test_single_valued_relations_have_one_object(self, triples, schema):
        for relation in {r for _, r, _ in triples}:
            card = schema.get(relation).cardinality
            if card.single_valued:
                bad = {s: o for s, o in values_per(triples, relation, 0).items() if len(o) > 1}
                assert bad == {}, relation
            if card.inverted.single_valued:  # one2one / one2many: an object has one subject
                bad = {o: s for o, s in values_per(triples, relation, 2).items() if len(s) > 1}
                assert bad == {}, relation

    def test_symmetric_relations_are_closed(self, triples, schema):
        facts = set(triples)
        for s, r, o in triples:
            if schema.get(r).symmetric:
                assert (o, r, s) in facts

    def test_entity_roles_do_not_collide(self, triples):
        roles = {"country": {s for s, r, _ in triples if r == "region"},
                 "city": {o for _, r, o in triples if r == "capital"},
                 "language": {o for _, r, o in triples if r == "official_language"},
                 "currency": {o for _, r, o in triples if r == "currency"}}
        ids = {role: {entity_id(n) for n in names} for role, names in roles.items()}
        names = list(ids)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert ids[a] & ids[b] == set(), (a, b)

    @pytest.mark.parametrize("fact", [
        ("France", "capital", "Paris"), ("Paris", "located_in", "France"), ("France", "currency", "Euro"),
        ("France", "official_language", "French"), ("France", "continent", "Europe"),
        ("France", "region", "Europe"), ("France", "subregion", "Western Europe"), ("France", "borders", "Germany"),
        ("France", "calling_code", "+33"), ("France", "top_level_domain", ".fr"),
        ("Brazil", "continent", "South America"), ("Jamaica", "capital", "Kingston"),
        ("Jamaica", "calling_code", "+1-876"), ("Japan", "currency", "Japanese yen"),
    ])
    def test_known_facts(self, triples, fact):
        assert fact in set(triples)

    @pytest.mark.parametrize("fact", [
        ("Serbia and Montenegro", "capital", "Belgrade"),  # dissolved state
        ("Norfolk Island", "capital", "Kingston"),  # the name goes to the more populous claimant
        ("Chad", "borders", "South Sudan"),  # one-sided (wrong) border claim
        ("Singapore", "capital", "Singapore"),  # self-loop
    ])
    def test_cleaned_out(self, triples, fact):
        assert fact not in set(triples)


class TestRegenerate:
    """Rebuilding from countryinfo gives the shipped file byte for byte."""

    def test_builder_matches_shipped_file(self, tmp_path):
        out = tmp_path / "demo.csv"
        assert write_csv(build_demo_triples(), out) == len(load_demo_triples())
        assert out.read_bytes() == demo_csv_path().read_bytes()

    def test_cli_matches_shipped_file(self, tmp_path):
        out = tmp_path / "demo.csv"
        assert main(["--out", str(out)]) == 0
        assert out.read_bytes() == demo_csv_path().read_bytes()

    def test_load_rejects_bad_header(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("s,r,o\nFrance,capital,Paris\n", encoding="utf-8")
        with pytest.raises(InvalidInput):
            load_demo_triples(bad)


def record(name, a3, a2, **kw):
    base = {"name": name, "ISO": {"alpha3": a3, "alpha2": a2}, "region": "Europe", "subregion": "Western Europe",
            "languages": [], "currencies": [], "borders": [], "callingCodes": [], "tld": []}
    return base | kw


class TestCleaningRules:
    """The builder's cleaning rules, on a small hand-made data folder."""

    @pytest.fixture
    def facts(self, tmp_path):
        records = {
            "a.json": record("Aland", "AAA", "AA", capital="Port", population=10, borders=["BBB", "CCC"],
                             languages=["fr", "xx"], currencies=["EUR", "BOV"], callingCodes=["1242"],
                             tld=["ax."]),
            "b.json": record("Beland", "BBB", "BB", capital="Port", population=99, borders=["AA"],
                             callingCodes=["1"]),
            "c.json": record("Celand", "CCC", "CC", capital="Celand", region="Americas",
                             subregion="Latin America and the Caribbean", intermediateregion="South America"),
            "c2.json": {"name": "Celand, Old", "ISO": {"alpha3": "CCC"}, "capital": "Nowhere"},
            "d.json": record("Deland", "SCG", "DD", capital="Old Town"),
        }
        for file, rec in records.items():
            (tmp_path / file).write_text(json.dumps(rec), encoding="utf-8")
        return set(build_demo_triples(tmp_path))

    def test_rules(self, facts):
        assert ("Beland", "capital", "Port") in facts and ("Aland", "capital", "Port") not in facts
        assert ("Aland", "borders", "Beland") in facts and ("Beland", "borders", "Aland") in facts  # alpha-2 ok
        assert not any(s == "Aland" and o == "Celand" for s, _, o in facts)  # one-sided
        assert {o for s, r, o in facts if s == "Aland" and r == "official_language"} == {"French"}
        assert {o for s, r, o in facts if s == "Aland" and r == "currency"} == {"Euro"}
        assert ("Aland", "calling_code", "+1-242") in facts
        assert ("Aland", "top_level_domain", ".ax") in facts  # dot re-anchored
        assert ("Celand", "continent", "South America") in facts
        assert not any(s == "Celand" and r == "capital" for s, r, _ in facts)  # same-name capital
        assert not any("Deland" in (s, o) or "Celand, Old" in (s, o) for s, _, o in facts)
