"""Planning an edit against the current KG: what to add, what to retire, and why. Pure data, no model.

For each primary triple: coverage conflicts (a single-valued relation already has another object) retire the
old facts and their inverses; the inverse relation adds the mirrored fact; multi-hop rules (``r = r1 . r2``)
derive facts through the new edge. The plan is computed from the store at one version and written into the
edit's intent record before anything is changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kg.errors import InvalidInput, NotFound
from kg.ids import entity_id
from kg.records import Fact
from kg.schema import Relation, RelationSchema
from kg.store import GraphStore

Role = Literal["primary", "inverse", "derived"]


class PlannedFact(BaseModel):
    """A fact the edit adds, with the reason it is there."""

    model_config = ConfigDict(frozen=True)

    subject: str
    relation: str
    object: str
    role: Role = "primary"
    because: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (entity_id(self.subject), self.relation, entity_id(self.object))


class EditPlan(BaseModel):
    """What an edit or forget will change in the KG (the model edits are rendered from ``add``)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["edit", "forget"]
    version: int
    add: list[PlannedFact] = Field(default_factory=list)
    retire: list[Fact] = Field(default_factory=list)
    unchanged: list[PlannedFact] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.add and not self.retire


class _Draft:
    """Mutable working state of one plan: facts visible after the changes planned so far."""

    def __init__(self, store: GraphStore):
        self.store = store
        self.add: dict[tuple[str, str, str], PlannedFact] = {}
        self.retire: dict[str, Fact] = {}
        self.notes: list[str] = []

    def objects(self, subject: str, relation: str) -> list[tuple[str, str]]:
        """(id, name) of the objects of (subject, relation) after the planned changes."""
        sid = entity_id(subject)
        found = [(f.object, f.object_name) for f in self.store.objects(subject, relation) if f.id not in self.retire]
        found += [(k[2], p.object) for k, p in self.add.items() if k[0] == sid and k[1] == relation]
        return found

    def subjects(self, relation: str, obj: str) -> list[tuple[str, str]]:
        oid = entity_id(obj)
        facts = [f for f in _facts_in(self.store, obj) if f.pred == relation and f.id not in self.retire]
        found = [(f.subject, f.subject_name) for f in facts]
        found += [(k[0], p.subject) for k, p in self.add.items() if k[2] == oid and k[1] == relation]
        return found

    def visible(self, key: tuple[str, str, str]) -> bool:
        if key in self.add:
            return True
        return any(f.object == key[2] for f in self.store.objects(key[0], key[1]) if f.id not in self.retire)

    def retire_pair(self, subject: str, relation: str, keep_object: str | None, why: str) -> None:
        """Retire every visible (subject, relation, x) with x != keep_object, and each one's mirror fact."""
        for fact in self.store.objects(subject, relation):
            if fact.id not in self.retire and fact.object != keep_object:
                self.retire_fact(fact, why)
        for key in [k for k in self.add if k[0] == entity_id(subject) and k[1] == relation and k[2] != keep_object]:
            del self.add[key]

    def retire_fact(self, fact: Fact, why: str) -> None:
        self.retire[fact.id] = fact
        self.notes.append(f"retire ({fact.subject_name}, {fact.pred}, {fact.object_name}): {why}")
        inverse = self.store.schema.inverse_of(fact.pred)
        if inverse is None:
            return
        for mirror in self.store.objects(fact.object, inverse.name):
            if mirror.object == fact.subject and mirror.id not in self.retire:
                self.retire_fact(mirror, f"inverse of a retired fact")

    def plan_add(self, fact: PlannedFact) -> None:
        if not self.visible(fact.key):
            self.add[fact.key] = fact


