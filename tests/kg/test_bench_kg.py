"""bench/kg.py runs end to end on a tiny graph and prints the JSON its docs describe (not a timing test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "kg.py"


def test_bench_kg_prints_every_measure_as_json() -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(BENCH), "--facts", "3000", "--entities", "300", "--ops", "5",
                           "--runs", "1"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    median = report["median"]
    # 3,000 facts over 300 entities: about 20 facts per entity, so a 2-hop read returns hundreds of facts.
    assert median["two_hop_facts_p50"] > 50
    for key in ("point_lookup_p50_ms", "two_hop_p50_ms", "two_hop_statements_only_p50_ms",
                "two_hop_pattern_count_only_p50_ms", "rollback_10_facts_on_10k_ms", "rollback_10_facts_on_big_ms"):
        assert median[key] > 0, key
    assert median["import_facts_per_s"] > 0
    assert report["per_run"][0]["two_hop"]["p95_ms"] >= report["per_run"][0]["two_hop"]["p50_ms"]
