"""The real facts behind the built-in counterfactual set, and which of them a model already knows.

Facts come from the shipped demo KG (``kg/data/demo_countries.csv``, built from the countryinfo package) plus
``capital_of``, derived from the capitals through the schema's inverse. A fact is *known* when the model's
greedy continuation of the relation's canonical prompt starts with one of the subject's true objects. The known
set depends on the weights, language and data, so it is cached under ``<home>/eval/`` keyed by a digest of
all three: the first run on a model generates (about a minute on a CPU), later runs read a small JSON file.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from editors.eval.metrics import matches
from editors.requests import target_text
from kg.demo import demo_csv_path, load_demo_triples
from kg.schema import RelationSchema
from models import ModelHandle
from models._fs import atomic_write_json
from models.digest import files_digest, text_digest

logger = logging.getLogger(__name__)

#: Relations of the demo KG used for edits ("region" is left out: it repeats "continent" for most countries).
RELATIONS = ("capital", "capital_of", "located_in", "official_language", "currency", "continent", "subregion",
             "borders", "calling_code", "top_level_domain")
#: Bump when the filtering rule changes, so old caches are not reused.
VERSION = 1
GREEDY_TOKENS = 10

#: (subject, relation) -> true objects.
Table = dict[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class Fact:
    """A true triple; ``object`` is the one the model answered when the relation has several."""

    subject: str
    relation: str
    object: str


def kg_table(schema: RelationSchema, path: Path | None = None) -> Table:
    """The demo KG as (subject, relation) -> objects, with ``capital_of`` derived from ``capital``."""
    table: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, r, o in load_demo_triples(path):
        table[(s, r)].append(o)
        inverse = schema.get(r).inverse
        if r == "capital" and inverse:
            table[(o, inverse)].append(s)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def known_facts(handle: ModelHandle, table: Table, schema: RelationSchema, *, lang: str, home: Path | None,
                relations: Sequence[str] = RELATIONS, subjects: Sequence[str] | None = None,
                batch_size: int = 32) -> list[Fact]:
    """The facts of ``relations`` (about ``subjects``, None = all) whose canonical ``lang`` prompt the model
    completes right (greedy), in table order; read from / written to the cache under ``home`` (none without)."""
    key = _key(handle, schema, lang, [*relations] if subjects is None else [*relations, "|", *subjects])
    cache = None if home is None else Path(home) / "eval" / f"known-{lang}-{key}.json"
    if cache is not None and cache.exists():
        return [Fact(*row) for row in json.loads(cache.read_text(encoding="utf-8"))["facts"]]
    wanted = None if subjects is None else set(subjects)
    keys = [k for k in table if k[1] in relations and (wanted is None or k[0] in wanted)]
    prompts = [schema.get(r).prompt(s, lang) for s, r in keys]
    logger.info("checking %d facts (%s) against the model's greedy answers", len(prompts), lang)
    outs = handle.generate(prompts, chat=False, max_new_tokens=GREEDY_TOKENS, batch_size=batch_size)
    facts = []
    for (s, r), out in zip(keys, outs):
        hit = next((o for o in table[(s, r)] if matches(out, target_text(o, lang))), None)
        if hit is not None:
            facts.append(Fact(s, r, hit))
    if cache is not None:
        atomic_write_json(cache, {"model_state": handle.state_id, "lang": lang, "checked": len(keys),
                                  "facts": [[f.subject, f.relation, f.object] for f in facts]})
    return facts


def _key(handle: ModelHandle, schema: RelationSchema, lang: str, relations: Sequence[str]) -> str:
    data = files_digest([demo_csv_path()])
    rules = json.dumps(schema.to_dict(), sort_keys=True, ensure_ascii=False)
    return text_digest(handle.state_id, data, rules, lang, ",".join(relations), str(VERSION))[:16]
