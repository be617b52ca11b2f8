"""The relation schema: cardinality, inverses, two-hop composition rules and EN/ZH prompt templates.

The shipped library lives in ``kg/data/relations.json``; :meth:`RelationSchema.default` loads a fresh copy
each call (no module-level cache: callers may add relations at run time and must not see each other's).
Lookup is forgiving (exact name, normalised name, then English or Chinese alias); an unknown name raises
:class:`~kg.errors.UnknownRelation` listing the nearest known relations, and never prompts.

>>> schema = RelationSchema.default()
>>> schema.get("Head of State").name
'head_of_state'
>>> schema.get("首都").prompt("France")
'The capital of France is'
>>> schema.compose("head_of_state", "spouse").name
'first_lady'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kg.errors import InvalidInput, NotFound, UnknownRelation
from kg.schema_check import check_batch, check_composition, lookup_keys, norm_key, suggest

__all__ = ["Cardinality", "Composition", "Relation", "RelationSchema"]

FORMAT = 1  # version of the JSON layout written by RelationSchema.to_dict
_FIELDS = {"name", "cardinality", "aliases", "inverse", "prompts", "questions", "subject_type", "object_type",
           "protected", "description"}


class Cardinality(StrEnum):
    """How many objects a subject may have, and how many subjects an object may have."""

    ONE2ONE = "one2one"
    ONE2MANY = "one2many"
    MANY2ONE = "many2one"
    MANY2MANY = "many2many"

    @property
    def single_valued(self) -> bool:
        """True when a subject has at most one object, so a new object is a coverage conflict."""
        return self in (Cardinality.ONE2ONE, Cardinality.MANY2ONE)

    @property
    def inverted(self) -> Cardinality:
        """The cardinality of the inverse relation (one2many <-> many2one)."""
        swap = {Cardinality.ONE2MANY: Cardinality.MANY2ONE, Cardinality.MANY2ONE: Cardinality.ONE2MANY}
        return swap.get(self, self)


def _templates(value: Mapping[str, Any] | None) -> Mapping[str, tuple[str, ...]]:
    """Freeze a lang -> templates table; a bare string counts as one template."""
    frozen = {str(lang): (t,) if isinstance(t, str) else tuple(t) for lang, t in (value or {}).items()}
    return MappingProxyType(frozen)


def _lang(lang: str) -> str:
    """'zh-CN', 'zh_Hans' -> 'zh': templates are kept per primary language."""
    return lang.replace("_", "-").split("-")[0].casefold()


@dataclass(frozen=True)
class Relation:
    """One relation type. Templates are keyed by language and contain ``{subject}``.

    Prompts end right before the object, so ``prompt + " " + object`` is the edit target sentence in English
    and ``prompt + object`` in Chinese. The first template of a language is canonical; the rest are paraphrases.
    """

    name: str
    cardinality: Cardinality
    aliases: tuple[str, ...] = ()
    inverse: str | None = None
    prompts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    subject_type: str | None = None
    object_type: str | None = None
    protected: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        # Coerce JSON-ish inputs (str cardinality, lists, dicts) so equal relations compare equal.
        try:
            card = Cardinality(self.cardinality)
        except ValueError as e:
            known = ", ".join(c.value for c in Cardinality)
            raise InvalidInput(f"relation {self.name!r}: cardinality {self.cardinality!r} is not one of {known}") from e
        aliases = (self.aliases,) if isinstance(self.aliases, str) else tuple(self.aliases)
        object.__setattr__(self, "cardinality", card)
        object.__setattr__(self, "aliases", aliases)
        object.__setattr__(self, "inverse", self.inverse or None)
        object.__setattr__(self, "prompts", _templates(self.prompts))
        object.__setattr__(self, "questions", _templates(self.questions))

    def __hash__(self) -> int:  # the template tables are mappings, so hash on identity-defining fields only
        return hash((self.name, self.cardinality, self.aliases, self.inverse))

    @property
    def single_valued(self) -> bool:
        """Shortcut for ``cardinality.single_valued``."""
        return self.cardinality.single_valued

    @property
    def symmetric(self) -> bool:
        """True when the relation is its own inverse (spouse, borders, sibling)."""
        return self.inverse == self.name

    def prompt(self, subject: str, lang: str = "en", index: int = 0) -> str:
        """Render cloze template ``index`` of ``lang`` for ``subject``.

        Falls back to a generic template ("The {words} of {subject} is") when the language has none.

        Raises:
            InvalidInput: ``index`` is out of range.
        """
        return self._render(self.prompts, "prompt", subject, lang, index)

    def question(self, subject: str, lang: str = "en", index: int = 0) -> str:
        """Render question template ``index`` of ``lang`` for ``subject`` (same fallback and errors)."""
        return self._render(self.questions, "question", subject, lang, index)

    def prompts_for(self, subject: str, lang: str = "en") -> tuple[str, ...]:
        """All cloze prompts of ``lang`` rendered for ``subject``: the canonical one first, then paraphrases."""
        return tuple(t.replace("{subject}", subject) for t in self._table(self.prompts, "prompt", lang))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; :meth:`from_dict` reads it back."""
        return {"name": self.name, "cardinality": self.cardinality.value, "aliases": list(self.aliases),
                "inverse": self.inverse, "prompts": {k: list(v) for k, v in self.prompts.items()},
                "questions": {k: list(v) for k, v in self.questions.items()}, "subject_type": self.subject_type,
                "object_type": self.object_type, "protected": self.protected, "description": self.description}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Relation:
        """Build a relation from :meth:`to_dict` output.

        Raises:
            InvalidInput: not a mapping, ``name``/``cardinality`` missing, or an unknown key (catches typos
                such as ``reverse`` for ``inverse``).
        """
        if not isinstance(data, Mapping) or "name" not in data or "cardinality" not in data:
            raise InvalidInput(f"a relation needs at least 'name' and 'cardinality', got {data!r:.200}")
        unknown = set(data) - _FIELDS
        if unknown:
            raise InvalidInput(f"relation {data['name']!r}: unknown field(s) {sorted(unknown)}")
        return cls(**dict(data))

    def _table(self, table: Mapping[str, tuple[str, ...]], kind: str, lang: str) -> tuple[str, ...]:
        return table.get(_lang(lang)) or (self._fallback(kind, _lang(lang)),)

    def _render(self, table: Mapping[str, tuple[str, ...]], kind: str, subject: str, lang: str, index: int) -> str:
        options = self._table(table, kind, lang)
        if not -len(options) <= index < len(options):
            raise InvalidInput(f"relation {self.name!r} has {len(options)} {kind}(s) for {lang!r}, no index {index}")
        # str.replace, not str.format: subjects may contain braces.
        return options[index].replace("{subject}", subject)

    def _fallback(self, kind: str, lang: str) -> str:
        # Mirrors OneEdit's "the {r} of {h} is"; Chinese uses the first Chinese alias as the noun.
        if lang == "zh":
            noun = next((a for a in self.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), self.name)
            return f"{{subject}}的{noun}是" if kind == "prompt" else f"{{subject}}的{noun}是什么？"
        words = self.name.replace("_", " ")
        return f"The {words} of {{subject}} is" if kind == "prompt" else f"What is the {words} of {{subject}}?"


