"""CSV facts: ``subject,relation,object[,confidence[,source]]``, an optional header row, UTF-8."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ImportFailed
from kg.io.validation import _CONTROL, make_triple
from kg.records import Fact, TripleRow

HEADER = ("subject", "relation", "object")


def read_csv(path: str | Path) -> Iterator[TripleRow]:
    """Yield the file's triples. Raises ImportFailed (with the line number) on the first bad row.

    The common row (three non-empty, short, printable fields) is checked inline; anything else goes through
    :func:`make_triple`, which raises the precise error (a million-row import spent most of its Python time here).
    """
    name = str(path)
    make = TripleRow._make
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)
            first = True
            for row in reader:
                if first:
                    first = False
                    if tuple(c.strip().lower() for c in row[:3]) == HEADER:
                        continue
                if len(row) == 3:
                    subject, relation, obj = row[0].strip(), row[1].strip(), row[2].strip()
                    if subject and relation and obj and len(subject) <= 1000 and len(obj) <= 1000 \
                            and len(relation) <= 200 and not _CONTROL.search(subject + relation + obj):
                        yield make((subject, relation, obj, 1.0, None))
                        continue
                if not row or all(not c.strip() for c in row):
                    continue
                if not 3 <= len(row) <= 5:
                    raise ImportFailed(f"expected 3 to 5 columns (subject, relation, object[, confidence[, source]]), "
                                       f"found {len(row)}", line=reader.line_num, path=name)
                yield make_triple(*row[:3], line=reader.line_num, path=name,
                                  confidence=row[3] if len(row) > 3 else None,
                                  source=row[4] if len(row) > 4 else None)
    except UnicodeDecodeError as e:
        raise ImportFailed(f"not UTF-8 text ({e.reason})", path=name) from e
    except csv.Error as e:
        raise ImportFailed(f"malformed CSV: {e}", path=name) from e


def write_csv(facts: list[Fact], path: str | Path) -> int:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for fact in facts:
            writer.writerow((fact.subject_name, fact.pred, fact.object_name))
    return len(facts)
