"""Import and export of facts: CSV (subject, relation, object) and RDF (N-Triples, Turtle, JSON-LD)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kg.errors import InvalidInput
from kg.io.csv_io import read_csv, write_csv
from kg.records import Fact, TripleRow

__all__ = ["FORMATS", "detect_format", "read_triples", "write_facts"]

FORMATS = {"csv": "csv", "nt": "nt", "ntriples": "nt", "ttl": "ttl", "turtle": "ttl", "jsonld": "jsonld",
           "json-ld": "jsonld", "json": "jsonld"}


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The format named, or the one the file extension implies. Raises InvalidInput if neither is known."""
    name = (fmt or Path(path).suffix.lstrip(".")).lower()
    if name not in FORMATS:
        raise InvalidInput(f"unknown format {name or '(none)'!r} for {path}; use one of csv, nt, ttl, jsonld")
    return FORMATS[name]


def read_triples(path: str | Path, fmt: str | None = None) -> Iterator[TripleRow]:
    """Parse a file into triples; a malformed line raises ImportFailed naming the line."""
    kind = detect_format(path, fmt)
    if kind == "csv":
        return read_csv(path)
    from kg.io.rdf_io import read_rdf  # rdflib takes a third of a second to import: only when needed

    return read_rdf(path, kind)


def write_facts(facts: list[Fact], path: str | Path, fmt: str | None = None) -> int:
    """Write facts to a file; returns the number written."""
    kind = detect_format(path, fmt)
    if kind == "csv":
        return write_csv(facts, path)
    from kg.io.rdf_io import write_rdf

    return write_rdf(facts, path, kind)
