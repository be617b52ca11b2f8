"""CSV facts: ``subject,relation,object[,confidence[,source]]``, an optional header row, UTF-8."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ImportFailed
from kg.io.validation import make_triple
from kg.records import Fact, TripleRow

HEADER = ("subject", "relation", "object")


def read_csv(path: str | Path) -> Iterator[TripleRow]:
    """Yield the file's triples. Raises ImportFailed (with the line number) on the first bad row."""
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            for row in _rows(reader, name):
                yield make_triple(*row[:3], line=reader.line_num, path=name,
                                  confidence=row[3] if len(row) > 3 else None,
                                  source=row[4] if len(row) > 4 else None)
    except UnicodeDecodeError as e:
        raise ImportFailed(f"not UTF-8 text ({e.reason})", path=name) from e
    except csv.Error as e:
        raise ImportFailed(f"malformed CSV: {e}", path=name) from e


def _rows(reader: "csv._reader", name: str) -> Iterator[list[str]]:
    first = True
    for row in reader:
        if first and tuple(c.strip().lower() for c in row[:3]) == HEADER:
            first = False
            continue
        first = False
        if not row or all(not c.strip() for c in row):
            continue
        if not 3 <= len(row) <= 5:
            raise ImportFailed(f"expected 3 to 5 columns (subject, relation, object[, confidence[, source]]), "
                               f"found {len(row)}", line=reader.line_num, path=name)
        yield row


def write_csv(facts: list[Fact], path: str | Path) -> int:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for fact in facts:
            writer.writerow((fact.subject_name, fact.pred, fact.object_name))
    return len(facts)
