"""Every Cypher statement the service itself runs, in one place, always parameterised.

They use the subset that runs unchanged on LadybugDB and on Neo4j-compatible servers. ``$at`` is the version
a read looks at; :data:`VISIBLE` is the visibility rule of DESIGN.md written for a relationship named ``f``.
"""

from __future__ import annotations


def visible(rel: str) -> str:
    """The predicate 'relationship ``rel`` is visible at version $at'."""
    return f"({rel}.valid_from <= $at AND ({rel}.valid_to IS NULL OR {rel}.valid_to > $at))"


VISIBLE = visible("f")

_FACT_FIELDS = (
    "f.id AS id, a.id AS subject, a.name AS subject_name, f.pred AS pred, b.id AS object, b.name AS object_name, "
    "f.valid_from AS valid_from, f.valid_to AS valid_to, f.edit_id AS edit_id, f.author AS author, "
    "f.confidence AS confidence, f.source AS source"
)

HEAD = "MATCH (c:Commit) RETURN max(c.version) AS head"

FACTS_OUT = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $id AND {VISIBLE} RETURN {_FACT_FIELDS}"
FACTS_IN = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE b.id = $id AND {VISIBLE} RETURN {_FACT_FIELDS}"
FACTS_OF_PAIR = (
    f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND f.pred = $pred AND {VISIBLE} RETURN {_FACT_FIELDS}"
)
FACT_BY_ID = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND f.id = $id RETURN {_FACT_FIELDS}"
FACTS_BY_PRED = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.pred = $pred AND {VISIBLE} RETURN {_FACT_FIELDS}"
ALL_FACTS = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE {VISIBLE} RETURN {_FACT_FIELDS} ORDER BY f.id"
COUNT_FACTS = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE {VISIBLE} RETURN count(*) AS n"


def neighbourhood(depth: int, direction: str) -> str:
    """Facts one step beyond the entities within ``depth - 1`` hops of ``$id`` (``direction``: out | in).

    The frontier is reached with a fixed-length undirected pattern; walks may return along an edge, so the
    frontier at depth d also holds every entity nearer than d. Two such queries (out, in) give every fact within
    ``depth`` hops, which is faster on both backends than a filtered variable-length pattern.
    """
    hops = [f"-[f{i}:FACT]-(n{i + 1}:Entity)" for i in range(depth - 1)]
    where = " AND ".join(["n0.id = $id"] + [visible(f"f{i}") for i in range(depth - 1)])
    frontier = f"MATCH (n0:Entity){''.join(hops)} WHERE {where} WITH DISTINCT n{depth - 1} AS a"
    step = "MATCH (a)-[f:FACT]->(b:Entity)" if direction == "out" else "MATCH (b:Entity)-[f:FACT]->(a)"
    fields = _FACT_FIELDS if direction == "out" else _FACT_FIELDS.replace("a.", "TMP.").replace(
        "b.", "a.").replace("TMP.", "b.")
    return f"{frontier} {step} WHERE {VISIBLE} RETURN {fields}"


ENTITY = "MATCH (e:Entity) WHERE e.id = $id RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang"
ENTITIES_BY_IDS = (
    "UNWIND $ids AS x MATCH (e:Entity) WHERE e.id = x "
    "RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang"
)
ENTITY_BY_NAME = (
    "MATCH (e:Entity) WHERE lower(e.name) = lower($name) "
    "RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang"
)
ALL_ENTITIES = "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang ORDER BY e.id"

CREATE_COMMIT = (
    "CREATE (c:Commit {version: $version, edit_id: $edit_id, parent: $parent, author: $author, ts: $ts, "
    "kind: $kind, message: $message, n_changes: $n_changes, reverts: $reverts})"
)
_COMMIT_FIELDS = (
    "c.version AS version, c.edit_id AS edit_id, c.parent AS parent, c.author AS author, c.ts AS ts, "
    "c.kind AS kind, c.message AS message, c.n_changes AS n_changes, c.reverts AS reverts"
)
COMMIT = f"MATCH (c:Commit) WHERE c.version = $version RETURN {_COMMIT_FIELDS}"
COMMITS_BETWEEN = (
    f"MATCH (c:Commit) WHERE c.version > $after AND c.version <= $upto RETURN {_COMMIT_FIELDS} ORDER BY c.version"
)
COMMITS_BY_EDIT = f"MATCH (c:Commit) WHERE c.edit_id = $edit_id RETURN {_COMMIT_FIELDS} ORDER BY c.version"

CHANGES_BY_IDS = (
    "UNWIND $ids AS x MATCH (c:Change) WHERE c.id = x "
    "RETURN c.id AS id, c.version AS version, c.op AS op, c.fact AS fact, c.s AS s, c.o AS o, c.pred AS pred"
)

# Retiring one fact: a point update through the subject's primary key (an UNWIND form scans every fact).
RETIRE_ONE = (
    "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND f.id = $id AND f.valid_to IS NULL "
    "SET f.valid_to = $version RETURN count(*) AS n"
)
# Retiring many facts at once: one scan over all facts with a hash join, cheaper than thousands of point updates.
RETIRE_MANY = (
    "UNWIND $ids AS x MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id = x AND f.valid_to IS NULL "
    "SET f.valid_to = $version RETURN count(*) AS n"
)

META_GET = "MATCH (m:Meta) WHERE m.key = $key RETURN m.value AS value"
META_SET = "MERGE (m:Meta {key: $key}) SET m.value = $value"

FACTS_BY_IDS = f"UNWIND $ids AS x MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id = x RETURN {_FACT_FIELDS}"