def plan_edit(store: GraphStore, triples: Sequence[tuple[str, str, str]]) -> EditPlan:
    """Plan adding ``triples`` (subject, relation, object names) with conflict handling and augmentation.

    Raises:
        UnknownRelation: a relation is not in the schema. InvalidInput: a malformed triple.
    """
    schema, draft, unchanged = store.schema, _Draft(store), []
    for subject, relation_name, obj in _checked(triples):
        relation = schema.get(relation_name)
        primary = PlannedFact(subject=subject, relation=relation.name, object=obj)
        if draft.visible(primary.key):
            unchanged.append(primary)
            continue
        _resolve_coverage(draft, schema, relation, subject, obj)
        draft.plan_add(primary)
        _add_inverse(draft, schema, relation, subject, obj)
        _derive(draft, schema, relation, subject, obj)
    return EditPlan(kind="edit", version=store.head, add=list(draft.add.values()), retire=list(draft.retire.values()),
                    unchanged=unchanged, notes=draft.notes)


def plan_forget(store: GraphStore, triples: Sequence[tuple[str, str, str | None]]) -> EditPlan:
    """Plan retiring facts (an object of None means every current object) and their inverses.

    Raises:
        UnknownRelation: a relation is not in the schema. InvalidInput: nothing matches.
    """
    draft = _Draft(store)
    for subject, relation_name, obj in triples:
        relation = store.schema.get(relation_name)
        facts = [f for f in store.objects(subject, relation.name) if obj is None or f.object == entity_id(obj)]
        if not facts:
            raise InvalidInput(f"nothing to forget: ({subject}, {relation.name}, {obj or '*'}) is not in the KG")
        for fact in facts:
            draft.retire_fact(fact, "forgotten")
    return EditPlan(kind="forget", version=store.head, retire=list(draft.retire.values()), notes=draft.notes)


def _checked(triples: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    out = []
    for triple in triples:
        if len(triple) != 3 or not all(isinstance(p, str) and p.strip() for p in triple):
            raise InvalidInput(f"a triple needs a non-empty subject, relation and object: {triple!r}")
        out.append(tuple(p.strip() for p in triple))
    if not out:
        raise InvalidInput("an edit needs at least one triple")
    return out


def _resolve_coverage(draft: _Draft, schema: RelationSchema, relation: Relation, subject: str, obj: str) -> None:
    """A single-valued relation keeps one object per subject: retire the others (and their mirrors)."""
    if relation.single_valued:
        draft.retire_pair(subject, relation.name, entity_id(obj),
                          f"{relation.name} is single-valued; replaced by {obj}")


def _add_inverse(draft: _Draft, schema: RelationSchema, relation: Relation, subject: str, obj: str) -> None:
    inverse = schema.inverse_of(relation.name)
    if inverse is None:
        return
    if inverse.single_valued:
        draft.retire_pair(obj, inverse.name, entity_id(subject),
                          f"{inverse.name} is single-valued; {subject} now holds it")
    draft.plan_add(PlannedFact(subject=obj, relation=inverse.name, object=subject, role="inverse",
                               because=f"inverse of {relation.name}"))


def _derive(draft: _Draft, schema: RelationSchema, relation: Relation, subject: str, obj: str) -> None:
    """Multi-hop rules through the new edge, both when it is the first and when it is the second step."""
    for rule in schema.compositions_using(relation.name):
        first, second = rule.path
        result = schema.get(rule.result)
        pairs = []
        if first == relation.name:
            pairs += [(subject, name) for _, name in draft.objects(obj, second)]
        if second == relation.name:
            pairs += [(name, obj) for _, name in draft.subjects(first, subject)]
        for head, tail in pairs:
            if result.single_valued:
                draft.retire_pair(head, result.name, entity_id(tail), f"derived {result.name} changed")
            draft.plan_add(PlannedFact(subject=head, relation=result.name, object=tail, role="derived",
                                       because=f"{result.name} = {first} . {second}"))


def _facts_in(store: GraphStore, entity: str) -> list[Fact]:
    try:
        return store.facts(entity, direction="in")
    except NotFound:  # an entity new to the KG has no incoming facts
        return []
