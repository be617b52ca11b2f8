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
from typing import Any

from tqdm import tqdm

from kg import queries as Q
from kg.backends import GraphBackend
from kg.errors import InvalidInput, StoreError
from kg.records import Change, Commit, CommitKind, CommitResult, Fact
from kg.schema import Cardinality, Relation, RelationSchema

log = logging.getLogger(__name__)

CHUNK = 5_000  # rows per UNWIND statement
POINT_LIMIT = 2_000  # above this many facts, one scan with a hash join beats point lookups
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
    with backend.atomic():
        _create_entities(backend, rows)
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

    Reads only those commits' change logs, so its cost follows the size of the commits, not of the graph.
    """
    commits = backend.run(Q.COMMITS_BETWEEN, {"after": after, "upto": upto})
    keys = [f"{c['version']}:{n}" for c in commits for n in range(c["n_changes"])]
    added: dict[str, Change] = {}
    retired: dict[str, Change] = {}
    for start in range(0, len(keys), CHUNK):
        for row in backend.run(Q.CHANGES_BY_IDS, {"ids": keys[start:start + CHUNK]}):
            change = Change(**row)
            (added if change.op == "add" else retired)[change.fact] = change
    if len(added) + len(retired) != len(keys):
        raise StoreError(f"change log of versions {after + 1}..{upto} is incomplete")
    return ([c for f, c in added.items() if f not in retired],
            [c for f, c in retired.items() if f not in added])


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
        facts = backend.run(Q.ALL_FACTS, {"at": head})
    else:
        pairs = {(r["s"], r["pred"]) for r in rows}
        facts = [f for s, p in pairs for f in backend.run(Q.FACTS_OF_PAIR, {"s": s, "pred": p, "at": head})]
    return {(f["subject"], f["pred"], f["object"]) for f in facts}


def _create_entities(backend: GraphBackend, rows: Sequence[dict]) -> None:
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row["s"], row["s_name"])
        names.setdefault(row["o"], row["o_name"])
    ids = list(names)
    existing: set[str] = set()
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
