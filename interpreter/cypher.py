"""Questions to Cypher: a triple pattern (entities bound by id, or variables) becomes one parameterised,
read-only query over ``(:Entity)-[:FACT {pred, valid_to}]->(:Entity)``, looking at current facts only.

Values never enter the query text: entity ids and relation names travel as ``$e0``, ``$p0`` parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from interpreter.readonly import ensure_read_only
from interpreter.types import CypherQuery, EntityRef, Triple


def build_query(pattern: Sequence[Triple], *, answer: str | None) -> CypherQuery:
    """Compile ``pattern`` into a query returning the ``answer`` variable's entities, or a yes/no check.

    The template name records the shape: ``one_hop``, ``chain`` (two or more hops), ``check`` (no variable).

    Raises:
        ValueError: the pattern is empty, a triple has no object, or ``answer`` is not one of its variables.
        UnsafeQuery: the compiled query is not read-only (a defect; refused before anything runs).

    >>> from interpreter.types import RelationRef
    >>> t = Triple(subject=EntityRef(text="France", id="france"), object=EntityRef(text="?", var="a"),
    ...            relation=RelationRef(text="capital", name="capital", score=1.0, method="alias"))
    >>> q = build_query([t], answer="a")
    >>> q.cypher
    'MATCH (n0:Entity)-[f0:FACT]->(n1:Entity) WHERE n0.id = $e0 AND f0.pred = $p0 AND f0.valid_to IS NULL RETURN DISTINCT n1.id AS id, n1.name AS name'
    >>> q.params
    {'e0': 'france', 'p0': 'capital'}
    """
    if not pattern:
        raise ValueError("an empty pattern asks nothing")
    nodes = _NodeNames()
    matches, where, params = [], [], {}
    for i, triple in enumerate(pattern):
        if triple.object is None:
            raise ValueError("a query triple needs an object (an entity or a variable)")
        s, o = nodes.name(triple.subject, where, params), nodes.name(triple.object, where, params)
        matches.append(f"({s}{nodes.label(s)})-[f{i}:FACT]->({o}{nodes.label(o)})")
        where += [f"f{i}.pred = $p{i}", f"f{i}.valid_to IS NULL"]
        params[f"p{i}"] = triple.relation.name
    cypher = f"MATCH {', '.join(matches)} WHERE {' AND '.join(_ordered(where))} {_returning(nodes, answer)}"
    template = "check" if answer is None else ("one_hop" if len(pattern) == 1 else "chain")
    return CypherQuery(cypher=ensure_read_only(cypher), params=params, template=template, answer=answer)


class _NodeNames:
    """Gives each distinct entity or variable one node name (n0, n1, ...) and labels it once."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}
        self.labelled: set[str] = set()

    def name(self, ref: EntityRef, where: list[str], params: dict[str, object]) -> str:
        if ref.key in self.by_key:
            return self.by_key[ref.key]
        node = f"n{len(self.by_key)}"
        self.by_key[ref.key] = node
        if ref.id is not None:
            param = f"e{sum(1 for k in self.by_key if not k.startswith('?')) - 1}"
            where.append(f"{node}.id = ${param}")
            params[param] = ref.id
        return node

    def label(self, node: str) -> str:
        # Label a node the first time it appears; repeating ":Entity" on a reused variable is an error in some
        # Cypher dialects.
        if node in self.labelled:
            return ""
        self.labelled.add(node)
        return ":Entity"


def _ordered(where: list[str]) -> list[str]:
    # Entity bindings first, then relationship predicates: reads naturally and keeps the text stable.
    return [w for w in where if ".id = " in w] + [w for w in where if ".id = " not in w]


def _returning(nodes: _NodeNames, answer: str | None) -> str:
    if answer is None:
        return "RETURN count(*) > 0 AS holds"
    node = nodes.by_key.get(f"?{answer}")
    if node is None:
        raise ValueError(f"answer variable ?{answer} does not occur in the pattern")
    return f"RETURN DISTINCT {node}.id AS id, {node}.name AS name"
