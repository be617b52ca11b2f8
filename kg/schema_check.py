"""Validation, name normalisation and nearest-name suggestions for :mod:`kg.schema`.

Free functions over the schema's internal tables, kept apart so ``kg/schema.py`` stays the model and its API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from kg.errors import InvalidInput
from kg.ids import entity_id

if TYPE_CHECKING:
    from kg.schema import Composition, Relation

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Words people wrap around a relation phrase ("the capital", "capital is"); dropped on a second lookup try.
_LEADING = ("the", "a", "an", "its", "his", "her", "their", "is", "was", "has")
_TRAILING = ("is", "was", "are", "were")
_STOPWORDS = frozenset({"the", "a", "an", "of", "in", "is", "was", "to", "for", "by", "on"})
_MIN_SCORE = 0.6


def norm_key(text: str) -> str | None:
    """Normalised lookup key: NFKC, casefold, separators -> '_', punctuation dropped; None if nothing is left.

    >>> norm_key("Head-of State")
    'head_of_state'
    """
    try:
        return entity_id(text)
    except ValueError:
        return None


def lookup_keys(text: str) -> Iterator[str]:
    """Keys to try for ``text``: its normalised form, then without wrapping words ('the ... is', '...是')."""
    key = norm_key(text)
    if key is None:
        return
    yield key
    words = key.split("_")
    while len(words) > 1 and words[0] in _LEADING:
        words = words[1:]
    while len(words) > 1 and words[-1] in _TRAILING:
        words = words[:-1]
    trimmed = "_".join(words)
    if len(trimmed) > 1 and trimmed[-1] in "是为":  # Chinese copula at the end: "首都是"
        trimmed = trimmed[:-1]
    if trimmed != key:
        yield trimmed


def suggest(text: str, keys: Mapping[str, str], limit: int = 5) -> list[str]:
    """Relation names whose name or alias is nearest to ``text``, best first, at most ``limit``.

    A candidate's score is the better of the difflib ratio and the share of content words in common, so both
    typos ("captial") and reworded phrases ("head of the government") find their relation.
    """
    key = norm_key(text) or str(text).casefold()
    words = _content_words(key)
    best: dict[str, float] = {}
    for candidate, name in keys.items():
        score = max(SequenceMatcher(None, key, candidate).ratio(), _overlap(words, _content_words(candidate)))
        if score >= _MIN_SCORE and score > best.get(name, 0.0):
            best[name] = score
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, _ in ranked[:limit]]


def check_batch(batch: Sequence[Relation], existing: Mapping[str, Relation], keys: Mapping[str, str]) -> None:
    """Validate relations about to join a schema (``existing`` names, ``keys`` its alias index).

    Raises:
        InvalidInput: the first problem found, naming the relation.
    """
    by_name: dict[str, Relation] = {}
    for rel in batch:
        check_relation(rel)
        if rel.name in existing or rel.name in by_name:
            raise InvalidInput(f"relation {rel.name!r} already exists")
        by_name[rel.name] = rel
    _check_keys(batch, keys)
    for rel in batch:
        _check_inverse(rel, by_name.get(rel.inverse or "") or existing.get(rel.inverse or ""))


def check_relation(rel: Relation) -> None:
    """Check one relation on its own: snake_case name, aliases, template languages and placeholders.

    Raises:
        InvalidInput: naming the relation and the problem.
    """
    if not isinstance(rel.name, str) or not _NAME.match(rel.name):
        raise InvalidInput(f"relation name {rel.name!r} must be snake_case ASCII (e.g. 'head_of_state')")
    for alias in rel.aliases:
        if not isinstance(alias, str) or norm_key(alias) is None:
            raise InvalidInput(f"relation {rel.name!r}: alias {alias!r} has no letters or digits")
    for kind, table in (("prompt", rel.prompts), ("question", rel.questions)):
        for lang, templates in table.items():
            if not _LANG.match(lang):
                raise InvalidInput(f"relation {rel.name!r}: {kind} language {lang!r} must be a code like 'en', 'zh'")
            for template in templates:
                _check_template(rel.name, kind, template)


def check_composition(comp: Composition, relations: Mapping[str, Relation],
                      rules: Mapping[tuple[str, str], Composition]) -> None:
    """Validate a rule against the schema's relations and existing rules.

    Raises:
        InvalidInput: unknown relation, a second rule for the same path, or a single-valued result from a
            multi-valued path.
    """
    for name in (comp.result, *comp.path):
        if name not in relations:
            raise InvalidInput(f"composition {comp.result} = {' . '.join(comp.path)}: unknown relation {name!r}")
    if comp.path in rules:
        raise InvalidInput(f"path {' . '.join(comp.path)} already composes into {rules[comp.path].result!r}")
    result_single = relations[comp.result].cardinality.single_valued
    path_single = all(relations[p].cardinality.single_valued for p in comp.path)
    if result_single and not path_single:
        raise InvalidInput(f"composition {comp.result!r} is single-valued but {' . '.join(comp.path)} can give "
                           "several objects: the derived facts would contradict each other")


def _check_template(name: str, kind: str, template: str) -> None:
    if not isinstance(template, str) or "{subject}" not in template:
        raise InvalidInput(f"relation {name!r}: {kind} template {template!r} must contain {{subject}}")
    others = {p for p in _PLACEHOLDER.findall(template) if p != "subject"}
    if others:
        raise InvalidInput(f"relation {name!r}: {kind} template {template!r} has unknown placeholder(s) {others}")
    if template != template.strip():
        # The editor appends " " + object (English) or the object (Chinese); stray spaces would double up.
        raise InvalidInput(f"relation {name!r}: {kind} template {template!r} has leading/trailing spaces")


def _check_keys(batch: Sequence[Relation], keys: Mapping[str, str]) -> None:
    claimed = dict(keys)
    for rel in batch:
        for text in (rel.name, *rel.aliases):
            key = norm_key(text)
            owner = claimed.get(key or "")
            if owner is not None and owner != rel.name:
                what = "name" if text == rel.name else f"alias {text!r}"
                raise InvalidInput(f"relation {rel.name!r}: {what} collides with relation {owner!r}")
            claimed[key or rel.name] = rel.name


def _check_inverse(rel: Relation, target: Relation | None) -> None:
    if rel.inverse is None or rel.inverse == rel.name:
        if rel.inverse and rel.cardinality.inverted != rel.cardinality:
            raise InvalidInput(f"symmetric relation {rel.name!r} cannot be {rel.cardinality.value}")
        return
    if target is None:
        raise InvalidInput(f"relation {rel.name!r}: inverse {rel.inverse!r} does not exist "
                           "(add both with add_pair())")
    if target.inverse != rel.name:
        raise InvalidInput(f"relation {rel.name!r}: inverse {target.name!r} points to {target.inverse!r}, "
                           f"not back to {rel.name!r}")
    if target.cardinality != rel.cardinality.inverted:
        raise InvalidInput(f"relation {rel.name!r} is {rel.cardinality.value}, so its inverse {target.name!r} "
                           f"must be {rel.cardinality.inverted.value}, not {target.cardinality.value}")
    if None not in (rel.subject_type, target.object_type) and rel.subject_type != target.object_type:
        raise InvalidInput(f"relation {rel.name!r}: subject type {rel.subject_type!r} differs from the object type "
                           f"{target.object_type!r} of its inverse {target.name!r}")


def _content_words(key: str) -> set[str]:
    return {w for w in key.split("_") if w and w not in _STOPWORDS}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
