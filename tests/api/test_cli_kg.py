"""The kgedit CLI's knowledge-graph commands, run as a user would (a real process, a real store on disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def kgedit(home, *args, check=True):
    env = {**os.environ, "KGEDIT_HOME": str(home), "PYTHONPATH": os.getcwd()}
    proc = subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"kgedit {' '.join(args)} failed: {proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data") / "seed.csv"
    data.write_text("subject,relation,object\nFrance,capital,Paris\nFrance,official language,French\n"
                    "Japan,capital,Tokyo\n", encoding="utf-8")
    kgedit(home, "import", str(data), "--json")
    return home


def test_import_and_facts_json(home):
    facts = json.loads(kgedit(home, "facts", "France", "--json").stdout)
    assert {(f["pred"], f["object_name"]) for f in facts} == {("capital", "Paris"), ("official_language", "French")}


def test_query_with_param_and_at(home):
    out = kgedit(home, "query", "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND visible(f) "
                 "RETURN b.name AS name ORDER BY name", "--param", "s=japan", "--at", "1", "--json").stdout
    assert json.loads(out) == [{"name": "Tokyo"}]


def test_query_refuses_writes(home):
    proc = kgedit(home, "query", "CREATE (:Entity {id: 'x'})", "--json", check=False)
    assert proc.returncode != 0 and "read-only" in proc.stderr and proc.stdout == ""


def test_log_diff_rollback_export(home, tmp_path):
    edit = tmp_path / "edit.csv"
    edit.write_text("Japan,head of government,Shigeru Ishiba\n", encoding="utf-8")
    kgedit(home, "import", str(edit))
    log = json.loads(kgedit(home, "log", "--json").stdout)
    assert [c["version"] for c in log][:2] == [2, 1]
    diff = json.loads(kgedit(home, "diff", "1", "2", "--json").stdout)
    assert [f["object_name"] for f in diff["added"]] == ["Shigeru Ishiba"] and diff["removed"] == []
    rolled = json.loads(kgedit(home, "rollback", "--commit", "2", "--json").stdout)
    assert rolled["commit"]["kind"] == "rollback" and rolled["commit"]["reverts"] == 2
    out = tmp_path / "out.ttl"
    assert json.loads(kgedit(home, "export", str(out), "--json").stdout)["facts"] == 3
    assert "Tokyo" in out.read_text(encoding="utf-8")


def test_errors_go_to_stderr_with_nonzero_exit(home, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("France,capital,Paris\nJapan,capital\n", encoding="utf-8")
    proc = kgedit(home, "import", str(bad), "--json", check=False)
    assert proc.returncode == 1 and "line 2" in proc.stderr and proc.stdout == ""
    proc = kgedit(home, "facts", "Atlantis", check=False)
    assert proc.returncode == 1 and "Atlantis" in proc.stderr
    proc = kgedit(home, "rollback", check=False)
    assert proc.returncode != 0 and "exactly one" in proc.stderr


def test_every_command_has_help():
    from api.cli import main
    for name, command in main.commands.items():
        assert command.help, f"kgedit {name} has no help text"
        assert kgedit(".", name, "--help").returncode == 0


def test_kg_commands_load_no_model_or_llm_code(home):
    """A KG command starts in under a second: it must not import torch, transformers or LangChain (seconds)."""
    code = ("import sys\nfrom api.cli import main\n"
            "try:\n    main(['facts', 'France', '--json'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = [m for m in ('torch', 'transformers', 'langchain_core') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    env = {**os.environ, "KGEDIT_HOME": str(home), "PYTHONPATH": os.getcwd()}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert {f["object_name"] for f in json.loads(proc.stdout)} == {"Paris", "French"}