@dataclass(frozen=True)
class Composition:
    """A two-hop rule ``result = path[0] . path[1]``: (x path[0] y), (y path[1] z) => (x result z)."""

    result: str
    path: tuple[str, str]

    def __post_init__(self) -> None:
        path = tuple(self.path)
        if len(path) != 2 or not all(isinstance(p, str) and p for p in path):
            raise InvalidInput(f"composition {self.result!r}: path must be two relation names, got {self.path!r}")
        object.__setattr__(self, "path", path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"result": self.result, "path": list(self.path)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Composition:
        """Build from ``{"result": r, "path": [r1, r2]}``.

        Raises:
            InvalidInput: keys missing or the path is not two names.
        """
        try:
            return cls(result=data["result"], path=tuple(data["path"]))
        except (KeyError, TypeError) as e:
            raise InvalidInput(f"a composition needs 'result' and a two-name 'path', got {data!r:.200}") from e


class RelationSchema:
    """The catalogue of relations and composition rules, with forgiving lookup and validated additions."""

    def __init__(self, relations: Iterable[Relation] = (), compositions: Iterable[Composition] = ()):
        """Build and validate a schema.

        Raises:
            InvalidInput: a relation or rule is malformed, inverses do not pair up, or names/aliases collide.
        """
        self._relations: dict[str, Relation] = {}
        self._keys: dict[str, str] = {}  # normalised name or alias -> relation name
        self._custom: list[str] = []
        self._compositions: dict[tuple[str, str], Composition] = {}
        self._custom_compositions: list[Composition] = []
        self._admit(list(relations))
        for comp in compositions:
            self._add_rule(comp)

    # -- loading and saving ----------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> RelationSchema:
        """The shipped library (``kg/data/relations.json``), as a new object on every call."""
        text = resources.files("kg").joinpath("data/relations.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelationSchema:
        """Build from :meth:`to_dict` output (``custom`` marks run-time additions, so they round-trip).

        Raises:
            InvalidInput: the layout or any relation/rule is invalid.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("relations"), list):
            raise InvalidInput("a relation schema needs a 'relations' list")
        schema = cls([Relation.from_dict(r) for r in data["relations"]],
                     [Composition.from_dict(c) for c in data.get("compositions", [])])
        schema._mark_custom(data.get("custom", []), data.get("custom_compositions", []))
        return schema

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form of the whole schema."""
        return {"format": FORMAT, "relations": [r.to_dict() for r in self._relations.values()],
                "compositions": [c.to_dict() for c in self._compositions.values()],
                "custom": list(self._custom), "custom_compositions": [c.to_dict() for c in self._custom_compositions]}

    @classmethod
    def from_json(cls, path: str | Path) -> RelationSchema:
        """Read a schema written by :meth:`to_json`. Raises NotFound (no file) or InvalidInput."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as e:
            raise NotFound(f"no relation schema at {path}") from e
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{path}: not valid JSON ({e})") from e

    def to_json(self, path: str | Path) -> None:
        """Write the schema as UTF-8 JSON (Chinese kept readable)."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    # -- lookup -----------------------------------------------------------------------------------------------

    def get(self, name_or_alias: str) -> Relation:
        """Resolve a name or alias: exact name, normalised name ("Head of State"), then EN/ZH alias.

        Raises:
            UnknownRelation: nothing matches; ``suggestions`` holds up to five nearest relation names.
        """
        found = self.find(name_or_alias)
        if found is None:
            raise UnknownRelation(str(name_or_alias), self.suggest(str(name_or_alias)))
        return found

    def find(self, name_or_alias: str) -> Relation | None:
        """Like :meth:`get`, but returns None for an unknown relation."""
        if not isinstance(name_or_alias, str):
            return None
        if name_or_alias in self._relations:
            return self._relations[name_or_alias]
        for key in lookup_keys(name_or_alias):
            if key in self._keys:
                return self._relations[self._keys[key]]
        return None

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` relation names nearest to ``text`` (edit distance and shared words), best first."""
        return suggest(text, self._keys, limit)

    def __contains__(self, name_or_alias: object) -> bool:
        """True when the name or any alias resolves (so ``x in schema`` agrees with :meth:`find`)."""
        return isinstance(name_or_alias, str) and self.find(name_or_alias) is not None

    def __iter__(self) -> Iterator[Relation]:
        return iter(list(self._relations.values()))

    def __len__(self) -> int:
        return len(self._relations)

    def names(self) -> list[str]:
        """Relation names in catalogue order."""
        return list(self._relations)

    def inverse_of(self, name: str) -> Relation | None:
        """The inverse relation of ``name`` (itself when symmetric), or None. Raises UnknownRelation."""
        inverse = self.get(name).inverse
        return self._relations[inverse] if inverse else None

    # -- run-time additions -----------------------------------------------------------------------------------

    def add(self, relation: Relation) -> None:
        """Add one relation at run time (recorded in :meth:`custom`).

        Its inverse must be None, itself (symmetric), or a relation already pointing back to it; to add a new
        relation together with its new inverse use :meth:`add_pair`.

        Raises:
            InvalidInput: bad name, duplicate name, alias colliding with another relation, unpaired inverse,
                or a template without ``{subject}``.
        """
        self._admit([relation], custom=True)

    def add_pair(self, relation: Relation, inverse: Relation) -> None:
        """Add a relation and its inverse together; both must name each other. Nothing is added on error.

        Raises:
            InvalidInput: as :meth:`add`, or the two do not name each other as inverse.
        """
        if relation.inverse != inverse.name or inverse.inverse != relation.name:
            raise InvalidInput(f"add_pair: {relation.name!r} and {inverse.name!r} must name each other as inverse")
        self._admit([relation, inverse], custom=True)

    def custom(self) -> list[Relation]:
        """Relations added at run time, in the order they were added."""
        return [self._relations[n] for n in self._custom]

    # -- composition rules ------------------------------------------------------------------------------------

    def compositions(self) -> list[Composition]:
        """All rules, in catalogue order."""
        return list(self._compositions.values())

    def compose(self, r1: str, r2: str) -> Relation | None:
        """The relation ``r`` with a rule ``r = r1 . r2``, or None. Names or aliases are accepted."""
        first, second = self.find(r1), self.find(r2)
        if first is None or second is None:
            return None
        comp = self._compositions.get((first.name, second.name))
        return self._relations[comp.result] if comp else None

    def compositions_using(self, name: str) -> list[Composition]:
        """Rules whose path contains the relation ``name`` (what an edit of it may derive)."""
        rel = self.find(name)
        return [c for c in self._compositions.values() if rel is not None and rel.name in c.path]

    def add_composition(self, comp: Composition) -> None:
        """Add a rule at run time (recorded in :meth:`custom_compositions`).

        Raises:
            InvalidInput: a relation is unknown, the path already has a rule, or a single-valued result is
                built from a multi-valued path (it would derive contradicting facts).
        """
        self._add_rule(comp)
        self._custom_compositions.append(comp)

    def custom_compositions(self) -> list[Composition]:
        """Rules added at run time."""
        return list(self._custom_compositions)

    # -- internals --------------------------------------------------------------------------------------------

    def _admit(self, batch: list[Relation], custom: bool = False) -> None:
        # Validate the whole batch against the schema before touching it, so a failed add changes nothing.
        check_batch(batch, self._relations, self._keys)
        for rel in batch:
            self._relations[rel.name] = rel
            for text in (rel.name, *rel.aliases):
                self._keys.setdefault(norm_key(text) or rel.name, rel.name)
            if custom:
                self._custom.append(rel.name)

    def _add_rule(self, comp: Composition) -> None:
        check_composition(comp, self._relations, self._compositions)
        self._compositions[comp.path] = comp

    def _mark_custom(self, names: Iterable[str], comps: Iterable[Mapping[str, Any]]) -> None:
        for name in names:
            if name not in self._relations:
                raise InvalidInput(f"'custom' names {name!r}, which is not among the relations")
            self._custom.append(name)
        for data in comps:
            comp = Composition.from_dict(data)
            if self._compositions.get(comp.path) != comp:
                raise InvalidInput(f"'custom_compositions' lists {comp.to_dict()}, which is not among the rules")
            self._custom_compositions.append(comp)
