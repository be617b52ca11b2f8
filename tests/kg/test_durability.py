"""Durability: a process killed with SIGKILL in the middle of a large import leaves the previous version intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from kg.records import TripleIn
from kg.store import GraphStore

CHILD = textwrap.dedent("""
    import sys
    from kg.records import TripleIn
    from kg.store import GraphStore
    store = GraphStore.open(sys.argv[1])
    rows = [TripleIn(subject=f"E{i % 50000}", relation="borders", object=f"E{(i * 7 + 1) % 50000}")
            for i in range(int(sys.argv[2]))]
    print("importing", flush=True)
    store.import_triples(rows, author="child")
    print("done", flush=True)
""")


def test_sigkill_during_large_import_keeps_previous_version(tmp_path):
    path = str(tmp_path / "kg")
    with GraphStore.open(path) as store:
        store.commit(add=[TripleIn(subject="France", relation="capital", object="Paris")], author="a")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    # 1.2M facts: the bulk path imports ~40-60k facts/s on an idle 2-core machine, so 20 s or more; 400k once
    # finished inside the 2 s wait. The rows are built before "importing" is printed, so the wait is all import.
    child = subprocess.Popen([sys.executable, "-c", CHILD, path, "1200000"], stdout=subprocess.PIPE, text=True,
                             env=env)
    assert child.stdout.readline().strip() == "importing"
    time.sleep(1.5)  # well inside the import
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert "done" not in child.stdout.read(), "the import finished before the kill; make it larger"
    with GraphStore.open(path) as store:
        assert store.head == 1
        assert [f.object_name for f in store.objects("France", "capital")] == ["Paris"]
        assert store.count_facts() == 1
        store.commit(add=[TripleIn(subject="Spain", relation="capital", object="Madrid")], author="a")
        assert store.head == 2
