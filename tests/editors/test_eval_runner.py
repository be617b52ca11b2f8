"""The evaluation runner: modes, reports and exact restore; mechanics on the tiny model, ROME on the real one."""

from __future__ import annotations

import pytest
from editors_testkit import TEST_STATS_SAMPLES, snapshot, max_abs_diff

from editors import EditRequest, Probe, get_method
from editors.eval.metrics import EvalOptions
from editors.eval.runner import RunOptions, method_for, run_eval
from kg.errors import InvalidInput

QUICK = EvalOptions(fluency_tokens=8)
LOCALITY = (Probe(prompt="Water is made of hydrogen and", answer=" oxygen", kind="unrelated"),
            Probe(prompt="The capital of Japan is", answer=" Tokyo", kind="neighbourhood"))


def _requests() -> list[EditRequest]:
    facts = [("France", " Rome", " Paris", "Rome"), ("Spain", " Berlin", " Madrid", "Berlin"),
             ("Egypt", " Lima", " Cairo", "Lima")]
    return [EditRequest(prompt=f"The capital of {c} is", subject=c, target_new=new, target_true=old,
                        rephrase_prompts=(f"The capital city of {c} is",), locality=LOCALITY,
                        portability=(Probe(prompt=f"{city} is the capital of", answer=f" {c}", kind="inverse"),))
            for c, new, old, city in facts]


class TestModesOnTinyModel:
    """Every mode edits through the ledger, reports each metric with tf and em, and restores the weights."""

    @pytest.mark.parametrize("mode, steps", [("single", 1), ("batch", 1), ("sequential", 2)])
    def test_report_and_restore(self, tiny, tiny_home, mode, steps):
        saved, state = snapshot(tiny.model), tiny.state_id
        method = get_method("ft", home=tiny_home, steps=3)
        report = run_eval(tiny, method, _requests(), RunOptions(mode=mode, steps=steps, progress=False,
                                                                   scoring=QUICK))
        assert report["mode"] == mode and report["edits"] == 3 and report["restored"] is True
        for name in ("reliability", "generalization", "locality", "portability", "portability.inverse",
                     "locality.unrelated"):
            assert 0.0 <= report["metrics"][f"{name}.tf"] <= 1.0 and 0.0 <= report["metrics"][f"{name}.em"] <= 1.0
            assert report["counts"][name] == 3
        assert report["metrics"]["fluency"] >= 0.0
        assert report["seconds"]["edit_median"] > 0 and report["hparams"]["steps"] == 3
        assert tiny.state_id == state and max_abs_diff(tiny.model, saved) == 0.0
        applied = [e for e in tiny.ledger.entries() if e.status == "applied"]
        assert not applied and len(tiny.ledger.entries()) == (1 if mode == "batch" else 3)

    def test_refusals(self, tiny, tiny_home):
        with pytest.raises(InvalidInput, match="not batchable"):
            run_eval(tiny, get_method("grace"), _requests(), RunOptions(mode="batch", progress=False))
        with pytest.raises(InvalidInput, match="no edit requests"):
            run_eval(tiny, get_method("ft"), [], RunOptions(progress=False))
        with pytest.raises(InvalidInput, match="unknown evaluation mode"):
            RunOptions(mode="parallel")
        with pytest.raises(InvalidInput):
            RunOptions(mode="sequential", steps=0)

    def test_method_for_passes_home_only_where_taken(self, tiny_home):
        for name in ("rome", "memit", "alphaedit", "ft", "grace", "wise"):
            assert method_for(name, home=tiny_home).name == name

    def test_method_for_applies_overrides(self, tiny, tiny_home):
        assert method_for("ft", home=tiny_home, overrides={"norm_constraint": 1e-3}).hparams(tiny).norm_constraint == 1e-3
        assert method_for("memit", home=tiny_home, overrides={"v_chunk": 4}).hparams(tiny).value_knobs.chunk == 4
        with pytest.raises(InvalidInput):
            method_for("ft", home=tiny_home, overrides={"no_such_knob": 1})


@pytest.mark.slow
class TestRomeOnDefaultModel:
    """ROME on SmolLM2: single and sequential runs edit, score and restore exactly."""

    @pytest.fixture
    def rome(self, smol_home, smol_stats):
        return get_method("rome", home=smol_home, stats=smol_stats, stats_samples=TEST_STATS_SAMPLES)

    def test_single(self, smol, smol_base, rome):
        report = run_eval(smol, rome, _requests()[:2], RunOptions(progress=False, scoring=QUICK))
        metrics = report["metrics"]
        assert metrics["reliability.em"] == 1.0 and metrics["reliability.tf"] == 1.0, metrics
        assert metrics["locality.tf"] >= 0.75 and metrics["generalization.em"] >= 0.5, metrics
        assert report["restored"] and smol.state_id == smol_base["state_id"]
        assert max_abs_diff(smol.model, smol_base["state"]) == 0.0

    def test_sequential(self, smol, smol_base, rome):
        report = run_eval(smol, rome, _requests()[:2], RunOptions(mode="sequential", steps=2, progress=False,
                                                                     scoring=QUICK))
        assert report["timing"].startswith("after the last") and report["steps"] == 2
        assert report["metrics"]["reliability.em"] >= 0.5, report["metrics"]
        assert smol.state_id == smol_base["state_id"]
        assert max_abs_diff(smol.model, smol_base["state"]) == 0.0
