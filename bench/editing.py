"""Editing evaluation benchmark on the built-in counterfactual set (:mod:`editors.eval`); prints JSON.

    python bench/editing.py [--methods rome,grace,...] [--edits 200] [--mode MODE] [--steps 100]
                            [--lang en] [--home DIR] [--out FILE] [--resume] [--set KNOB=VALUE ...]

Per method: seconds per edit (median; ``method.apply`` only, statistics and context templates cached by a
warm-up edit), seconds of a whole T-edit sequence (sequential mode) or of one N-request batch (batch mode), and
every metric (teacher-forced ``.tf`` and greedy exact match ``.em``) on ``--edits`` counterfactual edits of
facts the model knew before editing. Default modes follow issue #4: ``single`` for ROME, FT and MEMIT;
``sequential`` with T = ``--steps`` (100) for GRACE, WISE and AlphaEdit. ``--mode`` forces one mode for all.

Results are merged into ``--out`` (default ``<cache>/eval/bench-editing.json``) after each method, so a partial
run keeps what finished; runs of other methods already in the file are kept. Timings on a shared machine move
with its load: the 1-minute load average is recorded before and after each method.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
from editors.eval.metrics import EvalOptions
from editors.eval.runner import RunOptions, method_for, run_eval
from kg.settings import Settings
from models import ModelRegistry
from models._fs import atomic_write_json

DEFAULT_MODES = {"rome": "single", "ft": "single", "memit": "single", "grace": "sequential", "wise": "sequential",
                 "alphaedit": "sequential"}
ORDER = ("rome", "grace", "wise", "alphaedit", "memit", "ft")


def main() -> None:
    args = _parse()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    home = Path(args.home)
    cache = Path(args.cache) if args.cache else home
    out = Path(args.out) if args.out else cache / "eval" / "bench-editing.json"
    registry = ModelRegistry(Settings(home=home, device="cpu"))
    handle = registry.get()
    if handle.ledger.applied:
        raise SystemExit(f"the ledger in {home} has {len(handle.ledger.applied)} applied records; use another --home")
    started = time.perf_counter()
    requests = builtin_counterfacts(handle, home=cache, options=CounterfactOptions(lang=args.lang, seed=args.seed))
    dataset_s = round(time.perf_counter() - started, 1)
    logging.info("built-in counterfactual set (%s): %d edits available (%.1f s)", args.lang, len(requests), dataset_s)
    report = _read(out)
    report.update({"model": handle.name, "lang": args.lang, "available_edits": len(requests),
                   "dataset_seconds": dataset_s, "machine": _machine()})
    for name in args.methods.split(","):
        mode = args.mode or DEFAULT_MODES.get(name, "single")
        steps = args.steps if mode == "sequential" else 1
        chosen = requests[: args.edits]
        logging.info("%s: %s, %d edits%s", name, mode, len(chosen), f", T={steps}" if mode == "sequential" else "")
        method = method_for(name, home=cache, overrides=args.set)
        warm_s = _warm_up(handle, method, requests[-1])
        load_before = os.getloadavg()[0]
        options = RunOptions(mode=mode, steps=steps, scoring=EvalOptions(fluency_tokens=args.fluency_tokens))
        size = _chunk(args.chunk or len(chosen), steps)
        key = f"{name}/{mode}" + (f"/T{steps}" if mode == "sequential" else "")
        key += "".join(f"/{k}={v}" for k, v in sorted(args.set.items()))
        previous = report.get("runs", {}).get(key) if args.resume else None
        parts = [previous] if previous else []  # a saved run counts as one chunk of the merged result
        done = previous["edits"] if previous else 0
        if done:
            logging.info("%s: resuming after the %d edits saved in %s", name, done, out)
        for start in range(done, len(chosen), size):  # each chunk is saved as soon as it is done
            parts.append(run_eval(handle, method, chosen[start : start + size], options))
            result = merge(parts)
            result["warm_up_seconds"] = warm_s
            result["load_average_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
            report.setdefault("runs", {})[key] = result
            atomic_write_json(out, report)
            logging.info("%s: %d edits done: %s", name, result["edits"], json.dumps(result["metrics"]))
    registry.close()
    print(json.dumps(report, indent=1, ensure_ascii=False))


def merge(parts: list[dict]) -> dict:
    """Reports of consecutive chunks of one run as one: means weighted by their counts, times pooled."""
    counts: dict[str, int] = {}
    sums: dict[str, float] = {}
    for part in parts:
        for key, value in part["metrics"].items():
            n = part["counts"][key.rsplit(".", 1)[0] if key.endswith((".tf", ".em")) else key]
            sums[key] = sums.get(key, 0.0) + value * n
            counts[key] = counts.get(key, 0) + n
    per_edit = [x for p in parts for x in p["seconds"]["per_edit"]]
    per_group = [x for p in parts for x in p["seconds"]["per_group"]]
    cpu = [x for p in parts for x in p["seconds"].get("cpu_per_edit", [])]
    merged = dict(parts[-1])
    merged.update({
        "edits": sum(p["edits"] for p in parts), "chunks": len(parts),
        "metrics": {k: round(sums[k] / counts[k], 4) for k in parts[0]["metrics"] if counts.get(k)},
        "counts": {k: sum(p["counts"].get(k, 0) for p in parts) for k in parts[0]["counts"]},
        "failures": [f for p in parts for f in p["failures"]],
        "seconds": {"edit_median": _median(per_edit), "edit_p90": _p90(per_edit), "cpu_edit_median": _median(cpu),
                    "ledger_apply_median": _median([p["seconds"]["ledger_apply_median"] or 0 for p in parts]),
                    "group_median": _median(per_group), "total": round(sum(p["seconds"]["total"] for p in parts), 1),
                    "per_edit": per_edit, "per_group": per_group, "cpu_per_edit": cpu},
    })
    return merged


def _chunk(size: int, steps: int) -> int:
    """A chunk size that is a whole number of sequences (T edits each)."""
    return max(steps, size - size % steps)


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def _p90(xs: list[float]) -> float | None:
    return round(sorted(xs)[min(len(xs) - 1, int(0.9 * len(xs)))], 3) if xs else None


def _warm_up(handle, method, request) -> float:
    """One edit computed and thrown away (not applied): loads statistics and makes context templates, which the
    methods cache per model state, so the timed edits measure the edit alone."""
    started = time.perf_counter()
    method.apply(handle, [request])
    return round(time.perf_counter() - started, 1)


def _read(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _machine() -> dict:
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__}


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--methods", default=",".join(ORDER))
    p.add_argument("--edits", type=int, default=200)
    p.add_argument("--mode", choices=("single", "batch", "sequential"), default=None,
                   help="one mode for every method (default: per method, see the module docstring)")
    p.add_argument("--steps", type=int, default=100, help="T of sequential runs")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true",
                   help="continue a run saved in --out (same method, mode, seed) after its last saved chunk")
    p.add_argument("--chunk", type=int, default=20,
                   help="edits per saved chunk (rounded to whole T-edit sequences); 0 = one chunk")
    p.add_argument("--fluency-tokens", type=int, default=100)
    p.add_argument("--home", default=str(Path.home() / ".kgedit-bench"),
                   help="kgedit home (converted model, statistics, the cached counterfactual filter)")
    p.add_argument("--cache", default=None,
                   help="folder for statistics and the counterfactual filter cache (default: --home); lets two "
                        "runs with separate homes (ledgers) share them")
    p.add_argument("--out", default=None, help="JSON file results are merged into after each method")
    p.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE",
                   help="change a hyper-parameter of every method run (repeatable; VALUE as JSON, else a string), "
                        "e.g. --set norm_constraint=2e-3; the run is saved under a key naming it")
    args = p.parse_args()
    args.set = dict(_knob(item, p) for item in args.set)
    return args


def _knob(item: str, parser: argparse.ArgumentParser) -> tuple[str, object]:
    name, sep, text = item.partition("=")
    if not sep or not name:
        parser.error(f"--set takes KNOB=VALUE, not {item!r}")
    try:
        return name, json.loads(text)
    except ValueError:
        return name, text


if __name__ == "__main__":
    main()
