"""The CLI's edit, forget, review and users commands, run as a user would (real processes, a store on disk,
model sync off through KGEDIT_SYNC_MODEL so no weights are touched)."""

from __future__ import annotations

import getpass
import json

import pytest
from test_cli_kg import kgedit


@pytest.fixture(scope="module")
def home(tmp_path_factory, monkeypatch_module):
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data") / "seed.csv"
    data.write_text("France,capital,Paris\nUnited States,head of state,Joe Biden\n", encoding="utf-8")
    kgedit(home, "import", str(data), "--json")
    return home


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGEDIT_SYNC_MODEL", "false")
        yield mp


def test_edit_forget_rollback_and_journal(home):
    # Each command opens the facade (a few seconds of imports on a slow machine), so this test uses few.
    out = json.loads(kgedit(home, "edit", "France", "capital", "Lyon", "--json").stdout)
    assert out["status"] == "committed" and out["retired"][0]["object_name"] == "Paris"
    gone = json.loads(kgedit(home, "forget", "France", "capital", "--json").stdout)
    assert gone["kind"] == "forget" and "Lyon" in [f["object_name"] for f in gone["retired"]]
    shown = kgedit(home, "rollback", "--edit", gone["edit_id"]).stdout
    assert shown.startswith("version 4 (rollback")
    journal = json.loads(kgedit(home, "edits", "--json").stdout)
    assert [e["kind"] for e in journal] == ["rollback", "forget", "edit"]
    missing = kgedit(home, "approve", "e-missing", check=False)
    assert missing.returncode == 1 and "e-missing" in missing.stderr and missing.stdout == ""


def test_users_commands(home):
    me = getpass.getuser()
    token = json.loads(kgedit(home, "users", "token", me, "--json").stdout)
    assert token["user"] == me and token["token"].startswith("kge_")
    assert kgedit(home, "users", "token", me).stdout.strip().startswith("kge_")
    added = json.loads(kgedit(home, "users", "add", "vic", "--role", "viewer", "--json").stdout)
    assert added == {"name": "vic", "role": "viewer"}
    dup = kgedit(home, "users", "add", "vic", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr and dup.stdout == ""
    assert json.loads(kgedit(home, "users", "role", "vic", "reviewer", "--json").stdout)["role"] == "reviewer"
    listed = {u["name"]: u["role"] for u in json.loads(kgedit(home, "users", "list", "--json").stdout)}
    assert listed[me] == "admin" and listed["vic"] == "reviewer"
    kgedit(home, "users", "token", "vic")
    assert json.loads(kgedit(home, "users", "revoke", "vic", "--json").stdout) == {"user": "vic", "revoked": 1}
    assert kgedit(home, "users", "token", "nobody", check=False).returncode == 1
