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
COUNT_FACTS = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE {VISIBLE} RETURN count(*) AS total"


def neighbourhood(depth: int, direction: str, walk: tuple[str, ...] | None = None) -> str:
    """Facts one step (``direction``: out | in) beyond every walk of ``depth - 1`` hops from ``$id``, the walk's
    hops taken in the directions ``walk`` gives (one per hop; None: either way).

    Whether a walk may return along the relationship it came by differs between dialects: LadybugDB matches
    walks (so depth 2 also yields the depth-1 facts), Neo4j never binds one relationship twice in a pattern. Callers
    therefore take the union over both directions and every depth from 1 to ``depth`` (Neo4j: a shortest path to a
    fact's nearer end never uses that fact) or, where patterns match walks, over the last depth only (see
    ``GraphStore.neighbourhood``). Callers give the walk's directions: LadybugDB 0.22 drops the rows of an
    undirected hop taken backwards when a filter reads its properties (docs/kg.md). A fixed-length
    pattern is used rather than ``WITH DISTINCT`` or a filtered variable-length pattern: on LadybugDB those ran
    10-1000x slower. Rows repeat; callers de-duplicate by fact id.
    """
    walk = walk or ("any",) * (depth - 1)
    if len(walk) != depth - 1:
        raise ValueError(f"a {depth}-hop read walks {depth - 1} hops, not {len(walk)}")
    arrows = {"out": ("-", "->"), "in": ("<-", "-"), "any": ("-", "-")}
    hops = "".join(f"{arrows[d][0]}[w{i}:FACT]{arrows[d][1]}(n{i + 1}:Entity)" for i, d in enumerate(walk))
    where = " AND ".join(["n0.id = $id"] + [visible(f"w{i}") for i in range(depth - 1)] + [VISIBLE])
    end = f"n{depth - 1}"
    if direction == "out":
        return (f"MATCH (n0:Entity){hops}-[f:FACT]->(b:Entity) WHERE {where} "
                f"RETURN {_FACT_FIELDS.replace('a.', end + '.')}")
    return (f"MATCH (n0:Entity){hops}<-[f:FACT]-(a:Entity) WHERE {where} "
            f"RETURN {_FACT_FIELDS.replace('b.', end + '.')}")


def two_hop_walk(direction: str) -> str:
    """Facts one step (``direction``: out | in) beyond every neighbour of ``$id``, for stores whose patterns match
    walks (LadybugDB): the walk can come back along the relationship it went out by, so these rows hold the 1-hop
    facts too, and the two directions together are the whole 2-hop neighbourhood.

    The first hop is undirected and *unfiltered*: LadybugDB 0.22 drops the rows of an undirected hop taken
    backwards once a filter reads its properties (docs/kg.md). Its validity comes back as the last two
    columns, ``mid_from`` and ``mid_to``, for the caller to check (``GraphStore._walk_reads``). Two statements instead of one per direction of each
    hop halve the reads (rows repeat; callers de-duplicate by fact id).
    """
    far = "(b:Entity)" if direction == "out" else "(a:Entity)"
    near = "(a:Entity)" if direction == "out" else "(b:Entity)"
    arrow = f"-[f:FACT]->{far}" if direction == "out" else f"<-[f:FACT]-{far}"
    return (f"MATCH (n0:Entity)-[w0:FACT]-{near}{arrow} WHERE n0.id = $id AND {VISIBLE} "
            f"RETURN {_FACT_FIELDS}, w0.valid_from AS mid_from, w0.valid_to AS mid_to")  # f.id first


COUNT_ENTITIES = "MATCH (e:Entity) RETURN count(*) AS total"
ENTITY = "MATCH (e:Entity) WHERE e.id = $id RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang"
ENTITIES_BY_IDS = (
    "UNWIND $ids AS x MATCH (e:Entity) WHERE e.id = x "
    "RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.lang AS lang"
)
ENTITY_BY_NAME = (
    "MATCH (e:Entity) WHERE toLower(e.name) = toLower($name) "  # older Neo4j (4.x) refuses lower()
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
    "SET f.valid_to = $version RETURN count(*) AS total"
)
# Retiring many facts at once: one scan over all facts with a hash join, cheaper than thousands of point updates.
RETIRE_MANY = (
    "UNWIND $ids AS x MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id = x AND f.valid_to IS NULL "
    "SET f.valid_to = $version RETURN count(*) AS total"
)

# Rolling a fact back: retire it if it is still visible, and return it either way (was_visible says which), in one
# statement through the subject's primary key; the many-facts form is one scan with a hash join, as RETIRE_MANY.
_RETIRE_REF_TAIL = (
    "WITH a, f, b, f.valid_to IS NULL AS was_visible SET f.valid_to = coalesce(f.valid_to, $version) "
    f"RETURN {_FACT_FIELDS.replace('f.valid_to AS valid_to, ', '')}, was_visible"
)
RETIRE_REF = f"MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND f.id = $id {_RETIRE_REF_TAIL}"
RETIRE_REFS = f"UNWIND $ids AS x MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id = x {_RETIRE_REF_TAIL}"

META_GET = "MATCH (m:Meta) WHERE m.key = $key RETURN m.value AS value"
META_SET = "MERGE (m:Meta {key: $key}) SET m.value = $value"

# The facts a bulk import added (kg.versions.BULK_OP): one scan, as many rows as the commit added.
FACTS_ADDED_AT = (
    "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.valid_from = $version "
    "RETURN f.id AS fact, a.id AS s, b.id AS o, f.pred AS pred"
)
FACTS_BY_IDS = f"UNWIND $ids AS x MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE f.id = x RETURN {_FACT_FIELDS}"
