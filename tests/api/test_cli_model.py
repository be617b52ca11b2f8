"""The CLI's natural-language, model and tool commands, run as a user would: real processes, a store on disk, the
real default model (converted once for the API tests, see conftest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_kg import kgedit


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data") / "seed.csv"
    data.write_text("France,capital,Paris\nJapan,capital,Tokyo\nItaly,capital,Rome\n", encoding="utf-8")
    kgedit(home, "import", str(data), "--json")
    return home


def _version(home) -> int:
    return json.loads(kgedit(home, "log", "--limit", "1", "--json").stdout)[0]["version"]


def test_interpret_applies_nothing_and_submit_applies(home, monkeypatch):
    before = _version(home)
    reading = json.loads(kgedit(home, "interpret", "The capital of France is now Lyon", "--json").stdout)
    [intent] = reading["intents"]
    assert intent["kind"] == "edit"
    assert [(t["subject"]["text"], t["relation"]["name"], t["object"]["text"]) for t in intent["triples"]] == [
        ("France", "capital", "Lyon")]
    assert _version(home) == before
    assert "edit: France —capital→ Lyon" in kgedit(home, "interpret", "The capital of France is now Lyon").stdout

    monkeypatch.setenv("KGEDIT_SYNC_MODEL", "false")  # KG only here; the model path is the next test's
    [answer] = json.loads(kgedit(home, "submit", "The capital of France is now Lyon", "--json").stdout)
    assert answer["outcome"]["status"] == "committed" and answer["outcome"]["version"] == before + 1
    facts = json.loads(kgedit(home, "facts", "France", "--relation", "capital", "--json").stdout)
    assert [f["object_name"] for f in facts] == ["Lyon"]


def test_model_edit_shows_in_generate_lineage_and_rolls_back(home):
    prompt = "The capital of Japan is"
    [before] = json.loads(kgedit(home, "generate", prompt, "--max-new-tokens", "4", "--json").stdout)
    assert before["output"].strip().startswith("Tokyo")

    edit = json.loads(kgedit(home, "edit", "Japan", "capital", "Osaka", "--method", "grace", "--json").stdout)
    assert edit["status"] == "committed", edit
    [after] = json.loads(kgedit(home, "generate", prompt, "--max-new-tokens", "4", "--json").stdout)
    assert after["output"].strip().startswith("Osaka")
    lineage = json.loads(kgedit(home, "models", "lineage", "--json").stdout)
    assert len(lineage["applied"]) >= 1 and len(lineage["states"]) == len(lineage["applied"]) + 1
    mine = [r for r in lineage["records"] if r["edit_id"] == edit["edit_id"]]
    assert mine and all(r["status"] == "applied" for r in mine)
    assert ["Japan", "capital", "Osaka"] in [t for r in mine for t in r["triples"]]

    kgedit(home, "rollback", "--edit", edit["edit_id"], "--json")
    lineage = json.loads(kgedit(home, "models", "lineage", "--json").stdout)
    assert lineage["applied"] == [] and lineage["state_id"] == lineage["states"][0]
    assert all(r["status"] == "reverted" for r in lineage["records"])
    [restored] = json.loads(kgedit(home, "generate", prompt, "--max-new-tokens", "4", "--json").stdout)
    assert restored["output"] == before["output"]


def test_ask_is_grounded_in_the_kg(home):
    out = json.loads(kgedit(home, "ask", "What is the capital of Italy?", "--json").stdout)
    assert out["question"] == "What is the capital of Italy?" and "Rome" in out["answer"]


def test_models_list_and_bad_decoding_option(home):
    [model] = json.loads(kgedit(home, "models", "list", "--json").stdout)
    assert model["name"] == "smollm2-135m" and model["default"] is True
    bad = kgedit(home, "generate", "x", "--decoding", "sampling", "--top-p", "3", check=False)
    assert bad.returncode == 2 and "--top-p" in bad.stderr and bad.stdout == ""


def test_bench_lists_scripts_and_refuses_unknown_ones(home):
    listed = kgedit(home, "bench").stdout
    assert {line.split()[0] for line in listed.splitlines()} >= {"kg", "models", "controller"}
    unknown = kgedit(home, "bench", "no-such-bench", check=False)
    assert unknown.returncode == 1 and "unknown benchmark" in unknown.stderr


def test_bench_runs_a_script_with_its_arguments(home):
    out = kgedit(home, "bench", "kg", "--help")
    assert out.returncode == 0 and "usage" in out.stdout.lower() and "--facts" in out.stdout


def test_eval_editing_runs_on_a_scratch_copy(home):
    help_text = kgedit(home, "eval", "editing", "--help").stdout
    assert "kgedit eval editing" in help_text and "--builtin" in help_text
    data = Path(__file__).resolve().parents[1] / "data" / "editing" / "easyedit.json"
    before = json.loads(kgedit(home, "models", "lineage", "--json").stdout)
    report = json.loads(kgedit(home, "eval", "editing", "--data", str(data), "--method", "grace", "--mode",
                               "sequential", "--steps", "2", "--fluency-tokens", "0", "--json").stdout)
    assert report["method"] == "grace" and report["edits"] == 2 and report["restored"] is True
    assert 0.0 <= report["metrics"]["reliability.tf"] <= 1.0 and "reliability.em" in report["metrics"]
    assert json.loads(kgedit(home, "models", "lineage", "--json").stdout) == before
    missing = kgedit(home, "eval", "editing", "--data", "no-such-file.json", check=False)
    assert missing.returncode == 1 and "no-such-file.json" in missing.stderr


def test_locate_and_lens(home):
    trace = json.loads(kgedit(home, "locate", "The capital of Japan is", "--subject", "Japan", "--samples", "2",
                              "--kind", "mlp", "--json").stdout)
    assert trace["answer"] == " Tokyo" and list(trace["subject_effect"]) == ["mlp"]
    assert trace["p_clean"] > trace["p_corrupt"] and 0 <= trace["peak"]["mlp"] < trace["num_layers"]
    text = kgedit(home, "locate", "The capital of Japan is", "--subject", "Japan", "--samples", "1",
                  "--kind", "hidden", "--kind", "mlp").stdout
    assert "peak: hidden layer" in text and "mlp layer" in text
    refused = kgedit(home, "locate", "The capital of Japan is", "--subject", "Spain", check=False)
    assert refused.returncode == 1 and "Spain" in refused.stderr
    lens = kgedit(home, "lens", "The capital of Japan is", "--answer", " Tokyo").stdout
    assert lens.splitlines()[-1].split()[0] == "29" and "rank 0" in lens.splitlines()[-1]
