"""User Cypher: parameters, read-only by default, writes only when asked."""

from __future__ import annotations

import pytest

from kg.cypher_guard import write_clauses
from kg.errors import ReadOnlyQuery, StoreError


class TestReadOnly:
    @pytest.mark.parametrize("cypher", [
        "CREATE (:Entity {id: 'x'})",
        "MERGE (e:Entity {id: 'france'}) RETURN e",
        "MATCH (e:Entity) WHERE e.id = 'france' SET e.name = 'X'",
        "MATCH (e:Entity) WHERE e.id = 'france' DETACH DELETE e",
        "MATCH ()-[f:FACT]->() DELETE f",
        "match (e:Entity) set e.lang = 'fr'",
        "MATCH (e:Entity) REMOVE e.name",
        "DROP TABLE Entity",
    ])
    def test_write_clauses_refused_and_nothing_changes(self, countries, cypher):
        before = countries.query("MATCH (e:Entity) RETURN e.id AS id, e.name AS name ORDER BY id")
        with pytest.raises(ReadOnlyQuery):
            countries.query(cypher)
        assert countries.query("MATCH (e:Entity) RETURN e.id AS id, e.name AS name ORDER BY id") == before

    def test_keywords_in_strings_and_properties_are_fine(self, countries):
        rows = countries.query("MATCH (e:Entity) WHERE e.name <> 'CREATE SET DELETE' RETURN count(*) AS n")
        assert rows == [{"n": 6}]
        assert write_clauses("MATCH (n) RETURN n.set, n.create // MERGE") == []

    def test_store_enforces_read_only_even_if_lexer_misses(self, countries):
        with pytest.raises(StoreError):
            countries.backend.run_read_only("CREATE (:Entity {id: 'sneaky'})")
        assert countries.query("MATCH (e:Entity) WHERE e.id = 'sneaky' RETURN e.id") == []

    def test_parameters(self, countries):
        rows = countries.query("MATCH (e:Entity) WHERE e.id IN $ids RETURN e.name AS name ORDER BY name",
                               {"ids": ["france", "paris"]})
        assert rows == [{"name": "France"}, {"name": "Paris"}]

    def test_write_when_asked(self, countries):
        countries.query("MATCH (e:Entity) WHERE e.id = 'paris' SET e.lang = 'fr'", write=True)
        assert countries.entity("Paris").lang == "fr"

    def test_bad_cypher_is_a_store_error(self, countries):
        with pytest.raises(StoreError):
            countries.query("MATCH (e:Entity RETURN e")

    @pytest.mark.backends("ladybug")  # Neo4j (and ArcadeDB) answer an unknown label with no rows, not an error
    def test_unknown_table_is_a_store_error(self, countries):
        with pytest.raises(StoreError):
            countries.query("MATCH (e:Nope) RETURN e")
