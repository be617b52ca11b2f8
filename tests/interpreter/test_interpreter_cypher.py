"""Questions to Cypher: template shapes, parameters instead of interpolation, and the read-only check."""

from __future__ import annotations

import pytest

from interpreter import Interpreter, is_read_only
from interpreter.cypher import build_query
from interpreter.errors import UnsafeQuery
from interpreter.readonly import ensure_read_only, write_keywords
from interpreter.types import EntityRef, RelationRef, Triple
from kg.errors import ReadOnlyQuery


def _triple(s: EntityRef, r: str, o: EntityRef) -> Triple:
    return Triple(subject=s, relation=RelationRef(text=r, name=r, score=1.0, method="name"), object=o)


def _e(key: str) -> EntityRef:
    return EntityRef(text=key, id=key)


def _v(name: str) -> EntityRef:
    return EntityRef(text=f"?{name}", var=name)


class TestReadOnly:
    """The lexical check."""

    @pytest.mark.parametrize("cypher", [
        "MATCH (n:Entity) RETURN n",
        "MATCH (n) WHERE n.name = 'CREATE (x)' RETURN n",
        'MATCH (n) WHERE n.name = "DELETE \\" SET" RETURN n',
        "MATCH (n) RETURN n // then DROP everything",
        "MATCH (n) /* MERGE (m) */ RETURN n",
        "MATCH (`create`:Entity) RETURN `create`",
        "MATCH (n) WHERE n.set = $delete RETURN n.remove AS merge_count",
        "MATCH (n) RETURN {set: 1, create: 2}",
        "MATCH (a)-[f:FACT]->(b) WHERE f.valid_to IS NULL RETURN DISTINCT b.id AS id",
        "MATCH (n:Create) RETURN count(n)",
    ])
    def test_reads_pass(self, cypher: str) -> None:
        assert is_read_only(cypher), write_keywords(cypher)

    @pytest.mark.parametrize("cypher,keyword", [
        ("CREATE (n:Entity {id: 'x'})", "CREATE"),
        ("MATCH (n) SET n.name = 'x'", "SET"),
        ("MATCH (n) DETACH DELETE n", "DETACH"),
        ("match (n) delete n", "DELETE"),
        ("MERGE (n:Entity {id: $id})", "MERGE"),
        ("MATCH (n) REMOVE n:Entity", "REMOVE"),
        ("DROP TABLE Entity", "DROP"),
        ("LOAD CSV FROM 'file:///x' AS row RETURN row", "LOAD"),
        ("COPY Entity FROM 'x.csv'", "COPY"),
        ("MATCH (n) FOREACH (x IN [1] | SET n.a = x)", "FOREACH"),
        ("CALL db.labels()", "CALL"),
        ("MATCH (n) RETURN n UNION MATCH (m) DELETE m", "DELETE"),
        ("MATCH (n) RETURN apoc.create.node(['X'], {})", "NAMESPACED CALL"),
        ("MATCH (n) WHERE n.name = 'unterminated RETURN n", "UNTERMINATED"),
        ("MATCH (n) /* never closed DELETE n", "UNTERMINATED"),
        ("MATCH (n)\nSET\tn.x = 1", "SET"),
    ])
    def test_writes_refused(self, cypher: str, keyword: str) -> None:
        assert not is_read_only(cypher)
        assert keyword in write_keywords(cypher)
        with pytest.raises(UnsafeQuery) as info:
            ensure_read_only(cypher)
        assert isinstance(info.value, ReadOnlyQuery) and info.value.http_status == 403


class TestBuildQuery:
    """The query builder."""

    def test_one_hop(self) -> None:
        q = build_query([_triple(_e("france"), "capital", _v("a"))], answer="a")
        assert q.template == "one_hop"
        assert q.params == {"e0": "france", "p0": "capital"}
        assert "f0.valid_to IS NULL" in q.cypher and "RETURN DISTINCT n1.id AS id" in q.cypher

    def test_chain_shares_the_join_node(self) -> None:
        q = build_query([_triple(_e("france"), "capital", _v("x")), _triple(_v("x"), "mayor", _v("a"))], answer="a")
        assert q.template == "chain"
        assert "(n0:Entity)-[f0:FACT]->(n1:Entity), (n1)-[f1:FACT]->(n2:Entity)" in q.cypher
        assert q.params == {"e0": "france", "p0": "capital", "p1": "mayor"}

    def test_whose_binds_the_object(self) -> None:
        q = build_query([_triple(_v("x"), "capital", _e("paris")), _triple(_v("x"), "currency", _v("a"))], answer="a")
        assert "n1.id = $e0" in q.cypher and q.params["e0"] == "paris"
        assert q.cypher.endswith("RETURN DISTINCT n2.id AS id, n2.name AS name")

    def test_check_returns_a_boolean(self) -> None:
        q = build_query([_triple(_e("france"), "capital", _e("paris"))], answer=None)
        assert q.template == "check" and q.cypher.endswith("RETURN count(*) > 0 AS holds")

    def test_values_never_enter_the_text(self) -> None:
        nasty = "x' }) DETACH DELETE n //"
        q = build_query([_triple(_e(nasty), "capital", _v("a"))], answer="a")
        assert nasty not in q.cypher and q.params["e0"] == nasty and is_read_only(q.cypher)

    def test_bad_patterns(self) -> None:
        with pytest.raises(ValueError):
            build_query([], answer="a")
        with pytest.raises(ValueError):
            build_query([_triple(_e("france"), "capital", _v("a"))], answer="zzz")


class TestQuestions:
    """Questions become intents that carry a checked query."""

    @pytest.mark.parametrize("text,template", [
        ("What is the capital of France?", "one_hop"),
        ("法国的首都是哪里？", "one_hop"),
        ("What is the currency of the country whose capital is Paris?", "chain"),
        ("What is the capital of the country that borders Spain?", "chain"),
        ("首都是巴黎的国家的货币是什么？", "chain"),
        ("Is Paris the capital of France?", "check"),
    ])
    def test_templates(self, interpreter: Interpreter, text: str, template: str) -> None:
        (intent,) = interpreter.interpret(text).intents
        assert intent.kind == "query" and intent.query is not None
        assert intent.query.template == template and is_read_only(intent.query.cypher)
        assert "$" in intent.query.cypher and all(v not in intent.query.cypher for v in intent.query.params.values())

    def test_three_hops_are_not_guessed(self, interpreter: Interpreter) -> None:
        """No template covers three hops; a description must not become an entity id. The rules leave it to
        the LLM path, or to a chat turn when there is no LLM."""
        result = interpreter.interpret("Who is the mayor of the capital of the country that borders Spain?",
                                       mode="rules")
        assert [i.kind for i in result.intents] == ["ask"]

    def test_query_params_use_linked_ids(self, interpreter: Interpreter) -> None:
        (intent,) = interpreter.interpret("Who is the prime minister of the UK?").intents
        assert intent.query.params == {"e0": "united_kingdom", "p0": "head_of_government"}
