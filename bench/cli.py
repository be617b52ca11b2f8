"""Start-up time of kgedit commands, as a user runs them; prints JSON.

    python bench/cli.py [--runs 5]

Times ``kgedit facts France --json`` (a KG command) and ``kgedit models list --json`` in fresh processes against
a temporary home holding the demo KG, next to a bare ``python -c pass`` measured in the same run (the baseline:
interpreter start-up alone). Medians over ``--runs``; each command's ratio is against the baseline.
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (must come first: lets bench scripts import the project packages)
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"python -c pass": ["-c", "pass"],
            "kgedit facts France --json": ["-m", "api.cli", "facts", "France", "--json"],
            "kgedit models list --json": ["-m", "api.cli", "models", "list", "--json"]}


def seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="kgedit-cli-") as home:
        env = {**os.environ, "KGEDIT_HOME": home, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "api.cli", "import", str(ROOT / "kg" / "data" / "demo_countries.csv"),
                        "--json"], env=env, cwd=ROOT, check=True, capture_output=True)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):  # interleaved, so every command sees the same machine load
            for name, argv in COMMANDS.items():
                times[name].append(seconds(argv, env))
    base = statistics.median(times["python -c pass"])
    print(json.dumps({name: {"median_s": round(statistics.median(t), 3),
                             "ratio_to_bare_python": round(statistics.median(t) / base, 1)}
                      for name, t in times.items()} | {"runs": args.runs}, indent=1))


if __name__ == "__main__":
    main()
