"""The versioned knowledge graph: reads at any version, commits, diffs and rollbacks over a backend.

Versioning is store-agnostic: facts are never deleted, only retired by setting ``valid_to``; each commit keeps a
change log (``Change`` nodes keyed ``"<version>:<n>"``) so diffs and rollbacks read only the commits involved,
never the whole graph. A commit, its facts and its change log are written in one store transaction
(``backend.atomic()``): all of it lands or none of it does (atomic, consistent, durable as the backend's commit;
isolation: one writer at a time, enforced by a lock here and the store's own file lock or constraints).
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kg import queries as Q
from kg.backends import GraphBackend, open_backend
from kg.cypher_guard import check_read_only
from kg.errors import Conflict, InvalidInput, NotFound
from kg.ids import entity_id
from kg.records import Commit, CommitKind, CommitResult, Diff, Entity, Fact, TripleIn, fact_from_row
from kg.schema import RelationSchema
from kg import versions

log = logging.getLogger(__name__)

_VISIBLE_MACRO = re.compile(r"\bvisible\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


class GraphStore:
    """A versioned knowledge graph. Open with :meth:`open`; close with :meth:`close` or a ``with`` block.

    Example:
        >>> store = GraphStore.open(":memory:")
        >>> store.commit(add=[TripleIn(subject="France", relation="capital", object="Paris")], author="doc").commit.version
        1
        >>> [f.object_name for f in store.facts("France")]
        ['Paris']
        >>> store.close()
    """

    def __init__(self, backend: GraphBackend, schema: RelationSchema | None = None):
        self.backend = backend
        self.schema = schema or RelationSchema.default()
        self._write_lock = threading.RLock()
        backend.ensure_schema()
        versions.migrate(backend)
        versions.load_custom_relations(backend, self.schema)
        self._head = backend.run(Q.HEAD)[0]["head"] or 0

    @classmethod
    def open(cls, uri: str, *, schema: RelationSchema | None = None, user: str | None = None,
             password: str | None = None, database: str | None = None) -> "GraphStore":
        """Open (creating if needed) the store a URI names; see :func:`kg.backends.open_backend`."""
        return cls(open_backend(uri, user=user, password=password, database=database), schema)

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    # -- versions ----------------------------------------------------------------------------------------

    @property
    def head(self) -> int:
        """The newest version (0 for an empty graph)."""
        return self._head

    def resolve_version(self, at: int | None) -> int:
        """``at`` checked against the history (None means head).

        Raises:
            NotFound: the version does not exist.
        """
        if at is None:
            return self._head
        if not 0 <= at <= self._head:
            raise NotFound(f"version {at} does not exist (versions are 0..{self._head})")
        return at

    def log(self, *, limit: int | None = None, after: int = 0) -> list[Commit]:
        """Commits newest first (``limit`` of them), optionally only those after version ``after``."""
        rows = self.backend.run(Q.COMMITS_BETWEEN, {"after": after, "upto": self._head})
        commits = [Commit(**r) for r in reversed(rows)]
        return commits[:limit] if limit else commits

    def commit_info(self, version: int) -> Commit:
        """The commit that made ``version``. Raises NotFound."""
        rows = self.backend.run(Q.COMMIT, {"version": version})
        if not rows:
            raise NotFound(f"no commit with version {version}")
        return Commit(**rows[0])

    def commits_of_edit(self, edit_id: str) -> list[Commit]:
        return [Commit(**r) for r in self.backend.run(Q.COMMITS_BY_EDIT, {"edit_id": edit_id})]

    # -- reads ---------------------------------------------------------------------------------------------

    def entity(self, name_or_id: str) -> Entity:
        """Look an entity up by id, then by name (case-insensitive). Raises NotFound."""
        rows = self.backend.run(Q.ENTITY, {"id": _safe_id(name_or_id)}) or self.backend.run(
            Q.ENTITY_BY_NAME, {"name": name_or_id})
        if not rows:
            raise NotFound(f"no entity named {name_or_id!r}")
        return _entity(rows[0])

    def entities(self) -> list[Entity]:
        return [_entity(r) for r in self.backend.run(Q.ALL_ENTITIES)]

    def facts(self, entity: str, *, at: int | None = None, direction: str = "both",
              relation: str | None = None) -> list[Fact]:
        """Facts about an entity visible at version ``at`` (default head): outgoing, incoming or both.

        Raises:
            NotFound: unknown entity or version. UnknownRelation: unknown ``relation``.
        """
        if direction not in ("out", "in", "both"):
            raise InvalidInput(f"direction must be out, in or both, not {direction!r}")
        pred = self.schema.get(relation).name if relation else None
        params = {"id": _safe_id(entity), "at": self.resolve_version(at)}
        rows: list[dict[str, Any]] = []
        if direction in ("out", "both"):
            rows += self.backend.run(Q.FACTS_OUT, params)
        if direction in ("in", "both"):
            rows += self.backend.run(Q.FACTS_IN, params)
        if not rows:
            found = self.entity(entity).id  # by name, or NotFound
            if found != params["id"]:
                return self.facts(found, at=at, direction=direction, relation=relation)
        rows = sorted((r for r in rows if pred is None or r["pred"] == pred), key=_row_order)
        return list(map(fact_from_row, rows))

    def objects(self, subject: str, relation: str, *, at: int | None = None) -> list[Fact]:
        """Visible facts ``(subject, relation, ?)``, e.g. the current capital of a country."""
        params = {"s": _safe_id(subject), "pred": self.schema.get(relation).name, "at": self.resolve_version(at)}
        return sorted((Fact(**r) for r in self.backend.run(Q.FACTS_OF_PAIR, params)), key=_fact_order)

    def neighbourhood(self, entity: str, *, depth: int = 1, at: int | None = None) -> list[Fact]:
        """Every fact on a path of at most ``depth`` hops (either direction) from ``entity``.

        Raises:
            NotFound: unknown entity or version. InvalidInput: depth outside 1..4.
        """
        if not 1 <= depth <= 4:
            raise InvalidInput("depth must be between 1 and 4")
        walks = getattr(self.backend, "matches_walks", False)
        if depth > 2 and walks:
            return self._wide_neighbourhood(entity, depth, at)
        params = {"id": _safe_id(entity), "at": self.resolve_version(at)}
        found = self._walk_reads(depth, params) if walks else self._path_reads(depth, params)
        if not found:
            params["id"] = self.entity(entity).id  # by name, or NotFound
            if params["id"] != _safe_id(entity):
                return self.neighbourhood(params["id"], depth=depth, at=at)
        return list(map(fact_from_row, sorted(found.values(), key=_row_order)))

    def _walk_reads(self, depth: int, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Rows of the facts within ``depth`` (1 or 2) hops, where patterns match walks (LadybugDB): the 2-hop walks
        alone hold every 1-hop fact too, as a walk can go out along a nearer fact and come back along it."""
        if depth == 1:
            return {row["id"]: row for direction in ("out", "in")
                    for row in self.backend.run(Q.neighbourhood(1, direction), params)}
        at, kept, fields = params["at"], {}, ()
        for direction in ("out", "in"):
            names, rows = self.backend.run_values(Q.two_hop_walk(direction), params)
            fields = tuple(names[:-2])  # the last two: the middle relationship's validity
            # Value lists, not dicts, until a row is kept: ~400 rows per read, most of its Python time.
            for row in rows:
                if row[-2] <= at and (row[-1] is None or at < row[-1]):
                    kept[row[0]] = row
        as_dict = _row_to_dict(fields)
        return {fact: as_dict(row) for fact, row in kept.items()}

    def _path_reads(self, depth: int, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Rows of the facts within ``depth`` hops on Neo4j, which never lets a pattern reuse a relationship: every
        depth from 1, each hop of the path in both directions (see Q.neighbourhood)."""
        found: dict[str, dict[str, Any]] = {}
        for hops in range(1, depth + 1):
            for walk in itertools.product(("out", "in"), repeat=hops - 1):
                for direction in ("out", "in"):
                    found.update((row["id"], row) for row in
                                 self.backend.run(Q.neighbourhood(hops, direction, walk), params))
        return found

    def _wide_neighbourhood(self, entity: str, depth: int, at: int | None) -> list[Fact]:
        """Depth 3-4 where patterns match walks, as the 2-hop neighbourhoods of every entity within ``depth - 2``
        hops: LadybugDB 0.22 drops rows when a visibility filter sits on the middle relationship of a pattern of
        three or more (docs/kg.md), while 1- and 2-hop patterns are exact. A fact is within ``depth`` hops when its
        nearer end is within ``depth - 1``, i.e. one hop from an entity within ``depth - 2``: the union is exact."""
        start = self.entity(entity).id  # by id or name, or NotFound
        near = self.neighbourhood(start, depth=depth - 2, at=at)
        centres = {start} | {e for f in near for e in (f.subject, f.object)}
        found = {f.id: f for centre in sorted(centres) for f in self.neighbourhood(centre, depth=2, at=at)}
        return sorted(found.values(), key=_fact_order)

    def all_facts(self, *, at: int | None = None) -> list[Fact]:
        """Every fact visible at a version (for export and analytics)."""
        return [Fact(**r) for r in self.backend.run(Q.ALL_FACTS, {"at": self.resolve_version(at)})]

    def count_facts(self, *, at: int | None = None) -> int:
        return self.backend.run(Q.COUNT_FACTS, {"at": self.resolve_version(at)})[0]["total"]

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, at: int | None = None,
              write: bool = False) -> list[dict[str, Any]]:
        """Run user Cypher. Read-only unless ``write`` (callers check the user may write first).

        ``$at`` is bound to the requested version (default head) and ``visible(f)`` expands to "relationship f
        is visible at $at", so ``MATCH (a)-[f:FACT]->(b) WHERE visible(f) RETURN b.name`` time-travels. Writes
        bypass versioning and are for administrators.

        Raises:
            ReadOnlyQuery: a write clause in a read-only query. StoreError: the store rejected the query.
        """
        text = _VISIBLE_MACRO.sub(lambda m: Q.visible(m.group(1)), cypher)
        bound = {**(params or {})}
        if "$at" in text:
            bound.setdefault("at", self.resolve_version(at))
        if not write:
            check_read_only(text)
            return self.backend.run_read_only(text, bound)
        with self._write_lock, self.backend.atomic():
            return self.backend.run(text, bound)

    def diff(self, from_version: int, to_version: int) -> Diff:
        """Facts added and removed going from one version to another (either order)."""
        a, b = self.resolve_version(from_version), self.resolve_version(to_version)
        added, removed = versions.net_changes(self.backend, min(a, b), max(a, b))
        if a > b:
            added, removed = removed, added
        return Diff(from_version=a, to_version=b, added=self._facts_by_ref(added),
                    removed=self._facts_by_ref(removed))

    # -- writes --------------------------------------------------------------------------------------------

    def commit(self, *, add: Sequence[TripleIn] = (), retire: Sequence[Fact] = (), author: str,
               kind: CommitKind = CommitKind.EDIT, message: str = "", edit_id: str | None = None,
               expected_version: int | None = None) -> CommitResult:
        """Write one commit: add facts and retire visible ones, atomically, as version ``head + 1``.

        Raises:
            Conflict: ``expected_version`` is not the head. UnknownRelation: a relation is not in the schema.
            InvalidInput: nothing to do, or a fact to retire is not visible.
        """
        if not add and not retire:
            raise InvalidInput("a commit must add or retire at least one fact")
        rows = [self._normalise(t) for t in add]
        with self._write_lock:
            self._check_expected(expected_version)
            result = versions.write_commit(self.backend, head=self._head, rows=rows, retire=retire,
                                           author=author, kind=kind, message=message, edit_id=edit_id)
            self._head = result.commit.version
        return result

    def import_triples(self, triples: Iterable[TripleIn], *, author: str, message: str = "",
                       source: str | None = None, add_unknown_relations: bool = False,
                       progress: bool = False) -> CommitResult:
        """Import many facts as one commit (bulk path). Nothing is applied if any fact is invalid.

        Repeated statements in the input are imported once (the first one wins), and statements already visible
        are skipped, as in :meth:`commit`. Rows are plain tuples here (see :data:`kg.versions.IMPORT_ROW`):
        a dict per row cost a third of a million-fact import.

        Raises:
            UnknownRelation: a relation is not in the schema (unless ``add_unknown_relations``).
        """
        relations: dict[str, str] = {}  # relation phrase -> name, resolved once per distinct phrase
        ids: dict[str, str] = {}  # entity name -> id (an import repeats names many times)
        rows: dict[tuple[str, str, str], tuple] = {}  # (s, pred, o) -> row; the first occurrence wins
        relation_of, id_of = relations.get, ids.get
        for triple in triples:
            if isinstance(triple, tuple):  # TripleRow from a file reader
                subject, relation, obj, confidence, fact_source = triple
            else:
                subject, relation, obj = triple.subject, triple.relation, triple.object
                confidence, fact_source = triple.confidence, triple.source
            pred = relation_of(relation) or relations.setdefault(
                relation, self._relation_name(relation, add_unknown_relations))
            s = id_of(subject) or ids.setdefault(subject, _safe_id(subject))
            o = id_of(obj) or ids.setdefault(obj, _safe_id(obj))
            key = (s, pred, o)
            if key not in rows:
                rows[key] = (s, subject.strip(), pred, o, obj.strip(), confidence, fact_source or source)
        if not rows:
            raise InvalidInput("nothing to import")
        with self._write_lock:
            result = versions.write_import(self.backend, head=self._head, rows=list(rows.values()), author=author,
                                           message=message, progress=progress)
            self._head = result.commit.version
        return result

    def rollback_commit(self, version: int, *, author: str, message: str = "",
                        edit_id: str | None = None) -> CommitResult:
        """Undo one commit by writing a new rollback commit (later unrelated commits are kept)."""
        target = self.commit_info(version)
        with self._write_lock:
            added, removed = versions.net_changes(self.backend, target.version - 1, target.version)
            return self._write_inverse(added, removed, author=author, reverts=version, edit_id=edit_id,
                                       message=message or f"roll back commit {version}")

    def rollback_to(self, version: int, *, author: str, message: str = "",
                    edit_id: str | None = None) -> CommitResult:
        """Make the visible graph equal to ``version`` again, as a new rollback commit."""
        version = self.resolve_version(version)
        if version == self._head:
            raise InvalidInput(f"version {version} is already the head")
        with self._write_lock:
            added, removed = versions.net_changes(self.backend, version, self._head)
            return self._write_inverse(added, removed, author=author, reverts=None, edit_id=edit_id,
                                       message=message or f"roll back to version {version}")

    def add_relation(self, relation: Any) -> None:
        """Add a relation to the schema at run time and persist it in the store."""
        with self._write_lock:
            self.schema.add(relation)
            versions.save_custom_relations(self.backend, self.schema)

    # -- internals -----------------------------------------------------------------------------------------

    def _write_inverse(self, added: list, removed: list, **kw: Any) -> CommitResult:
        """Retire what was added (if still visible) and restore what was removed (if not visible again)."""
        restore = [self._normalise(TripleIn(subject=f.subject_name, relation=f.pred, object=f.object_name,
                                            confidence=f.confidence if f.confidence is not None else 1.0,
                                            source=f.source))
                   for f in self._facts_by_ref(removed)]
        result = versions.write_inverse(self.backend, head=self._head, undo=added, restore=restore, **kw)
        self._head = result.commit.version
        return result

    def _facts_by_ref(self, refs: list) -> list[Fact]:
        return versions.load_facts(self.backend, refs)

    def _check_expected(self, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != self._head:
            raise Conflict(f"the graph is at version {self._head}, not the expected {expected_version}")

    def _normalise(self, triple: TripleIn, *, source: str | None = None, add_unknown: bool = False,
                   relations: dict[str, str] | None = None) -> dict:
        """A triple as the row the version machinery writes (ids normalised, relation resolved)."""
        relations = {} if relations is None else relations
        pred = relations.get(triple.relation)
        if pred is None:
            pred = relations[triple.relation] = self._relation_name(triple.relation, add_unknown)
        return {"s": _safe_id(triple.subject), "s_name": triple.subject.strip(), "pred": pred,
                "o": _safe_id(triple.object), "o_name": triple.object.strip(),
                "confidence": triple.confidence, "source": triple.source or source}


    def _relation_name(self, phrase: str, add_unknown: bool) -> str:
        relation = self.schema.find(phrase)
        if relation is None and add_unknown:
            relation = versions.register_relation(self.backend, self.schema, phrase)
        return (relation or self.schema.get(phrase)).name


def _safe_id(name: str) -> str:
    try:
        return entity_id(name)
    except ValueError as e:
        raise InvalidInput(str(e)) from e


def _entity(row: dict[str, Any]) -> Entity:
    return Entity(id=row["id"], name=row["name"], aliases=tuple(row["aliases"] or ()), lang=row["lang"])


_row_order = operator.itemgetter("subject", "pred", "object", "valid_from")  # _fact_order, on store rows


@functools.lru_cache(maxsize=8)
def _row_to_dict(fields: tuple[str, ...]) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A function turning a value list into ``{fields[i]: row[i]}``: a dict display compiled for this column order
    builds the dict a third faster than ``dict(zip(fields, row))`` (~400 rows per 2-hop read). ``fields`` are the
    column names of the service's own queries, checked to be identifiers before they reach the source."""
    if not all(name.isidentifier() for name in fields):
        raise ValueError(f"column names must be identifiers: {fields}")
    source = "lambda row: {" + ", ".join(f"{name!r}: row[{i}]" for i, name in enumerate(fields)) + "}"
    return eval(source)  # noqa: S307 - fixed identifiers, see above


def _fact_order(fact: Fact) -> tuple:
    return (fact.subject, fact.pred, fact.object, fact.valid_from)


