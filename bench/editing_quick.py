"""Quick editing benchmark on the default model; prints JSON.

    python bench/editing_quick.py [--method rome] [--facts 10] [--home DIR] [--set layer=4 ...]

Picks country capitals from ``kg/data/demo_countries.csv`` that the model completes correctly (greedy,
``"The capital of X is"``), and rewrites each to another country's capital, one edit at a time: compute the
record (timed: ``method.apply`` only, statistics and context templates already cached), apply it through the
ledger, check greedy outputs, revert it. Reported per method: median / min / max seconds per edit, the share of
edits whose prompt now starts with the new target (``success``), of paraphrases ``"The capital city of X is"``
that do (``paraphrase``), and of 10 other countries' capital prompts whose 8-token greedy output is unchanged
(``locality``); plus the one-off statistics time, the load average and the thread count, since timings on a
shared machine move with its load. ``median_cpu_s`` is the process CPU time per edit: with one torch
thread it is what the wall time would be on an otherwise idle machine.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import ast
import csv
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from editors import EditRequest, get_method
from editors.base import prepare_method
from kg.settings import Settings
from models import ModelRegistry

COUNTRIES = Path(__file__).resolve().parents[1] / "kg" / "data" / "demo_countries.csv"


def known_capitals(handle, limit: int, scan: int = 60) -> list[tuple[str, str]]:
    """(country, capital) pairs the model completes correctly, in file order."""
    with open(COUNTRIES, encoding="utf-8") as f:
        pairs = [(r["subject"], r["object"]) for r in csv.DictReader(f) if r["relation"] == "capital"][:scan]
    outs = handle.generate([f"The capital of {c} is" for c, _ in pairs], chat=False, max_new_tokens=4)
    return [(c, cap) for (c, cap), out in zip(pairs, outs) if out.strip().startswith(cap)][:limit]


def run(method_name: str, n_facts: int, home: Path, overrides: dict) -> dict:
    registry = ModelRegistry(Settings(home=home, device="cpu"))
    handle = registry.get()
    method = get_method(method_name, home=home, **overrides)
    known = known_capitals(handle, n_facts + 10)
    facts, others = known[:n_facts], known[n_facts:] or known
    stats_s = _warm_up(handle, method)
    locality_prompts = [f"The capital of {c} is" for c, _ in others[:10]]
    before = handle.generate(locality_prompts, chat=False, max_new_tokens=8)
    base = handle.state_id
    seconds, cpu_seconds, success, paraphrase, unchanged = [], [], [], [], []
    for i, (country, _) in enumerate(facts):
        new = facts[(i + 1) % len(facts)][1]
        request = EditRequest(prompt=f"The capital of {country} is", subject=country, target_new=f" {new}")
        started, cpu_started = time.perf_counter(), time.process_time()
        record = method.apply(handle, [request])
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        handle.ledger.apply(record)
        outs = handle.generate([request.prompt, f"The capital city of {country} is"], chat=False, max_new_tokens=4)
        after = handle.generate(locality_prompts, chat=False, max_new_tokens=8)
        handle.ledger.revert(record.id)
        success.append(outs[0].strip().startswith(new))
        paraphrase.append(outs[1].strip().startswith(new))
        unchanged.append(sum(a == b for a, b in zip(before, after)) / len(before))
    restored = handle.state_id == base
    registry.close()
    return {
        "method": method_name, "overrides": overrides, "facts": len(facts),
        "median_s": round(statistics.median(seconds), 2), "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2), "median_cpu_s": round(statistics.median(cpu_seconds), 2),
        "success": round(sum(success) / len(facts), 3),
        "paraphrase": round(sum(paraphrase) / len(facts), 3),
        "locality": round(statistics.mean(unchanged), 3), "stats_and_templates_s": stats_s,
        "restored_after_reverts": restored, "torch_threads": torch.get_num_threads(),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }


def _warm_up(handle, method) -> float:
    """Compute (or load) the method's statistics and context templates so edits are timed without them."""
    return prepare_method(method, handle)["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", action="append", help="rome (default), memit, alphaedit, ft; repeatable")
    parser.add_argument("--facts", type=int, default=10)
    parser.add_argument("--home", type=Path, help="kgedit home (default: a temporary one; reuse it to keep stats)")
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE", help="hyper-parameter override")
    args = parser.parse_args()
    overrides = {k: ast.literal_eval(v) for k, v in (s.split("=", 1) for s in args.set)}
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        results = [run(name, args.facts, home, overrides) for name in args.method or ["rome"]]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
