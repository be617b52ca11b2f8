"""Instantiate the language frame tables with a relation schema: alias alternations, verb phrases taken from
the schema's cloze templates, and one frame per template. Built once per :class:`~interpreter.Interpreter`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from interpreter.patterns import en, zh
from interpreter.patterns.frames import Action, Frame, FrameSpec, Tier, alternation, compile_template
from interpreter.patterns.templates import template_regex
from interpreter.similarity import phrase_key
from interpreter.text import is_cjk
from interpreter.types import IntentKind, Lang

if TYPE_CHECKING:
    from kg.schema import Relation, RelationSchema

_PREPOSITIONS = frozenset({"in", "at", "for", "by", "from", "to", "with", "on", "into"})
# An auxiliary before a verb is optional in frames ("is located in" ~ "located in"); before an article it is the
# copula of a noun phrase ("is the capital of") and must stay, or "X the capital of Y" would read as a statement.
_LEADING_AUX = re.compile(r"^(?:is|was|are|were|has|have|had)\s+(?!(?:the|a|an)\b)", re.IGNORECASE)
_TIER_ORDER = {Tier.TEMPLATE: 0, Tier.ALIAS: 1, Tier.GENERIC: 2}
_TABLES = {"en": (en.FRAGMENTS, en.FRAMES, en.WRAPPERS), "zh": (zh.FRAGMENTS, zh.FRAMES, zh.WRAPPERS)}


@dataclass(frozen=True)
class Wrapper:
    """A compiled :class:`WrapperSpec`."""

    name: str
    regex: re.Pattern[str]
    kind: IntentKind | None
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class FrameSet:
    """Every frame of one language, grouped by action, each group ordered template > alias > generic."""

    lang: Lang
    by_action: MappingProxyType[Action, tuple[Frame, ...]]
    wrappers: tuple[Wrapper, ...]
    verbs: MappingProxyType[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    def frames(self, action: Action) -> tuple[Frame, ...]:
        """The frames of ``action`` in priority order."""
        return self.by_action.get(action, ())


def build_frames(schema: RelationSchema, lang: Lang) -> FrameSet:
    """Compile the frames of ``lang`` for ``schema``.

    ``verbs`` maps each verb phrase (folded with :func:`~interpreter.similarity.phrase_key`) to the
    relations whose templates or aliases use it, for resolving ``{RV}`` slots.
    """
    fragments, specs, wrappers = _TABLES[lang]
    spaced = lang == "en"
    verbs = _verb_phrases(schema, lang)
    nouns = alternation(_relation_phrases(schema, lang), spaced=spaced)
    verb_alt = alternation(sorted(verbs), spaced=spaced)
    relation_slots = {"R": f"(?P<r>{nouns})", "R1": f"(?P<r1>{nouns})", "R2": f"(?P<r2>{nouns})",
                      "RV": f"(?P<r>{verb_alt})", "RV1": f"(?P<r1>{verb_alt})"}
    groups: dict[Action, list[Frame]] = {}
    for frame in _template_frames(schema, lang, fragments):
        groups.setdefault(frame.action, []).append(frame)
    for spec in specs:
        groups.setdefault(spec.action, []).extend(_spec_frames(spec, fragments, relation_slots, spaced))
    return FrameSet(
        lang=lang,
        by_action=MappingProxyType({action: tuple(sorted(frames, key=lambda f: _TIER_ORDER[f.tier]))
                                    for action, frames in groups.items()}),
        wrappers=tuple(Wrapper(w.name, re.compile(w.pattern, re.IGNORECASE),
                               IntentKind(w.kind) if w.kind else None, w.actions) for w in wrappers),
        verbs=MappingProxyType({k: frozenset(v) for k, v in verbs.items()}),
    )


def _spec_frames(spec: FrameSpec, fragments: dict[str, str], relation_slots: dict[str, str],
                 spaced: bool) -> list[Frame]:
    frames = [Frame(spec.name, spec.action, Tier.ALIAS,
                    compile_template(spec.template, {**fragments, **relation_slots}, spaced=spaced))]
    if spec.generic and "{R}" in spec.template:
        for key in ("R_GENERIC", "R_GENERIC_OF"):
            if key in fragments:
                slots = {**fragments, **relation_slots, "R": fragments[key]}
                frames.append(Frame(f"{spec.name}:{key.lower()}", spec.action, Tier.GENERIC,
                                    compile_template(spec.template, slots, spaced=spaced)))
    return frames


def _relation_phrases(schema: RelationSchema, lang: Lang) -> list[str]:
    """Names (with spaces) and aliases usable in ``lang``: English text carries only Latin-script aliases."""
    phrases: list[str] = []
    for relation in schema:
        for phrase in (relation.name.replace("_", " "), *relation.aliases):
            if lang == "zh" or not any(is_cjk(ch) for ch in phrase):
                phrases.append(unicodedata.normalize("NFKC", phrase))
    return phrases


def _verb_phrases(schema: RelationSchema, lang: Lang) -> dict[str, set[str]]:
    """Verb phrases that follow the subject directly ("plays for", "效力于"), from templates and aliases."""
    verbs: dict[str, set[str]] = {}
    for relation in schema:
        for phrase in _relation_verbs(relation, lang):
            key = phrase_key(phrase) if lang == "en" else phrase
            if key:
                verbs.setdefault(key, set()).add(relation.name)
    return verbs


def _relation_verbs(relation: Relation, lang: Lang) -> Iterable[str]:
    for template in relation.prompts.get(lang, ()):
        template = unicodedata.normalize("NFKC", template).strip()
        if not template.startswith("{subject}") or "{" in template[len("{subject}"):]:
            continue
        rest = template[len("{subject}"):].strip()
        if lang == "zh" and rest and not rest.startswith("的"):
            yield rest
        elif lang == "en" and rest and not rest.startswith("'"):
            yield from _with_base_form(_LEADING_AUX.sub("", rest))
    if lang == "en":
        for alias in relation.aliases:
            words = alias.split()
            if words and not any(is_cjk(ch) for ch in alias) and words[-1].casefold() in _PREPOSITIONS:
                yield from _with_base_form(_LEADING_AUX.sub("", alias))


def _with_base_form(phrase: str) -> Iterable[str]:
    """The phrase, and with its first verb's third-person 's' dropped ("plays for" -> "play for")."""
    yield phrase
    first, _, rest = phrase.partition(" ")
    if len(first) > 3 and first.endswith("s") and not first.endswith("ss"):
        yield f"{first[:-1]} {rest}".strip()


def _template_frames(schema: RelationSchema, lang: Lang, fragments: dict[str, str]) -> Iterable[Frame]:
    for relation in schema:
        for kind, table, action in (("prompt", relation.prompts, Action.EDIT),
                                    ("question", relation.questions, Action.QUERY)):
            for i, template in enumerate(table.get(lang, ())):
                compiled = template_regex(template, lang, fragments, question=kind == "question")
                if compiled is not None:
                    source, keywords = compiled
                    yield Frame(f"{kind}:{relation.name}:{i}", action, Tier.TEMPLATE, source,
                                relation=relation.name, keywords=keywords)
