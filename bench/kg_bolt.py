"""Benchmark the Neo4j backend over Bolt beside the embedded store, same workload, same run; prints JSON.

    python bench/kg_bolt.py [--facts 100000] [--entities 10000] [--ops 100] [--runs 1] [--uri bolt://...]

The workload is bench/kg.py's: bulk import of synthetic facts from a CSV file through the normal import path
(one commit), point lookup of all current facts of one entity, 2-hop neighbourhood, and rollback of a 10-fact
commit on a small (10k) and on the large graph. Latencies are medians (p50) and p95 over --ops operations; the
import rate and rollback times are medians over --runs repetitions. Each run uses fresh stores, after one untimed
warm-up pass per backend (ArcadeDB's JVM compiles its hot paths on first use).

Without --uri the Bolt server is ArcadeDB (arcadedb-embedded), started here in its own process, as the test suite
does; ArcadeDB stands in for Neo4j and its figures are not Neo4j's. With --uri (plus --user, --password or
$KGEDIT_BENCH_PASSWORD, --database) the Bolt runs go to that server instead; its database is emptied first.
Last, the big graph plus 20 edit/rollback pairs is migrated to Bolt and back (kgedit migrate, verification
included) and both times are reported (--no-migrate skips this).
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project's packages)
import argparse
import importlib.util
import itertools
import json
import logging
import os
import platform
import random
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from kg.io import read_triples
from kg.migrate import migrate
from kg.schema import RelationSchema
from kg.store import GraphStore
from tests.bolt_server import PASSWORD, USER, ArcadeBoltServer

log = logging.getLogger("bench.kg_bolt")

# bench/kg.py cannot be imported by name (``kg`` is the package); load its helpers from the file.
_spec = importlib.util.spec_from_file_location("bench_kg", Path(__file__).with_name("kg.py"))
bench_kg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_kg)

Opener = Callable[[str], GraphStore]  # store name ("small", "big") -> a fresh, empty store


def one_run(open_store: Opener, workdir: Path, args: argparse.Namespace, relations: list[str]) -> dict:
    """bench/kg.py's run, on stores made by ``open_store``."""
    rng = random.Random(1)
    out: dict = {}
    small_csv, big_csv = workdir / "small.csv", workdir / "big.csv"
    if not big_csv.exists():
        bench_kg.synthetic_csv(small_csv, 10_000, 1_000, relations)
        bench_kg.synthetic_csv(big_csv, args.facts, args.entities, relations)
    with open_store("small") as small:
        small.import_triples(read_triples(small_csv), author="bench")
        out["rollback_10_facts_on_10k_ms"] = bench_kg.rollback_ms(small, rng, 1_000)
    with open_store("big") as big:
        seconds, _ = bench_kg.timed(lambda: big.import_triples(read_triples(big_csv), author="bench"))
        out["import_seconds"] = round(seconds, 2)
        out["import_facts_per_s"] = round(args.facts / seconds)
        sample = [f"Entity {rng.randrange(args.entities)}" for _ in range(args.ops)]
        big.facts(sample[0]), big.neighbourhood(sample[0], depth=2)  # warm-up: first statements are compiled
        out["point_lookup"] = bench_kg.latencies_ms(big.facts, sample)
        out["two_hop"] = bench_kg.latencies_ms(lambda e: big.neighbourhood(e, depth=2), sample)
        out["rollback_10_facts_on_big_ms"] = bench_kg.rollback_ms(big, rng, args.entities)
        out["facts_at_head"] = big.count_facts()
    return out


def warm_up(open_store: Opener, workdir: Path, relations: list[str]) -> None:
    """One untimed pass over the small graph: a JVM server (ArcadeDB) compiles its hot paths on first use."""
    small_csv = workdir / "warmup.csv"
    bench_kg.synthetic_csv(small_csv, 10_000, 1_000, relations, seed=7)
    with open_store("warmup") as store:
        store.import_triples(read_triples(small_csv), author="bench")
        for i in range(50):
            store.facts(f"Entity {i}"), store.neighbourhood(f"Entity {i}", depth=2)
        bench_kg.rollback_ms(store, random.Random(2), 1_000)


