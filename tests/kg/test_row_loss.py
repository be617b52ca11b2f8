"""Regression for LadybugDB's silent row loss in batched MERGE/CREATE (reference/platform.md §7.7).

The store must write every row of a batch in which the same new entity appears many times, on both write
paths (UNWIND statements and bulk COPY), and must refuse to commit when a batch comes back short.
"""

from __future__ import annotations

import random

import pytest

from kg.backends.ladybug import COPY_THRESHOLD
from kg.errors import RowCountMismatch
from kg.records import TripleIn


def repeated_entity_batch(n_facts: int, n_entities: int, seed: int = 7) -> list[TripleIn]:
    rng = random.Random(seed)
    seen, out = set(), []
    while len(out) < n_facts:
        s, o = rng.randrange(n_entities), rng.randrange(n_entities)
        rel = rng.choice(["borders", "official_language", "member_of"])
        if (s, rel, o) not in seen:
            seen.add((s, rel, o))
            out.append(TripleIn(subject=f"Entity {s}", relation=rel, object=f"Entity {o}"))
    return out


@pytest.mark.parametrize("n_facts, n_entities", [(1_000, 100), (1_000, 2_000)])
def test_every_row_written(store, n_facts, n_entities):
    batch = repeated_entity_batch(n_facts, n_entities)
    result = store.import_triples(batch, author="a")
    assert result.commit.n_changes == n_facts
    assert store.count_facts() == n_facts
    expected_entities = {t.subject for t in batch} | {t.object for t in batch}
    assert len(store.entities()) == len(expected_entities)


@pytest.mark.backends("ladybug")  # the bulk COPY path exists only in the embedded backend
def test_every_row_written_through_copy(store):
    test_every_row_written(store, COPY_THRESHOLD + 500, 300)


def test_single_statement_with_repeats(store):
    batch = [TripleIn(subject="x", relation="borders", object=f"y{i}") for i in range(3)]
    store.commit(add=batch, author="a")
    assert sorted(f.object_name for f in store.objects("x", "borders")) == ["y0", "y1", "y2"]


def test_short_batch_is_refused_and_rolled_back(store):
    backend = store.backend
    rows = [{"id": "f1", "s": "nobody", "o": "nothing", "pred": "borders", "valid_from": 1, "valid_to": None,
             "edit_id": "e", "author": "a", "confidence": 1.0, "source": None}]
    with pytest.raises(RowCountMismatch):
        with backend.atomic():
            backend.bulk_create_nodes("Entity", [{"id": "nobody", "name": "Nobody", "aliases": [], "lang": None}])
            backend.bulk_create_facts(rows)  # 'nothing' does not exist: 0 of 1 rows written
    assert backend.run("MATCH (e:Entity) WHERE e.id = 'nobody' RETURN e.id") == []
