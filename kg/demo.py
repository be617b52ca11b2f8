"""The demo knowledge graph: country facts built from the data shipped in the ``countryinfo`` package.

The shipped result is ``kg/data/demo_countries.csv`` (header ``subject,relation,object``); read it with
:func:`load_demo_triples`. Regenerate it, byte for byte, with::

    python -m kg.demo --out kg/data/demo_countries.csv

Facts (names in their original form): capital, a capital's ``located_in`` country, continent, UN region and
subregion, official languages and currencies (ISO codes named through ``kg/data/demo_iso_names.json``), land
borders, calling codes and top-level domains. The source data has duplicates, dissolved states and one-sided
border claims; the cleaning rules below are chosen so the result never contradicts the schema's cardinality.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from kg.errors import InvalidInput, NotFound
from kg.ids import entity_id
from kg.schema import RelationSchema

__all__ = ["build_demo_triples", "demo_csv_path", "load_demo_triples", "write_csv"]

log = logging.getLogger(__name__)

Triple = tuple[str, str, str]
HEADER = ("subject", "relation", "object")
# Dissolved states still in the data (Serbia and Montenegro 2006, Netherlands Antilles 2010): keeping them would
# give Belgrade two countries and Willemstad two capitals-of.
_FORMER_STATES = frozenset({"SCG", "ANT"})
_CONTINENTS = frozenset({"Africa", "Asia", "Europe", "Oceania"})
# The UN "Americas" region spans two continents; its (intermediate) subregions say which.
_AMERICAS = {"Northern America": "North America", "Central America": "North America",
             "Caribbean": "North America", "South America": "South America"}


def demo_csv_path() -> Path:
    """Path of the shipped demo CSV inside the installed ``kg`` package."""
    return Path(str(resources.files("kg").joinpath("data/demo_countries.csv")))


def load_demo_triples(path: str | Path | None = None) -> list[Triple]:
    """Read ``(subject, relation, object)`` rows from the demo CSV (the shipped one by default).

    Raises:
        InvalidInput: the header is not ``subject,relation,object`` or a row does not have three fields.
    """
    with open(path or demo_csv_path(), encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(rows[0]) != HEADER:
        raise InvalidInput(f"demo CSV must start with the header {','.join(HEADER)}")
    bad = next((i for i, row in enumerate(rows[1:], start=2) if len(row) != 3), None)
    if bad is not None:
        raise InvalidInput(f"demo CSV line {bad} does not have three fields")
    return [(s, r, o) for s, r, o in rows[1:]]


def write_csv(triples: Iterable[Triple], out: str | Path) -> int:
    """Write triples with the header; ``\\n`` line ends so the file is identical on every platform.

    Returns the number of facts written.
    """
    rows = list(triples)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)


def build_demo_triples(data_dir: str | Path | None = None, schema: RelationSchema | None = None) -> list[Triple]:
    """Build the demo facts from countryinfo's JSON files, de-duplicated, in a deterministic order.

    Raises:
        NotFound: the countryinfo data cannot be found.
        UnknownRelation: a relation used here is missing from ``schema`` (the default library if None).
    """
    schema = schema or RelationSchema.default()
    countries = load_countries(data_dir)
    names = _code_names()
    capitals = _capitals(countries)
    borders = _mutual_borders(countries)
    short_codes = {c for rec in countries for c in rec.get("callingCodes") or [] if c.isdigit() and len(c) <= 3}
    triples: list[Triple] = []
    for rec in countries:
        triples.extend(_country_facts(rec, capitals, borders, names, short_codes))
    triples = [(s, schema.get(r).name, o) for s, r, o in dict.fromkeys(triples)]
    return _drop_contradictions(triples, schema)


def load_countries(data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One record per ISO alpha-3 code, sorted by name; dissolved states left out.

    Where the data holds two records for one code (Curaçao, Vatican City, Palestine), the one with more
    non-empty fields wins: the sparse duplicates carry stale values (e.g. Jerusalem as Palestine's capital).
    """
    folder = Path(data_dir) if data_dir else _countryinfo_data_dir()
    by_code: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("*.json")):
        rec = json.loads(file.read_text(encoding="utf-8"))
        code = (rec.get("ISO") or {}).get("alpha3")
        if not code or code in _FORMER_STATES or not rec.get("name"):
            continue
        if code not in by_code or _filled(rec) > _filled(by_code[code]):
            by_code[code] = rec
    return sorted(by_code.values(), key=lambda rec: entity_id(rec["name"]))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kg.demo --out PATH``: regenerate the demo CSV."""
    parser = argparse.ArgumentParser(prog="python -m kg.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="CSV file to write (e.g. kg/data/demo_countries.csv)")
    parser.add_argument("--data-dir", help="countryinfo data folder (default: the installed package's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    count = write_csv(build_demo_triples(args.data_dir), args.out)
    log.info("wrote %d facts to %s", count, args.out)
    return 0


# -- internals ------------------------------------------------------------------------------------------------

def _countryinfo_data_dir() -> Path:
    spec = importlib.util.find_spec("countryinfo")
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("the countryinfo package is not installed (pip install countryinfo==1.0.1)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _code_names() -> dict[str, dict[str, str]]:
    text = resources.files("kg").joinpath("data/demo_iso_names.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {"languages": data["languages"], "currencies": data["currencies"]}


def _filled(rec: dict[str, Any]) -> int:
    return sum(1 for value in rec.values() if value not in (None, "", [], {}))


def _capital_name(rec: dict[str, Any]) -> str | None:
    value = rec.get("capital")
    if isinstance(value, list):  # Vatican City's record lists it
        value = next((v for v in value if v), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _capitals(countries: list[dict[str, Any]]) -> dict[str, str]:
    """Country name -> capital name, keeping ``capital`` one-to-one.

    City-states whose capital shares the country's name (Singapore, Monaco...) are left out: with names as
    entity keys that would be a self-loop. Where two countries name the same capital (Kingston: Jamaica and
    Norfolk Island) the more populous country keeps it, the better-known referent of the name.
    """
    country_ids = {entity_id(rec["name"]) for rec in countries}
    claims: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in countries:
        city = _capital_name(rec)
        if city and entity_id(city) not in country_ids:
            claims[entity_id(city)].append(rec)
    winners = (max(recs, key=lambda r: (r.get("population") or 0, entity_id(r["name"]))) for recs in claims.values())
    return {rec["name"]: _capital_name(rec) for rec in winners}


def _mutual_borders(countries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Country name -> neighbour names, only for borders both countries list.

    The data has one-sided claims, several wrong (Chad lists South Sudan, Kuwait lists Iran); requiring both
    sides drops them, and a few true ones with them.
    """
    by_code = {}
    for rec in countries:
        iso = rec.get("ISO") or {}
        for key in ("alpha3", "alpha2"):  # Vatican City's record uses an alpha-2 code ("IT")
            if iso.get(key):
                by_code[iso[key]] = rec["name"]
    listed = {rec["name"]: {by_code[c] for c in rec.get("borders") or [] if c in by_code} for rec in countries}
    return {name: sorted((n for n in others if name in listed.get(n, ()) and n != name), key=entity_id)
            for name, others in listed.items()}


