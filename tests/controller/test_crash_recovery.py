"""A process killed with SIGKILL at each step of an edit is found consistent after a restart: the edit is
either fully in the KG and the model, or in neither (and the model's weights are bit-identical to before)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from controller.crash import POINTS
from controller.facade import KGEdit
from kg.records import TripleIn
from models.digest import state_digest

EDIT_POINTS = [p for p in POINTS if p != "after_rollback_model"]

CHILD = textwrap.dedent("""
    import sys
    from controller.facade import KGEdit
    with KGEdit.open(sys.argv[1], edit_method="rome") as kge:
        kge.edit(("France", "capital", "Lyon"))
    print("finished")
""")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A home with a seed KG and one committed model edit (France's capital is Rome)."""
    home = tmp_path_factory.mktemp("crash-template")
    with KGEdit.open(home, edit_method="rome") as kge:
        kge.add_facts([TripleIn(subject="France", relation="capital", object="Paris")])
        kge.edit(("France", "capital", "Rome"))
    return home


def snapshot(home: Path) -> dict:
    with KGEdit.open(home, edit_method="rome") as kge:
        handle = kge.model()
        return {"version": kge.version, "weights": state_digest(handle.model.state_dict()),
                "capital": [f.object_name for f in kge.store.objects("France", "capital")],
                "pending": len(kge.journal.unfinished()),
                "answer": handle.generate(["The capital of France is"], chat=False, max_new_tokens=3)[0]}


def copy_home(template: Path, dest: Path) -> Path:
    # KG, journal and ledger only: the converted model lives in the shared cache (KGEDIT_CACHE_DIR), not the home.
    shutil.copytree(template, dest)
    return dest


@pytest.fixture(scope="module")
def before(template, tmp_path_factory) -> dict:
    """The state every crash point is compared with: the template's, read once (on a copy, as the crashed homes
    are) instead of once per point."""
    return snapshot(copy_home(template, tmp_path_factory.mktemp("crash-reference") / "home"))


@pytest.mark.parametrize("point", EDIT_POINTS)
def test_sigkill_at_each_step_recovers_consistently(template, before, tmp_path, point):
    home = copy_home(template, tmp_path / "home")
    env = {**os.environ, "KGEDIT_CRASH_AT": point, "PYTHONPATH": os.getcwd()}
    child = subprocess.run([sys.executable, "-c", CHILD, str(home)], env=env, capture_output=True, text=True,
                           timeout=900)
    assert child.returncode == -9 and "finished" not in child.stdout, child.stderr[-2000:]
    after = snapshot(home)
    assert after["pending"] == 0
    if after["version"] == before["version"]:  # undone: KG and weights exactly as before the edit
        assert after["capital"] == ["Rome"] and after["weights"] == before["weights"]
        assert after["answer"] == before["answer"]
    else:  # finished: the edit is in both
        assert after["capital"] == ["Lyon"] and after["answer"].strip().startswith("Lyon"), json.dumps(after)
