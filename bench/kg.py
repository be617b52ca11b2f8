"""Benchmark the embedded versioned KG; prints JSON.

    python bench/kg.py [--facts 1000000] [--entities 100000] [--ops 200] [--runs 3]

Measures: bulk import of synthetic facts from a CSV file through the normal import path (one commit), point
lookup of all current facts of one entity, 2-hop neighbourhood, and rollback of a 10-fact commit on a small
(10k) and on the large graph. The 2-hop read is also split into its parts, each on its own sample of entities (so
every part is timed on first reads, as the full read is): the store statements alone (LadybugDB executing them and
the binding handing over every row, no facts built), and the same patterns returning only a count (matching
without reading values); ``two_hop_facts_p50`` is the number of facts one read returns. Latencies are medians
(p50) and p95 over --ops operations; the import rate and rollback times are medians over --runs repetitions.
Each run uses a fresh store in a temporary directory. Wall-clock figures are the targets; the CPU-time figures next
to them (this process, all its threads) move much less when the machine is shared with other jobs.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench/kg.py import the kg package)
import argparse
import csv
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from kg import queries as Q
from kg.ids import entity_id
from kg.io import read_triples
from kg.records import TripleIn
from kg.schema import RelationSchema
from kg.store import GraphStore


def synthetic_csv(path: Path, n_facts: int, n_entities: int, relations: list[str], seed: int = 42) -> None:
    rng = random.Random(seed)
    seen: set[tuple[int, int, int]] = set()
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("subject", "relation", "object"))
        while len(seen) < n_facts:
            key = (rng.randrange(n_entities), rng.randrange(len(relations)), rng.randrange(n_entities))
            if key not in seen:
                seen.add(key)
                writer.writerow((f"Entity {key[0]}", relations[key[1]], f"Entity {key[2]}"))


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def cpu_timed(fn, *args, **kwargs) -> tuple[float, float, object]:
    """Wall and CPU seconds (this process, every thread: LadybugDB's workers too) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu, value


def latencies_ms(fn, items) -> dict[str, float]:
    walls, cpus = [], []
    for item in items:
        wall, cpu, _ = cpu_timed(fn, item)
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
    walls.sort()
    return {"p50_ms": round(statistics.median(walls), 3), "p95_ms": round(walls[int(len(walls) * 0.95) - 1], 3),
            "cpu_p50_ms": round(statistics.median(cpus), 3)}


def two_hop_statements(store: GraphStore, entity: str, *, count_only: bool = False) -> None:
    """Run the statements ``store.neighbourhood(entity, depth=2)`` runs on LadybugDB, without building facts."""
    params = {"id": entity_id(entity), "at": store.resolve_version(None)}
    for direction in ("out", "in"):
        query = Q.two_hop_walk(direction)
        if count_only:
            query = query.split(" RETURN ")[0] + " RETURN count(*) AS total"
        store.backend.run_values(query, params)


def rollback_ms(store: GraphStore, rng: random.Random, n_entities: int, tries: int = 5) -> float:
    """Median time to roll back a fresh 10-fact commit."""
    times = []
    for t in range(tries):
        rows = [TripleIn(subject=f"Entity {rng.randrange(n_entities)}", relation="borders",
                         object=f"New {t}-{i}") for i in range(10)]
        version = store.commit(add=rows, author="bench").commit.version
        times.append(timed(store.rollback_commit, version, author="bench")[0] * 1000)
    return round(statistics.median(times), 3)


def one_run(workdir: Path, args: argparse.Namespace, relations: list[str]) -> dict:
    rng = random.Random(1)
    out: dict = {}
    small_csv, big_csv = workdir / "small.csv", workdir / "big.csv"
    synthetic_csv(small_csv, 10_000, 1_000, relations)
    synthetic_csv(big_csv, args.facts, args.entities, relations)
    with GraphStore.open(str(workdir / "small")) as small:
        small.import_triples(read_triples(small_csv), author="bench")
        out["rollback_10_facts_on_10k_ms"] = rollback_ms(small, rng, 1_000)
    with GraphStore.open(str(workdir / "big")) as big:
        seconds, cpu, _ = cpu_timed(lambda: big.import_triples(read_triples(big_csv), author="bench"))
        out["import_seconds"] = round(seconds, 2)
        out["import_facts_per_s"] = round(args.facts / seconds)
        out["import_cpu_seconds"] = round(cpu, 2)
        out["import_facts_per_cpu_s"] = round(args.facts / cpu)
        sample = [f"Entity {rng.randrange(args.entities)}" for _ in range(args.ops)]
        out["point_lookup"] = latencies_ms(big.facts, sample)
        out["two_hop"] = latencies_ms(lambda e: big.neighbourhood(e, depth=2), sample)
        out["two_hop_facts_p50"] = statistics.median(len(big.neighbourhood(e, depth=2)) for e in sample)
        if getattr(big.backend, "matches_walks", False):  # the LadybugDB statements the parts below time
            parts = [[f"Entity {rng.randrange(args.entities)}" for _ in range(args.ops)] for _ in range(2)]
            out["two_hop_statements_only"] = latencies_ms(lambda e: two_hop_statements(big, e), parts[0])
            out["two_hop_pattern_count_only"] = latencies_ms(
                lambda e: two_hop_statements(big, e, count_only=True), parts[1])
        out["rollback_10_facts_on_big_ms"] = rollback_ms(big, rng, args.entities)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    relations = RelationSchema.default().names()[:50]
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="kgedit-bench-") as tmp:
            runs.append(one_run(Path(tmp), args, relations))
    med = lambda key, sub=None: statistics.median(r[key][sub] if sub else r[key] for r in runs)  # noqa: E731
    summary = {
        "import_facts_per_s": med("import_facts_per_s"),
        "import_facts_per_cpu_s": med("import_facts_per_cpu_s"),
        "point_lookup_p50_ms": med("point_lookup", "p50_ms"),
        "point_lookup_cpu_p50_ms": med("point_lookup", "cpu_p50_ms"),
        "two_hop_p50_ms": med("two_hop", "p50_ms"),
        "two_hop_cpu_p50_ms": med("two_hop", "cpu_p50_ms"),
        "two_hop_facts_p50": med("two_hop_facts_p50"),
        "two_hop_statements_only_p50_ms": med("two_hop_statements_only", "p50_ms"),
        "two_hop_pattern_count_only_p50_ms": med("two_hop_pattern_count_only", "p50_ms"),
        "rollback_10_facts_on_10k_ms": med("rollback_10_facts_on_10k_ms"),
        "rollback_10_facts_on_big_ms": med("rollback_10_facts_on_big_ms"),
    }
    summary["rollback_big_over_small_ratio"] = round(
        summary["rollback_10_facts_on_big_ms"] / summary["rollback_10_facts_on_10k_ms"], 2)
    print(json.dumps({"backend": "ladybug", "facts": args.facts, "entities": args.entities, "ops": args.ops,
                      "runs": args.runs, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                      "median": summary, "per_run": runs}, indent=2))


if __name__ == "__main__":
    main()