def _calling_code(raw: str, short_codes: set[str]) -> str | None:
    """'33' -> '+33'; '1-876' and '1242' -> '+1-876', '+1-242' (country code, then the area code)."""
    digits = raw.replace("-", "").strip()
    if not digits.isdigit():
        return None
    if len(digits) <= 3:
        return f"+{digits}"
    prefix = next((digits[:n] for n in (1, 2, 3) if digits[:n] in short_codes), None)
    return f"+{prefix}-{digits[len(prefix):]}" if prefix else None


def _continent(rec: dict[str, Any]) -> str | None:
    region = rec.get("region") or ""
    if region == "Americas":
        return _AMERICAS.get(rec.get("intermediateregion") or rec.get("subregion") or "")
    return region if region in _CONTINENTS else None


def _country_facts(rec: dict[str, Any], capitals: dict[str, str], borders: dict[str, list[str]],
                   names: dict[str, dict[str, str]], short_codes: set[str]) -> list[Triple]:
    country = rec["name"]
    facts: list[Triple] = []
    capital = capitals.get(country)
    if capital:
        facts += [(country, "capital", capital), (capital, "located_in", country)]
    for relation, value in (("continent", _continent(rec)), ("region", rec.get("region")),
                            ("subregion", rec.get("subregion"))):
        if value:
            facts.append((country, relation, value))
    facts += [(country, "official_language", names["languages"][c])
              for c in rec.get("languages") or [] if c in names["languages"]]
    facts += [(country, "currency", names["currencies"][c])
              for c in rec.get("currencies") or [] if c in names["currencies"]]
    facts += [(country, "borders", other) for other in borders.get(country, [])]
    codes = (_calling_code(c, short_codes) for c in rec.get("callingCodes") or [])
    facts += [(country, "calling_code", code) for code in codes if code]
    # Right-to-left IDN domains are stored with the dot at the wrong end ("الجزائر."): re-anchor it.
    facts += [(country, "top_level_domain", "." + tld.strip(" .")) for tld in rec.get("tld") or [] if tld.strip(" .")]
    return facts


def _drop_contradictions(triples: list[Triple], schema: RelationSchema) -> list[Triple]:
    """Last guard: drop (and log) facts that would give a single-valued relation two objects for a subject,
    or a one2one/one2many relation two subjects for an object."""
    groups: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for s, r, o in triples:
        card = schema.get(r).cardinality
        if card.single_valued:
            groups[("s", r, entity_id(s))].add(entity_id(o))
        if card.inverted.single_valued:
            groups[("o", r, entity_id(o))].add(entity_id(s))
    clashes = {key for key, values in groups.items() if len(values) > 1}
    for side, relation, key in sorted(clashes):
        log.warning("demo: dropping %s facts whose %s %r has several values", relation,
                    "subject" if side == "s" else "object", key)
    return [(s, r, o) for s, r, o in triples
            if ("s", r, entity_id(s)) not in clashes and ("o", r, entity_id(o)) not in clashes]


if __name__ == "__main__":
    sys.exit(main())
