"""MEMIT on the real default model: a batch of two counterfactuals takes in one record, reverts exactly."""

from __future__ import annotations

import pytest
from editors_testkit import FRANCE, TEST_STATS_SAMPLES, UNRELATED, bad_requests, edit_and_revert, refuses_without_change

from editors import EditRequest, get_method
from models import LowRankRecord

SPAIN = dict(prompt="The capital of Spain is", subject="Spain", target_new=" Berlin")


@pytest.fixture
def memit(smol_home, smol_stats):
    # Two generated context templates instead of four: the same mechanics in less CPU time.
    return get_method("memit", home=smol_home, stats=smol_stats, stats_samples=TEST_STATS_SAMPLES,
                      context_templates=((5, 2),))


@pytest.mark.slow
class TestMemitBatch:
    """Two counterfactual edits in one batch."""

    def test_both_targets_then_exact_revert(self, smol, smol_base, memit):
        before = smol.generate([FRANCE["prompt"], SPAIN["prompt"]], chat=False, max_new_tokens=4)
        assert before[0].strip().startswith("Paris") and before[1].strip().startswith("Madrid")
        out = edit_and_revert(smol, memit, [EditRequest(**FRANCE), EditRequest(**SPAIN)], smol_base, UNRELATED)

        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        assert out["answers"][1].strip().startswith("Berlin"), out["answers"]
        record = out["record"]
        assert isinstance(record, LowRankRecord)
        names = [f"model.layers.{i}.mlp.down_proj.weight" for i in (4, 5, 6, 7, 8)]
        assert list(record.touched) == names
        for name in names:
            u, v = record.factors[name]
            assert tuple(u.shape) == (576, 2) and tuple(v.shape) == (1536, 2)
        assert record.meta["layers"] == [4, 5, 6, 7, 8]

        assert out["untouched_by_apply"]
        assert out["leftovers"] == (False, False, False)
        assert out["revert_diff"] == 0.0
        assert out["state_id"] == smol_base["state_id"]
        assert out["unrelated"] == smol_base["unrelated"]


@pytest.mark.slow
class TestMemitRefuses:
    """Bad requests raise InvalidInput and change nothing, also when mixed into a batch of good ones."""

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_bad_request(self, smol, memit, case):
        assert refuses_without_change(smol, memit, bad_requests()[case])

    def test_one_bad_request_in_a_batch(self, smol, memit):
        bad = bad_requests()["blank target"]
        assert refuses_without_change(smol, memit, [EditRequest(**FRANCE), *bad])
