"""RDF facts through rdflib: N-Triples, Turtle and JSON-LD.

Mapping: a resource's name is its ``rdfs:label`` (else the IRI's last segment); ``skos:altLabel`` and
``rdfs:label`` statements are names, not facts; a predicate's local name is the relation (``headOfState`` and
``head_of_state`` both become ``head_of_state``, which the schema then resolves); literal objects become entities
named by their text. Export writes IRIs under :data:`BASE` with labels, so an export imports back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import rdflib
from rdflib import RDFS, Literal
from rdflib.namespace import SKOS

from kg.errors import ImportFailed
from kg.io.validation import make_triple
from kg.records import Fact, TripleRow

BASE = "https://kgedit.dev/"
ENTITY_NS = rdflib.Namespace(BASE + "entity/")
RELATION_NS = rdflib.Namespace(BASE + "relation/")
_RDFLIB_FORMAT = {"nt": "nt", "ttl": "turtle", "jsonld": "json-ld"}
_NAME_PREDICATES = {RDFS.label, SKOS.altLabel, SKOS.prefLabel}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def read_rdf(path: str | Path, fmt: str) -> Iterator[TripleRow]:
    """Yield the facts of an RDF file. Raises ImportFailed with the line of the first syntax error."""
    graph = _parse(Path(path), fmt)
    labels = {s: str(o) for s, p, o in graph.triples((None, RDFS.label, None))}
    for n, (s, p, o) in enumerate(sorted(graph), start=1):
        if p in _NAME_PREDICATES:
            continue
        yield make_triple(_name(s, labels), _relation(p), _name(o, labels), line=n, path=f"{path} (statement)")


def write_rdf(facts: list[Fact], path: str | Path, fmt: str) -> int:
    graph = rdflib.Graph()
    graph.bind("e", ENTITY_NS)
    graph.bind("r", RELATION_NS)
    for fact in facts:
        s, o = ENTITY_NS[quote(fact.subject)], ENTITY_NS[quote(fact.object)]
        graph.add((s, RELATION_NS[fact.pred], o))
        graph.add((s, RDFS.label, Literal(fact.subject_name)))
        graph.add((o, RDFS.label, Literal(fact.object_name)))
    graph.serialize(destination=str(path), format=_RDFLIB_FORMAT[fmt], encoding="utf-8")
    return len(facts)


def _parse(path: Path, fmt: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    try:
        graph.parse(str(path), format=_RDFLIB_FORMAT[fmt])
    except UnicodeDecodeError as e:
        raise ImportFailed(f"not UTF-8 text ({e.reason})", path=str(path)) from e
    except json.JSONDecodeError as e:
        raise ImportFailed(f"malformed JSON-LD: {e.msg}", line=e.lineno, path=str(path)) from e
    except SyntaxError as e:  # rdflib's Turtle BadSyntax; its `lines` counts newlines before the error
        line = getattr(e, "lines", None)
        raise ImportFailed(f"malformed Turtle: {_why(e)}", line=None if line is None else line + 1,
                           path=str(path)) from e
    except Exception as e:  # rdflib raises plain Exceptions for N-Triples and JSON-LD structure errors
        line = _first_bad_line(path) if fmt == "nt" else None
        raise ImportFailed(f"malformed {fmt}: {e}", line=line, path=str(path)) from e
    return graph


def _why(error: SyntaxError) -> str:
    return getattr(error, "_why", None) or str(error).splitlines()[0][:200]


def _first_bad_line(path: Path) -> int | None:
    """N-Triples is line-based: re-parse line by line to find the one rdflib rejected."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                try:
                    rdflib.Graph().parse(data=line, format="nt")
                except Exception:
                    return number
    return None


def _name(node: rdflib.term.Node, labels: dict) -> str:
    if isinstance(node, Literal):
        return str(node)
    if node in labels:
        return labels[node]
    return _local_name(node).replace("_", " ")


def _relation(predicate: rdflib.term.Node) -> str:
    return _CAMEL.sub("_", _local_name(predicate)).lower()


def _local_name(node: rdflib.term.Node) -> str:
    text = str(node)
    return unquote(re.split(r"[/#:]", text.rstrip("/#"))[-1]) or text
