"""ROME edit time with the value optimisation of this tree against that of another git revision; prints JSON.

    python bench/editing_values.py [--edits 10] [--against REV] [--home DIR] [--cache DIR]

On the first ``--edits`` built-in counterfactual edits, each edit is computed once with the current
``editors/_common/values.py`` and once with the one of ``--against`` (with that revision's ``tokens.py``, which
it depends on), alternating edit by edit so both see the same machine load. Per edit and side: process CPU
seconds and wall seconds of ``Rome.apply`` (statistics and templates cached by a warm-up edit), value steps, final
NLL, whether the greedy continuation then starts with the target, and how far the two ``δ`` are apart.
Run it with ``OMP_NUM_THREADS=1``.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import editors.rome.method as rome_method
from editors._common import values as current_values
from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
from editors.eval.runner import method_for
from kg.settings import Settings
from models import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    args = _parse()
    home = Path(args.home)
    cache = Path(args.cache) if args.cache else home
    registry = ModelRegistry(Settings(home=home, cache_dir=cache, device="cpu"))
    handle = registry.get()
    requests = builtin_counterfacts(handle, home=cache, options=CounterfactOptions(lang="en", seed=0))[: args.edits]
    sides = {"current": current_values.optimise, args.against: _values_at(args.against).optimise}
    method = method_for("rome", home=cache)
    method.apply(handle, [requests[-1]])  # warm-up: statistics and context templates
    rows: dict[str, list[dict]] = {side: [] for side in sides}
    for request in requests:
        deltas = {side: _timed_edit(handle, method, request, fn, rows[side]) for side, fn in sides.items()}
        a, b = deltas.values()
        rows["current"][-1]["delta_rel_diff"] = float((a - b).norm() / b.norm().clamp_min(1e-12))
    report = {side: _summary(r) for side, r in rows.items()}
    report["edits"] = rows
    registry.close()
    print(json.dumps(report, indent=1))


def _timed_edit(handle, method, request, optimise, out: list[dict]):
    """One ROME edit with ``optimise``: time it, apply it, check the greedy answer, revert it; returns ``δ``."""
    seen = {}

    def spy(*args, **kwargs):
        seen["values"] = optimise(*args, **kwargs)
        return seen["values"]

    rome_method.optimise = spy
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        record = method.apply(handle, [request])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        rome_method.optimise = current_values.optimise
    handle.ledger.apply(record)
    answer = handle.generate([request.prompt], chat=False, max_new_tokens=6)[0]
    handle.ledger.revert(record.id)
    values = seen["values"]
    out.append({"subject": request.subject, "target": request.target_new, "cpu_s": round(cpu, 3),
                "wall_s": round(wall, 3), "steps": values.steps, "nll_after": values.nll_after,
                "took": answer.strip().startswith(request.target_new.strip())})
    return values.delta


def _summary(rows: list[dict]) -> dict:
    return {"edits": len(rows), "cpu_median_s": round(statistics.median(r["cpu_s"] for r in rows), 3),
            "wall_median_s": round(statistics.median(r["wall_s"] for r in rows), 3),
            "steps_median": statistics.median(r["steps"] for r in rows),
            "reliability": sum(r["took"] for r in rows) / len(rows)}


def _values_at(rev: str):
    """``editors/_common/values.py`` of ``rev`` as a module, importing that revision's ``tokens.py``."""
    folder = Path(tempfile.mkdtemp(prefix="values-"))
    for name in ("values", "tokens"):
        text = subprocess.run(["git", "show", f"{rev}:editors/_common/{name}.py"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        text = text.replace("from editors._common.tokens import", "from values_rev_tokens import")
        (folder / f"values_rev_{name}.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location("values_rev_values", folder / "values_rev_values.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--edits", type=int, default=10)
    p.add_argument("--against", default="HEAD", help="git revision whose value optimisation is the baseline")
    p.add_argument("--home", default=str(Path.home() / ".kgedit-bench"))
    p.add_argument("--cache", default=None, help="statistics / counterfactual filter cache (default: --home)")
    return p.parse_args()


if __name__ == "__main__":
    main()
