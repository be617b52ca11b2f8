"""``kgedit eval editing`` arguments, the readable table, and a run on the tiny model from a dataset file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from editors_testkit import TINY

from editors.eval.cli import configure_parser, format_report, run

DATA = Path(__file__).resolve().parents[1] / "data" / "editing"


def _parse(*argv: str) -> argparse.Namespace:
    return configure_parser(argparse.ArgumentParser()).parse_args(list(argv))


class TestArguments:
    """Defaults, and one data source required."""

    def test_defaults(self):
        args = _parse("--builtin")
        assert (args.method, args.mode, args.steps, args.lang, args.limit, args.as_json) == (
            "rome", "single", 10, "en", None, False)

    def test_source_required_and_exclusive(self):
        with pytest.raises(SystemExit):
            _parse()
        with pytest.raises(SystemExit):
            _parse("--builtin", "--data", "x.json")


class TestRun:
    """Runs on the tiny model; prints JSON or a table; errors exit 1 with a message."""

    def test_json_from_a_file(self, tiny, tiny_home, capsys):
        args = _parse("--data", str(DATA / "easyedit.json"), "--method", "ft", "--mode", "sequential", "--steps",
                      "2", "--model", TINY, "--home", str(tiny_home), "--fluency-tokens", "4", "--json")
        tiny.ledger  # the fixture registered the tiny model in tiny_home; run() opens its own registry
        ledger_files = sorted((tiny_home / "ledger").rglob("*"))
        assert run(args) == 0
        assert sorted((tiny_home / "ledger").rglob("*")) == ledger_files  # a scratch copy was edited, not this one
        report = json.loads(capsys.readouterr().out)
        assert report["method"] == "ft" and report["edits"] == 2 and report["restored"] is True
        assert {"reliability.tf", "reliability.em", "locality.tf", "portability.inverse.em"} <= set(report["metrics"])

    def test_error_exit(self, tiny_home, capsys):
        args = _parse("--data", str(DATA / "malformed.json"), "--home", str(tiny_home), "--model", "nonexistent")
        assert run(args) == 1
        assert "error:" in capsys.readouterr().err

    def test_table(self):
        report = {"method": "rome", "mode": "single", "steps": None, "edits": 2, "timing": "after each edit",
                  "data": "builtin (en)", "metrics": {"reliability.em": 1.0, "reliability.tf": 0.75, "fluency": 5.9},
                  "counts": {"reliability": 2, "fluency": 2}, "failures": [], "restored": True,
                  "seconds": {"edit_median": 9.5, "edit_p90": 10.0, "total": 30.0}}
        text = format_report(report)
        assert "teacher-forced" in text and "exact match" in text
        assert any(line.startswith("reliability") and "0.750" in line and "1.000" in line
                   for line in text.splitlines())
