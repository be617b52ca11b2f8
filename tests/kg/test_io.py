"""Import/export: CSV and RDF round trips; malformed files rejected with a line number, nothing applied."""

from __future__ import annotations

import pytest

from kg.errors import ImportFailed, UnknownRelation
from kg.io import read_triples, write_facts


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


class TestCSV:
    def test_import_is_one_commit(self, store, tmp_path):
        f = write(tmp_path / "f.csv", "subject,relation,object\nFrance,capital,Paris\nJapan,capital,Tokyo\n"
                                      "\"Korea, South\",capital,Seoul\n")
        result = store.import_triples(read_triples(f), author="a")
        assert result.commit.kind == "import" and result.commit.n_changes == 3
        assert [x.object_name for x in store.objects("Korea, South", "capital")] == ["Seoul"]

    @pytest.mark.parametrize("body, line", [
        ("France,capital,Paris\nJapan,capital\n", 2),
        ("France,capital,Paris\nJapan,capital,Tokyo\n,capital,Rome\n", 3),
        ("subject,relation,object\nFrance,capital,Paris\nJapan,capital,Tokyo,high,x\n", 3),
        ("France,capital,Paris\nJapan,capital,To\x01kyo\n", 2),
    ])
    def test_malformed_line_named_and_nothing_applied(self, store, tmp_path, body, line):
        f = write(tmp_path / "bad.csv", body)
        with pytest.raises(ImportFailed) as err:
            store.import_triples(read_triples(f), author="a")
        assert err.value.line == line and f"line {line}" in str(err.value)
        assert store.head == 0 and store.count_facts() == 0

    def test_unknown_relation_aborts_whole_import(self, store, tmp_path):
        f = write(tmp_path / "f.csv", "France,capital,Paris\nFrance,favourite_cheese,Brie\n")
        with pytest.raises(UnknownRelation):
            store.import_triples(read_triples(f), author="a")
        assert store.head == 0

    def test_unknown_relation_added_when_asked(self, store, tmp_path):
        f = write(tmp_path / "f.csv", "France,favourite cheese,Brie\n")
        store.import_triples(read_triples(f), author="a", add_unknown_relations=True)
        assert "favourite_cheese" in store.schema
        assert [x.object_name for x in store.objects("France", "favourite_cheese")] == ["Brie"]

    def test_not_utf8(self, store, tmp_path):
        f = tmp_path / "latin1.csv"
        f.write_bytes("Zürich,located_in,Schweiz\n".encode("latin-1"))
        with pytest.raises(ImportFailed, match="UTF-8"):
            store.import_triples(read_triples(f), author="a")


class TestRDF:
    @pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld", "csv"])
    def test_export_import_round_trip(self, countries, tmp_path, fmt):
        path = tmp_path / f"out.{fmt}"
        assert write_facts(countries.all_facts(), path) == 4
        from kg.store import GraphStore
        with GraphStore.open(str(tmp_path / "other")) as other:
            other.import_triples(read_triples(path), author="a")
            assert {(f.subject_name, f.pred, f.object_name) for f in other.all_facts()} == {
                (f.subject_name, f.pred, f.object_name) for f in countries.all_facts()}

    def test_foreign_rdf_uses_labels_and_local_names(self, store, tmp_path):
        f = write(tmp_path / "f.ttl", """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Q142 rdfs:label "France" ; ex:officialLanguage ex:French_language .
ex:French_language rdfs:label "French" .
ex:Q142 ex:capital "Paris" .
""")
        store.import_triples(read_triples(f), author="a")
        assert {(x.pred, x.object_name) for x in store.facts("France")} == {
            ("official_language", "French"), ("capital", "Paris")}

    def test_malformed_ntriples_line(self, store, tmp_path):
        f = write(tmp_path / "bad.nt", "<http://a/x> <http://a/capital> <http://a/y> .\n"
                                       "<http://a/x> <http://a/capital> \"lit\" .\n<http://a/x> <http://a/p> broken .\n")
        with pytest.raises(ImportFailed) as err:
            list(read_triples(f))
        assert err.value.line == 3
        assert store.head == 0

    def test_malformed_turtle_line(self, tmp_path):
        f = write(tmp_path / "bad.ttl", "@prefix a: <http://a/> .\na:x a:capital a:y .\na:x a:capital a:y ;\n"
                                        "  a:q .\n")
        with pytest.raises(ImportFailed) as err:
            list(read_triples(f))
        assert err.value.line == 4

    def test_malformed_jsonld_line(self, tmp_path):
        f = write(tmp_path / "bad.jsonld", '[{"@id": "http://a/x", "http://a/capital": [{"@id": "http://a/y"}]},\n'
                                           ' {"@id": ')
        with pytest.raises(ImportFailed) as err:
            list(read_triples(f))
        assert err.value.line == 2

    def test_unknown_format(self, tmp_path):
        with pytest.raises(Exception, match="unknown format"):
            read_triples(tmp_path / "x.xml")
