"""``kgedit eval editing``: score an editing method on a dataset file or the built-in counterfactual set.

``kgedit eval editing`` (:mod:`api.cli_tools`) runs it; standalone: ``python -m editors.eval.cli --builtin``.
Edits go to a scratch copy of the model (its caches shared with ``--home``), never to the data directory's own
model or ledger, and are all reverted before the command returns.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from editors.eval.runner import MODES
from editors.eval.scratch import EvalJob, evaluate_on_scratch
from kg.errors import KGEditError


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the arguments of ``kgedit eval editing`` to ``parser``; returns it."""
    parser.add_argument("--method", default="rome", help="editing method (rome, memit, alphaedit, ft, grace, wise)")
    parser.add_argument("--mode", choices=MODES, default="single",
                        help="single: edit, score, revert each; batch: one edit of all requests; sequential: "
                             "T edits one after another, scored after the last")
    parser.add_argument("--steps", type=int, default=10, metavar="T", help="edits per sequence (sequential mode)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, metavar="FILE", help="EasyEdit / KnowEdit / CKnowEdit JSON file")
    source.add_argument("--builtin", action="store_true",
                        help="the built-in counterfactual set (demo KG facts the model gets right)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the built-in set")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="evaluate the first N requests")
    parser.add_argument("--seed", type=int, default=0, help="seed of the built-in set's new targets")
    parser.add_argument("--model", default=None, help="registered model name (default: the configured default)")
    parser.add_argument("--fluency-tokens", type=int, default=100, help="tokens generated for fluency (0: skip)")
    parser.add_argument("--home", type=Path, default=None, help="kgedit home (default: KGEDIT_HOME or ~/.kgedit)")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the report as JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the evaluation ``args`` describe on a scratch copy of the model (:mod:`editors.eval.scratch`: the data
    directory's own model and ledger are never touched) and print the report; returns the exit code (1 on a
    KGEditError, with the message on stderr)."""
    from kg.settings import Settings

    job = EvalJob(method=args.method, mode=args.mode, steps=args.steps, data=args.data, lang=args.lang,
                  limit=args.limit, seed=args.seed, model=args.model, fluency_tokens=args.fluency_tokens)
    try:
        settings = Settings.load(home=args.home) if args.home else Settings.load()
        report = evaluate_on_scratch(settings, job, progress=not args.as_json)
    except KGEditError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.as_json else format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    """The report as a readable table: one row per metric with tf and em side by side, then counts and times."""
    rows: dict[str, dict[str, float]] = {}
    for key, value in report["metrics"].items():
        name, _, kind = key.rpartition(".")
        if kind in ("tf", "em"):
            rows.setdefault(name, {})[kind] = value
        else:
            rows.setdefault(key, {})["value"] = value
    steps = f", T={report['steps']}" if report.get("steps") else ""
    lines = [f"{report['method']} on {report.get('data', '?')}: {report['edits']} edits, {report['mode']}{steps} "
             f"(scored {report['timing']})", "",
             f"{'metric':<34} {'teacher-forced':>14} {'exact match':>12} {'n':>5}"]
    for name, cells in rows.items():
        tf = _cell(cells.get("tf", cells.get("value")))
        lines.append(f"{name:<34} {tf:>14} {_cell(cells.get('em')):>12} {report['counts'].get(name, ''):>5}")
    seconds = report["seconds"]
    lines += ["", f"seconds per edit: median {seconds['edit_median']}, p90 {seconds['edit_p90']}; "
                  f"total {seconds['total']}; weights restored: {report['restored']}"]
    if report["failures"]:
        lines.append(f"{len(report['failures'])} edit(s) refused: {report['failures'][0]['error']}")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point (``python -m editors.eval.cli``)."""
    logging.basicConfig(level=logging.WARNING)
    parser = configure_parser(argparse.ArgumentParser(prog="kgedit eval editing", description=__doc__.splitlines()[0]))
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
