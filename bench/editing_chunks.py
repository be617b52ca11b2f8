"""Value-optimisation time and peak memory of one batch of MEMIT requests, by ``v_chunk``; prints JSON.

    python bench/editing_chunks.py [--requests 40] [--chunks 40,16] [--home DIR] [--cache DIR]

Optimises the values of the first ``--requests`` built-in counterfactual edits with MEMIT's knobs, once per chunk
size, each in a fresh process (so the peak resident memory is that run's own), and reports wall and CPU seconds,
the peak RSS, the ratios against the first chunk size listed, and how far each run's ``δ`` is from the first
run's. Rows never interact, so the ``δ`` should agree to float rounding. Run it with ``OMP_NUM_THREADS=1``.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch


def one_run(args: argparse.Namespace, chunk: int, delta_file: Path) -> dict:
    """One chunk size, in this process: the measured figures; the δ is saved to ``delta_file``."""
    from editors import get_method
    from editors._common.values import optimise
    from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
    from kg.settings import Settings
    from models import ModelRegistry

    cache = Path(args.cache) if args.cache else Path(args.home)
    registry = ModelRegistry(Settings(home=Path(args.home), cache_dir=cache, device="cpu"))
    try:
        handle = registry.get()
        requests = builtin_counterfacts(handle, home=cache, options=CounterfactOptions(lang="en"))[: args.requests]
        method = get_method("memit", home=cache)
        hp = method.hparams(handle)
        templates = method.templates.get(handle, hp.context_templates)
        knobs = dataclasses.replace(hp.value_knobs, chunk=chunk)
        started, cpu = time.perf_counter(), time.process_time()
        values = optimise(handle, requests, templates, handle.arch.layer_path(hp.layers[-1]), knobs)
        out = {"chunk": chunk, "requests": len(requests), "wall_s": round(time.perf_counter() - started, 1),
               "cpu_s": round(time.process_time() - cpu, 1), "steps": values.steps,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
        torch.save(values.delta, delta_file)
        return out
    finally:
        registry.close()


def main() -> None:
    args = _parse()
    if args.child is not None:
        print(json.dumps(one_run(args, args.child, Path(args.delta_file))))
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="kgedit-chunks-") as tmp:
        for chunk in (int(c) for c in args.chunks.split(",")):
            delta_file = Path(tmp) / f"delta-{chunk}.pt"
            done = subprocess.run([sys.executable, __file__, "--child", str(chunk), "--delta-file", str(delta_file),
                                   "--requests", str(args.requests), "--home", args.home,
                                   *(["--cache", args.cache] if args.cache else [])],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"chunk {chunk} failed:\n{done.stderr}")
            run = json.loads(done.stdout.strip().splitlines()[-1])
            delta = torch.load(delta_file)
            if runs:
                base = runs[0]
                run["wall_ratio"] = round(run["wall_s"] / base["wall_s"], 2)
                run["cpu_ratio"] = round(run["cpu_s"] / base["cpu_s"], 2)
                run["peak_rss_ratio"] = round(run["peak_rss_mb"] / base["peak_rss_mb"], 2)
                run["delta_max_abs_diff"] = float((delta - first).abs().max())
            else:
                first = delta
                run["delta_max_abs"] = float(delta.abs().max())
            runs.append(run)
    print(json.dumps({"method": "memit", "requests": args.requests, "runs": runs}, indent=1))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=40)
    p.add_argument("--chunks", default="40,16", help="chunk sizes, the first is the baseline")
    p.add_argument("--home", default=str(Path.home() / ".kgedit-bench"))
    p.add_argument("--cache", default=None, help="statistics / counterfactual filter cache (default: --home)")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--delta-file", default=None, help=argparse.SUPPRESS)
    return p.parse_args()


if __name__ == "__main__":
    main()
