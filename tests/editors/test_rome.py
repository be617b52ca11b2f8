"""ROME on the real default model (SmolLM2-135M-Instruct): a counterfactual edit takes, reverts exactly."""

from __future__ import annotations

import pytest
from editors_testkit import FRANCE, TEST_STATS_SAMPLES, UNRELATED, bad_requests, edit_and_revert, refuses_without_change

from editors import EditRequest, get_method
from kg.errors import InvalidInput
from models import LowRankRecord


@pytest.fixture
def rome(smol_home, smol_stats):
    return get_method("rome", home=smol_home, stats=smol_stats, stats_samples=TEST_STATS_SAMPLES)


@pytest.mark.slow
class TestRomeEdit:
    """One counterfactual edit on the default model."""

    def test_new_capital_then_exact_revert(self, smol, smol_base, rome):
        assert smol.generate([FRANCE["prompt"]], chat=False, max_new_tokens=4)[0].strip().startswith("Paris")
        out = edit_and_revert(smol, rome, [EditRequest(**FRANCE)], smol_base, UNRELATED)

        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        record = out["record"]
        assert isinstance(record, LowRankRecord)
        assert record.touched == ("model.layers.5.mlp.down_proj.weight",)
        u, v = record.factors["model.layers.5.mlp.down_proj.weight"]
        assert tuple(u.shape) == (576, 1) and tuple(v.shape) == (1536, 1)
        assert record.meta["method"] == "rome" and record.meta["hparams"]["mom2_adjustment"] is True
        assert record.meta["nll_after"][0] < record.meta["nll_before"][0]

        assert out["untouched_by_apply"], "apply() must not write weights; the ledger does"
        assert out["leftovers"] == (False, False, False), "hooks, requires_grad/.grad or grad mode changed"
        assert out["revert_diff"] == 0.0
        assert out["state_id"] == smol_base["state_id"]
        assert out["unrelated"] == smol_base["unrelated"]


@pytest.mark.slow
class TestRomeRefuses:
    """Bad requests raise InvalidInput and change nothing."""

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_bad_request(self, smol, rome, case):
        assert refuses_without_change(smol, rome, bad_requests()[case])

    def test_more_than_one_request(self, smol, rome):
        two = [EditRequest(**FRANCE), EditRequest(prompt="The capital of Spain is", subject="Spain", target_new=" Rome")]
        assert refuses_without_change(smol, rome, two)

    def test_unknown_or_bad_hyperparameters(self, smol, smol_home):
        with pytest.raises(InvalidInput):
            get_method("rome", home=smol_home, nonsense=1)
        assert refuses_without_change(smol, get_method("rome", layer=99), [EditRequest(**FRANCE)])
