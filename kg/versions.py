"""Writing commits and reading change logs: the version machinery behind :class:`kg.store.GraphStore`.

Free functions over a backend, so the store facade stays small. Every write happens inside one
``backend.atomic()`` block: entities first (distinct ids, so LadybugDB's batched-MERGE row loss cannot happen),
then facts, retirements, the change log and finally the Commit node.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from tqdm import tqdm

from kg import queries as Q
from kg.backends import GraphBackend
from kg.errors import InvalidInput, StoreError
from kg.records import Change, Commit, CommitKind, CommitResult, Fact
from kg.schema import Cardinality, Relation, RelationSchema

log = logging.getLogger(__name__)

CHUNK = 5_000  # rows per UNWIND statement
POINT_LIMIT = 2_000  # above this many facts, one scan with a hash join beats point lookups
# An import commit of at least this many facts keeps a one-line change log (see BULK_OP) instead of one Change
# node per fact: writing a million Change nodes was a third of a million-fact import.
BULK_LOG_MIN = 20_000
# The op of that one line, ``Change {id: "<v>:0", op: BULK_OP, fact: "<number of facts>"}``: "commit v added every
# fact whose valid_from is v, and retired nothing". Facts are never rewritten except for valid_to, so the facts
# with valid_from = v are exactly the ones commit v added; reading them is one scan of the facts (the same scan
# loading that many facts by id costs), and the count is checked against the commit's n_changes.
BULK_OP = "add_all"
# The row layout of write_import (and GraphBackend.bulk_import_facts): plain tuples, no dict per row.
IMPORT_ROW = ("s", "s_name", "pred", "o", "o_name", "confidence", "source")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def write_commit(backend: GraphBackend, *, head: int, rows: Sequence[dict], retire: Sequence[Fact], author: str,
                 kind: CommitKind, message: str, edit_id: str | None, reverts: int | None = None,
                 progress: bool = False, summarise: bool = False) -> CommitResult:
    """Write version ``head + 1``: new facts (``rows`` from ``GraphStore._normalise``) and retirements.

    Facts whose statement is already visible (and not being retired here) are skipped, so re-adding a fact
    is a no-op rather than a duplicate. With ``summarise`` the result lists no facts, only counts (imports).

    Raises:
        InvalidInput: a fact to retire is not visible, or the commit would change nothing.
        RowCountMismatch: the store lost rows; nothing was written.
    """
    if not author or not author.strip():
        raise InvalidInput("every commit needs an author")
    version = head + 1
    edit_id = edit_id or f"{kind}-{version}"
    rows = not_visible(backend, rows, head, retiring=retire)
    if not rows and not retire:
        raise InvalidInput("nothing to commit: every fact is already in the graph")
    facts = _fact_rows(rows, version=version, edit_id=edit_id, author=author)
    steps = tqdm(total=4, desc=f"commit v{version}", disable=not progress, unit="step")
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row["s"], row["s_name"])
        names.setdefault(row["o"], row["o_name"])
    with backend.atomic():
        _create_entities(backend, names)
        steps.update()
        _create_facts(backend, facts)
        steps.update()
        _retire(backend, retire, version)
        changes = _change_rows(version, facts, retire)
        backend.bulk_create_nodes("Change", changes)
        steps.update()
        commit = Commit(version=version, edit_id=edit_id, parent=head, author=author, kind=kind,
                        message=message, n_changes=len(changes), reverts=reverts,
                        ts=datetime.now(UTC).isoformat(timespec="milliseconds"))
        backend.run(Q.CREATE_COMMIT, commit.model_dump(mode="json"))
        steps.update()
    steps.close()
    added = [] if summarise else [_fact(r) for r in facts]
    retired = [] if summarise else [f.model_copy(update={"valid_to": version}) for f in retire]
    return CommitResult(commit=commit, added=added, retired=retired)


def write_inverse(backend: GraphBackend, *, head: int, undo: Sequence[Change], restore: Sequence[dict], author: str,
                  message: str, edit_id: str | None, reverts: int | None) -> CommitResult:
    """Write a rollback commit: retire the facts ``undo`` names that are still visible, and add the ``restore`` rows
    whose statement is not visible once those are retired.

    The retirement reads and updates each fact in one statement (``Q.RETIRE_REF``) inside the commit's transaction,
    instead of loading the facts first and retiring them after: a 10-fact rollback ran 20 statements for that.

    Raises:
        InvalidInput: nothing to roll back (everything is already undone). StoreError: a fact named in the change
            log is missing. RowCountMismatch: the store lost rows; nothing was written.
    """
    if not author or not author.strip():
        raise InvalidInput("every commit needs an author")
    version = head + 1
    edit_id = edit_id or f"{CommitKind.ROLLBACK}-{version}"
    with backend.atomic():
        retired = _retire_refs(backend, undo, version)
        rows = not_visible(backend, restore, head, retiring=retired)
        if not retired and not rows:
            raise InvalidInput("nothing to roll back: the change is already undone")
        facts = _fact_rows(rows, version=version, edit_id=edit_id, author=author)
        names: dict[str, str] = {}
        for row in rows:
            names.setdefault(row["s"], row["s_name"])
            names.setdefault(row["o"], row["o_name"])
        _create_entities(backend, names)
        _create_facts(backend, facts)
        changes = _change_rows(version, facts, retired)
        backend.bulk_create_nodes("Change", changes)
        commit = Commit(version=version, edit_id=edit_id, parent=head, author=author, kind=CommitKind.ROLLBACK,
                        message=message, n_changes=len(changes), reverts=reverts,
                        ts=datetime.now(UTC).isoformat(timespec="milliseconds"))
        backend.run(Q.CREATE_COMMIT, commit.model_dump(mode="json"))
    return CommitResult(commit=commit, added=[_fact(r) for r in facts], retired=retired)


def write_import(backend: GraphBackend, *, head: int, rows: Sequence[tuple], author: str, message: str,
                 progress: bool = False) -> CommitResult:
    """Write an import commit from :data:`IMPORT_ROW` tuples, distinct by (s, pred, o); the result lists no facts.

    Statements already visible at ``head`` are skipped. Imports of :data:`BULK_LOG_MIN` facts or more are written
    with the one-line change log of :data:`BULK_OP` and the backend's streaming bulk load; smaller ones go through
    :func:`write_commit` like any commit.

    Raises:
        InvalidInput: no author, or every fact is already visible. RowCountMismatch: the store lost rows.
    """
    if not author or not author.strip():
        raise InvalidInput("every commit needs an author")
    if len(rows) < BULK_LOG_MIN:
        dicts = [dict(zip(IMPORT_ROW, r)) for r in rows]
        return write_commit(backend, head=head, rows=dicts, retire=(), author=author, kind=CommitKind.IMPORT,
                            message=message, edit_id=None, progress=progress, summarise=True)
    version = head + 1
    edit_id = f"{CommitKind.IMPORT}-{version}"
    if head:
        visible = _all_visible_keys(backend, head)
        rows = [r for r in rows if (r[0], r[2], r[3]) not in visible]
        if not rows:
            raise InvalidInput("nothing to commit: every fact is already in the graph")
    steps = tqdm(total=4, desc=f"commit v{version}", disable=not progress, unit="step")
    with backend.atomic():
        names: dict[str, str] = {}
        for r in rows:
            names.setdefault(r[0], r[1])
            names.setdefault(r[3], r[4])
        _create_entities(backend, names)
        steps.update()
        backend.bulk_import_facts(rows, valid_from=version, edit_id=edit_id, author=author)
        steps.update()
        backend.bulk_create_nodes("Change", [{"id": f"{version}:0", "version": version, "op": BULK_OP,
                                              "fact": str(len(rows)), "s": "", "o": "", "pred": ""}])
        steps.update()
        commit = Commit(version=version, edit_id=edit_id, parent=head, author=author, kind=CommitKind.IMPORT,
                        message=message, n_changes=len(rows), reverts=None,
                        ts=datetime.now(UTC).isoformat(timespec="milliseconds"))
        backend.run(Q.CREATE_COMMIT, commit.model_dump(mode="json"))
        steps.update()
    steps.close()
    return CommitResult(commit=commit, added=[], retired=[])


def not_visible(backend: GraphBackend, rows: Sequence[dict], head: int, *,
                retiring: Sequence[Fact] = ()) -> list[dict]:
    """The rows whose statement (s, pred, o) is not visible at ``head``, de-duplicated, in order."""
    retired = {f.key for f in retiring}
    visible = _visible_keys(backend, rows, head) - retired
    seen: set[tuple[str, str, str]] = set()
    out = []
    for row in rows:
        key = (row["s"], row["pred"], row["o"])
        if key not in visible and key not in seen:
            seen.add(key)
            out.append(row)
    return out


def net_changes(backend: GraphBackend, after: int, upto: int) -> tuple[list[Change], list[Change]]:
    """Changes of the commits in (after, upto], netted: (facts added and still there, facts removed).

    Reads only those commits' change logs, so its cost follows the size of the commits, not of the graph (a bulk
    import's one-line log is read as one scan of the facts, see :data:`BULK_OP`). Each fact is added once and
    retired at most once, so the order in which changes are read does not matter.
    """
    commits = backend.run(Q.COMMITS_BETWEEN, {"after": after, "upto": upto})
    bulk = _bulk_commits(backend, commits)
    keys = [f"{c['version']}:{n}" for c in commits if c["version"] not in bulk for n in range(c["n_changes"])]
    logged: dict[str, Change] = {}
    for start in range(0, len(keys), CHUNK):
        for row in backend.run(Q.CHANGES_BY_IDS, {"ids": keys[start:start + CHUNK]}):
            logged[row["id"]] = Change(**row)
    if len(logged) != len(keys):
        raise StoreError(f"change log of versions {after + 1}..{upto} is incomplete")
    added: dict[str, Change] = {}
    retired: dict[str, Change] = {}
    # In version order, and within a commit in change-log order (a bulk import's facts by number, as its per-fact
    # log would list them), so every backend returns the same lists.
    for commit in commits:
        version = commit["version"]
        if version in bulk:
            rows = backend.run(Q.FACTS_ADDED_AT, {"version": version})
            if len(rows) != bulk[version]:
                raise StoreError(f"change log of versions {after + 1}..{upto} is incomplete: version {version} "
                                 f"added {bulk[version]} facts, {len(rows)} are left")
            rows.sort(key=lambda r: (len(r["fact"]), r["fact"]))
            for row in rows:
                added[row["fact"]] = Change.model_construct(id=row["fact"].replace("-", ":", 1), version=version,
                                                            op="add", **row)
            continue
        for n in range(commit["n_changes"]):
            change = logged[f"{version}:{n}"]
            (added if change.op == "add" else retired)[change.fact] = change
    return ([c for f, c in added.items() if f not in retired],
            [c for f, c in retired.items() if f not in added])


def _bulk_commits(backend: GraphBackend, commits: Sequence[dict]) -> dict[int, int]:
    """The commits among ``commits`` whose change log is one :data:`BULK_OP` line: version -> number of facts."""
    firsts = [f"{c['version']}:0" for c in commits if c["kind"] == CommitKind.IMPORT and c["n_changes"]]
    if not firsts:
        return {}
    counts = {c["version"]: c["n_changes"] for c in commits}
    return {r["version"]: counts[r["version"]] for r in backend.run(Q.CHANGES_BY_IDS, {"ids": firsts})
            if r["op"] == BULK_OP}


def load_facts(backend: GraphBackend, refs: Sequence[Change]) -> list[Fact]:
    """The current state of the facts that change-log entries point to."""
    if len(refs) > POINT_LIMIT:
        rows = []
        for start in range(0, len(refs), CHUNK):
            ids = [r.fact for r in refs[start:start + CHUNK]]
            rows += backend.run(Q.FACTS_BY_IDS, {"ids": ids})
    else:
        rows = [row for r in refs for row in backend.run(Q.FACT_BY_ID, {"s": r.s, "id": r.fact})]
    if len(rows) != len(refs):
        raise StoreError(f"found {len(rows)} of {len(refs)} facts named in the change log")
    return [Fact(**r) for r in rows]


# -- store format and custom relations ------------------------------------------------------------------

MIGRATIONS: list[tuple[int, str]] = [(1, "initial: Entity, FACT, Commit, Change, Meta")]


def migrate(backend: GraphBackend) -> None:
    """Record the store format; refuse a store written by a newer kgedit."""
    rows = backend.run(Q.META_GET, {"key": "format_version"})
    current = int(rows[0]["value"]) if rows else 0
    latest = MIGRATIONS[-1][0]
    if current > latest:
        raise StoreError(f"store format {current} is newer than this kgedit supports ({latest})")
    for number, name in MIGRATIONS:
        if number > current:
            log.info("store migration %d: %s", number, name)
            backend.run(Q.META_SET, {"key": "format_version", "value": str(number)})


def load_custom_relations(backend: GraphBackend, schema: RelationSchema) -> None:
    rows = backend.run(Q.META_GET, {"key": "custom_relations"})
    for data in json.loads(rows[0]["value"]) if rows else []:
        if Relation.from_dict(data).name not in schema:
            schema.add(Relation.from_dict(data))


def save_custom_relations(backend: GraphBackend, schema: RelationSchema) -> None:
    value = json.dumps([r.to_dict() for r in schema.custom()], ensure_ascii=False)
    backend.run(Q.META_SET, {"key": "custom_relations", "value": value})


def register_relation(backend: GraphBackend, schema: RelationSchema, phrase: str) -> Relation:
    """Add a relation met in an import under a safe default (many-to-many, no inverse) and persist it."""
    name = re.sub(r"[^0-9a-z]+", "_", phrase.strip().casefold()).strip("_")
    if not name or not name[0].isalpha():
        raise InvalidInput(f"cannot make a relation name from {phrase!r}")
    if name not in schema:
        words = name.replace("_", " ")
        schema.add(Relation(
            name=name, cardinality=Cardinality.MANY2MANY, aliases=(),
            prompts={"en": (f"The {words} of {{subject}} is", f"{{subject}}'s {words} is"),
                     "zh": (f"{{subject}}的{words}是", f"{{subject}}的{words}为")},
            questions={"en": (f"What is the {words} of {{subject}}?",), "zh": (f"{{subject}}的{words}是什么？",)},
            description=f"added by import from {phrase!r}"))
        save_custom_relations(backend, schema)
    return schema.get(name)


# -- internals ------------------------------------------------------------------------------------------

def _visible_keys(backend: GraphBackend, rows: Sequence[dict], head: int) -> set[tuple[str, str, str]]:
    if not rows or head == 0:
        return set()
    if len(rows) > POINT_LIMIT:
        return _all_visible_keys(backend, head)
    pairs = {(r["s"], r["pred"]) for r in rows}
    facts = [f for s, p in pairs for f in backend.run(Q.FACTS_OF_PAIR, {"s": s, "pred": p, "at": head})]
    return {(f["subject"], f["pred"], f["object"]) for f in facts}


def _all_visible_keys(backend: GraphBackend, head: int) -> set[tuple[str, str, str]]:
    """Every statement visible at ``head``: one scan of the facts."""
    return {(f["subject"], f["pred"], f["object"]) for f in backend.run(Q.ALL_FACTS, {"at": head})}


def _create_entities(backend: GraphBackend, names: dict[str, str]) -> None:
    """Create the entities of ``names`` (id -> name) that do not exist yet."""
    if not names:
        return
    ids = list(names)
    existing: set[str] = set()
    # A big import into an empty store (the usual first import) need not look its entities up.
    if len(ids) <= POINT_LIMIT or backend.run(Q.COUNT_ENTITIES)[0]["total"]:
        for start in range(0, len(ids), CHUNK):
            existing.update(r["id"] for r in backend.run(Q.ENTITIES_BY_IDS, {"ids": ids[start:start + CHUNK]}))
    new = [{"id": i, "name": names[i], "aliases": [], "lang": "zh" if _CJK.search(names[i]) else None}
           for i in ids if i not in existing]
    backend.bulk_create_nodes("Entity", new)


def _create_facts(backend: GraphBackend, facts: list[dict]) -> None:
    backend.bulk_create_facts(facts)


def _retire(backend: GraphBackend, facts: Sequence[Fact], version: int) -> None:
    if len(facts) > POINT_LIMIT:
        done = sum(backend.run(Q.RETIRE_MANY, {"ids": [f.id for f in facts[i:i + CHUNK]], "version": version})[0]["total"]
                   for i in range(0, len(facts), CHUNK))
    else:
        done = sum(backend.run(Q.RETIRE_ONE, {"s": f.subject, "id": f.id, "version": version})[0]["total"]
                   for f in facts)
    if done != len(facts):
        raise InvalidInput(f"only {done} of {len(facts)} facts to retire are visible; nothing was changed")


def _retire_refs(backend: GraphBackend, refs: Sequence[Change], version: int) -> list[Fact]:
    """Retire the facts ``refs`` name that are still visible; returns them as retired (``valid_to = version``).

    Every named fact must exist (each statement returns it, retired now or before), as :func:`load_facts` checks.
    """
    if len(refs) > POINT_LIMIT:
        rows = [r for i in range(0, len(refs), CHUNK)
                for r in backend.run(Q.RETIRE_REFS, {"ids": [c.fact for c in refs[i:i + CHUNK]], "version": version})]
    else:
        rows = [r for c in refs for r in backend.run(Q.RETIRE_REF, {"s": c.s, "id": c.fact, "version": version})]
    if len(rows) != len(refs):
        raise StoreError(f"found {len(rows)} of {len(refs)} facts named in the change log")
    return [Fact(**{**r, "valid_to": version}) for r in rows if r.pop("was_visible")]


def _fact_rows(rows: Sequence[dict], *, version: int, edit_id: str, author: str) -> list[dict]:
    return [{"id": f"{version}-{n}", "s": r["s"], "o": r["o"], "pred": r["pred"], "valid_from": version,
             "valid_to": None, "edit_id": edit_id, "author": author, "confidence": r["confidence"],
             "source": r["source"], "s_name": r["s_name"], "o_name": r["o_name"]}
            for n, r in enumerate(rows)]


def _change_rows(version: int, facts: Sequence[dict], retire: Sequence[Fact]) -> list[dict]:
    ops = [("add", f["id"], f["s"], f["o"], f["pred"]) for f in facts]
    ops += [("retire", f.id, f.subject, f.object, f.pred) for f in retire]
    return [{"id": f"{version}:{n}", "version": version, "op": op, "fact": fact, "s": s, "o": o, "pred": pred}
            for n, (op, fact, s, o, pred) in enumerate(ops)]


def _fact(row: dict) -> Fact:
    return Fact(id=row["id"], subject=row["s"], subject_name=row["s_name"], pred=row["pred"], object=row["o"],
                object_name=row["o_name"], valid_from=row["valid_from"], edit_id=row["edit_id"],
                author=row["author"], confidence=row["confidence"], source=row["source"])
