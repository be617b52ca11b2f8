"""The built-in counterfactual edit set: real facts the unedited model gets right, each rewritten to a wrong but
plausible object, with probes for every metric.

Per known fact ``(s, r, o)`` (see :mod:`editors.eval.facts`), with a seeded choice of ``o_new``, another object
of ``r`` that the model knows for some other subject and that is not one of ``s``'s true objects:

- prompt: ``r``'s canonical template for ``s``; rephrases: its other templates (the relation's paraphrases);
- locality: ``neighbourhood`` = other subjects' known facts of ``r``; ``unrelated`` = known facts of other
  relations about other subjects;
- portability: ``inverse`` (``inv(r)(o_new) -> s`` when the inverse is single-valued, from relations.json);
  ``one_hop`` (a KG fact ``(o_new, r2, z)`` with exactly one ``z``, known to the model or not: the schema's composition rule
  ``r3 = r . r2`` gives ``r3(s) -> z`` when there is one, else the chained prompt ``r2("the r of s") -> z``,
  OneEdit's two-hop form, e.g. "The capital of France is located in" -> Italy); ``alias`` (the edit prompt
  with another English name of ``s`` from countryinfo's ``altSpellings`` -> ``o_new``).

Names are the KG's English ones in both languages: no installed package has Chinese country names offline
(countryinfo's translations cover de/es/fr/it/ja only), so the Chinese set uses the Chinese templates of
relations.json with the English names (``"France的首都是" -> "Rome"``).
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from editors.eval.facts import RELATIONS, Fact, Table, kg_table, known_facts
from editors.requests import EditRequest, Probe, render_request, target_text
from kg.schema import Relation, RelationSchema
from models import ModelHandle


@dataclass(frozen=True)
class CounterfactOptions:
    """How the set is built: language, how many edits (None = all), seed, probes per kind."""

    lang: str = "en"
    limit: int | None = None
    seed: int = 0
    neighbours: int = 3
    unrelated: int = 2
    one_hop: int = 2
    relations: tuple[str, ...] = RELATIONS
    #: Only facts about these subjects (None = all); the filter then checks only those.
    subjects: tuple[str, ...] | None = None


def builtin_counterfacts(handle: ModelHandle, *, home: Path | None,
                         options: CounterfactOptions = CounterfactOptions()) -> list[EditRequest]:
    """Counterfactual edit requests of facts ``handle``'s model gets right (module docstring); deterministic for
    a given model state, data and ``options``. The known-fact filter is cached under ``home``."""
    schema = RelationSchema.default()
    table = kg_table(schema)
    known = known_facts(handle, table, schema, lang=options.lang, home=home, relations=options.relations,
                        subjects=options.subjects)
    rng = random.Random(options.seed)
    order = list(known)
    rng.shuffle(order)
    builder = _Builder(schema, table, known, options, _aliases())
    out = []
    for fact in order:
        request = builder.request(fact, random.Random(f"{options.seed}:{fact.subject}:{fact.relation}"))
        if request is not None:
            out.append(request)
        if options.limit is not None and len(out) >= options.limit:
            break
    return out


class _Builder:
    def __init__(self, schema: RelationSchema, table: Table, known: Sequence[Fact], options: CounterfactOptions,
                 aliases: dict[str, tuple[str, ...]]) -> None:
        self.schema, self.table, self.options, self.aliases = schema, table, options, aliases
        self.by_relation: dict[str, list[Fact]] = defaultdict(list)
        self.by_subject: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for f in known:
            self.by_relation[f.relation].append(f)
        for (subject, relation), objects in table.items():
            self.by_subject[subject].append((relation, objects))
        self.known = list(known)

    def request(self, fact: Fact, rng: random.Random) -> EditRequest | None:
        relation, lang = self.schema.get(fact.relation), self.options.lang
        pool = sorted({f.object for f in self.by_relation[fact.relation]}
                      - set(self.table[(fact.subject, fact.relation)]) - {fact.subject})
        if not pool:
            return None
        new = rng.choice(pool)
        portability = (*self._inverse(relation, fact, new), *self._one_hop(relation, fact, new, rng),
                       *self._alias(relation, fact, new, rng))
        return render_request(relation, fact.subject, new, lang=lang, target_true=fact.object,
                              locality=self._locality(fact, rng), portability=portability)

    def _probe(self, relation: Relation, subject: str, answer: str, kind: str) -> Probe:
        lang = self.options.lang
        return Probe(prompt=relation.prompt(subject, lang), answer=target_text(answer, lang), kind=kind)

    def _locality(self, fact: Fact, rng: random.Random) -> tuple[Probe, ...]:
        same = [f for f in self.by_relation[fact.relation] if f.subject != fact.subject]
        other = [f for f in self.known if f.relation != fact.relation and f.subject != fact.subject]
        picks = [(f, "neighbourhood") for f in rng.sample(same, min(self.options.neighbours, len(same)))]
        picks += [(f, "unrelated") for f in rng.sample(other, min(self.options.unrelated, len(other)))]
        return tuple(self._probe(self.schema.get(f.relation), f.subject, f.object, kind) for f, kind in picks)

    def _inverse(self, relation: Relation, fact: Fact, new: str) -> tuple[Probe, ...]:
        inverse = self.schema.inverse_of(relation.name)
        if inverse is None or not inverse.single_valued:
            return ()
        return (self._probe(inverse, new, fact.subject, "inverse"),)

    def _one_hop(self, relation: Relation, fact: Fact, new: str, rng: random.Random) -> tuple[Probe, ...]:
        probes = []
        for second, objects in self.by_subject.get(new, []):
            if len(objects) != 1 or second == relation.inverse:
                continue
            prompt = self._chain(relation, self.schema.get(second), fact.subject)
            if prompt is not None:
                probes.append(Probe(prompt=prompt, answer=target_text(objects[0], self.options.lang),
                                    kind="one_hop"))
        return tuple(rng.sample(probes, min(self.options.one_hop, len(probes))))

    def _chain(self, first: Relation, second: Relation, subject: str) -> str | None:
        """``second(first(subject))`` as a prompt: the schema's composition rule when it has one, else the
        second relation's template around the noun phrase of the first ("The capital of France")."""
        lang = self.options.lang
        composed = self.schema.compose(first.name, second.name)
        if composed is not None:
            return composed.prompt(subject, lang)
        head, template = first.prompt(subject, lang), second.prompts_for("{subject}", lang)[0]
        suffix = " is" if lang != "zh" else "是"
        if not head.endswith(suffix) or not template.startswith("{subject}"):
            return None
        return template.replace("{subject}", head[: -len(suffix)], 1)

    def _alias(self, relation: Relation, fact: Fact, new: str, rng: random.Random) -> tuple[Probe, ...]:
        names = [a for a in self.aliases.get(fact.subject, ()) if a != fact.subject]
        if not names:
            return ()
        return (self._probe(relation, rng.choice(names), new, "alias"),)


def _aliases() -> dict[str, tuple[str, ...]]:
    """Country name -> other English names (countryinfo ``altSpellings`` that are words, not codes); empty when
    countryinfo is not installed (no alias probes then; the rest of the set is unaffected)."""
    spec = importlib.util.find_spec("countryinfo")
    if spec is None or not spec.submodule_search_locations:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for file in sorted((Path(list(spec.submodule_search_locations)[0]) / "data").glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        names = [a for a in data.get("altSpellings", []) if _is_name(a)]
        if data.get("name") and names:
            out[data["name"]] = tuple(names)
    return out


def _is_name(text: str) -> bool:
    return isinstance(text, str) and len(text) >= 4 and text.isascii() and not text.isupper()
