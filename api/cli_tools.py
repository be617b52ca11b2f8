"""``kgedit eval`` and ``kgedit bench``: evaluations and the benchmark scripts from the command line.

Both hand their arguments on untouched: ``kgedit eval editing`` to the editing harness's own parser
(:mod:`editors.eval.cli`), ``kgedit bench NAME`` to ``bench/NAME.py`` run with this Python, so each keeps one
definition of its options and ``--help`` shows them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"
PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group("eval")
def eval_group() -> None:
    """Evaluations (knowledge editing; more to come)."""


@eval_group.command("editing", context_settings=PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def eval_editing(args: tuple[str, ...]) -> None:
    """Edit a model and score Reliability, Generalization, Locality, Portability and Fluency on the built-in
    counterfactual set or an EasyEdit/KnowEdit/CKnowEdit JSON file (`kgedit eval editing --help` for options)."""
    import argparse

    from editors.eval import cli as harness

    parser = argparse.ArgumentParser(prog="kgedit eval editing", description=eval_editing.__doc__)
    harness.configure_parser(parser)
    sys.exit(harness.run(parser.parse_args(list(args))))


def bench_scripts() -> dict[str, Path]:
    """The benchmark scripts by name (``bench/kg.py`` is ``kg``)."""
    if not BENCH_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(BENCH_DIR.glob("*.py")) if not p.stem.startswith("_")}


def _summary(path: Path) -> str:
    """The first line of a script's docstring."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip().strip('"').strip()
        if text:
            return text
    return ""


@click.command("bench", context_settings=PASS_THROUGH)
@click.argument("name", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_cmd(name: str | None, args: tuple[str, ...]) -> None:
    """Run benchmark NAME (bench/NAME.py; it prints JSON) with ARGS; without NAME, list the benchmarks.
    `kgedit bench NAME --help` shows a benchmark's options."""
    scripts = bench_scripts()
    if not scripts:
        raise click.ClickException(f"no benchmark scripts in {BENCH_DIR}: they ship with the source checkout, "
                                   "not with an installed wheel")
    if name in (None, "--help", "-h", "list"):
        click.echo("\n".join(f"{n:<16} {_summary(p)}" for n, p in scripts.items()))
        return
    if name not in scripts:
        raise click.ClickException(f"unknown benchmark {name!r}; known: {', '.join(scripts)}")
    sys.exit(subprocess.call([sys.executable, str(scripts[name]), *args]))


COMMANDS = (eval_group, bench_cmd)