def migration(workdir: Path, targets: BoltTargets, edits: int = 20) -> dict:
    """Seconds to migrate the big graph plus ``edits`` edit/rollback pairs to Bolt and back, verification included."""
    rng = random.Random(3)
    with ladybug_opener(workdir)("migrate") as source:
        source.import_triples(read_triples(workdir / "big.csv"), author="bench")
        for _ in range(edits):
            bench_kg.rollback_ms(source, rng, 1_000, tries=1)  # a 10-fact commit and its rollback
        head, path = source.head, source.backend.path
    auth = targets.new("migrate")
    to_bolt = migrate(path, targets.uri, to_auth=auth)
    from_bolt = migrate(targets.uri, str(workdir / "migrated-back"), from_auth=auth)
    return {"head": head, "facts": to_bolt.facts, "changes": to_bolt.changes,
            "ladybug_to_bolt_s": to_bolt.seconds, "bolt_to_ladybug_s": from_bolt.seconds,
            "same_head_checksum": to_bolt.head_checksum == from_bolt.head_checksum}


def summarise(runs: list[dict]) -> dict:
    def med(key: str, sub: str | None = None) -> float:
        return statistics.median(r[key][sub] if sub else r[key] for r in runs)

    return {
        "import_facts_per_s": med("import_facts_per_s"),
        "point_lookup_p50_ms": med("point_lookup", "p50_ms"),
        "two_hop_p50_ms": med("two_hop", "p50_ms"),
        "rollback_10_facts_on_10k_ms": med("rollback_10_facts_on_10k_ms"),
        "rollback_10_facts_on_big_ms": med("rollback_10_facts_on_big_ms"),
    }


_STORE_NUMBERS = itertools.count()


def ladybug_opener(workdir: Path) -> Opener:
    return lambda name: GraphStore.open(str(workdir / f"{name}-{next(_STORE_NUMBERS)}"))


class BoltTargets:
    """Fresh, empty Bolt databases: a new ArcadeDB database each, or the --uri server's database emptied."""

    def __init__(self, args: argparse.Namespace, server: ArcadeBoltServer | None):
        self.server = server
        self.uri = args.uri or server.uri
        self._auth = ({"user": USER, "password": PASSWORD} if server else
                      {"user": args.user, "password": args.password or os.environ.get("KGEDIT_BENCH_PASSWORD"),
                       "database": args.database})

    def new(self, name: str) -> dict:
        """Make an empty database and return the ``GraphStore.open`` keywords for it (user, password, database)."""
        if self.server:
            database = f"bench_{name}_{next(_STORE_NUMBERS)}"
            self.server.create_database(database)
            return {**self._auth, "database": database}
        with GraphStore.open(self.uri, **self._auth) as store:
            store.backend.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
        return self._auth

    def opener(self) -> Opener:
        return lambda name: GraphStore.open(self.uri, **self.new(name))


def measure(args: argparse.Namespace, workdir: Path, targets: BoltTargets) -> tuple[dict, dict | None]:
    """Warm both backends up, then time --runs runs of each (alternating) and, unless --no-migrate, a migration."""
    relations = RelationSchema.default().names()[:50]
    results: dict = {"ladybug": [], "bolt": []}
    for name, opener in (("ladybug", ladybug_opener(workdir)), ("bolt", targets.opener())):
        log.info("warm-up: %s", name)
        warm_up(opener, workdir, relations)
    for run in range(args.runs):
        for name, opener in (("ladybug", ladybug_opener(workdir)), ("bolt", targets.opener())):
            log.info("run %d: %s", run + 1, name)
            results[name].append(one_run(opener, workdir, args, relations))
    log.info("migration")
    return results, (migration(workdir, targets) if args.migrate else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--ops", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--uri", default=None, help="A Neo4j server to use instead of ArcadeDB.")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default=None)
    parser.add_argument("--database", default=None)
    parser.add_argument("--no-migrate", dest="migrate", action="store_false",
                        help="Skip timing a migration of the big graph to Bolt and back.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="kgedit-bench-bolt-") as tmp:
        server = None if args.uri else ArcadeBoltServer(Path(tmp) / "arcadedb")
        if server:
            server.start()
        try:
            results, moved = measure(args, Path(tmp), BoltTargets(args, server))
        finally:
            if server:
                server.stop()
    bolt_server = "neo4j at --uri" if args.uri else "ArcadeDB 26.10.2 (arcadedb-embedded), stand-in for Neo4j"
    print(json.dumps({
        "facts": args.facts, "entities": args.entities, "ops": args.ops, "runs": args.runs,
        "bolt_server": bolt_server,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "median": {name: summarise(runs) for name, runs in results.items()},
        "migration": moved,
        "per_run": results,
    }, indent=2))


if __name__ == "__main__":
    main()
