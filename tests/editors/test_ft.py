"""FT-M on the real default model: a counterfactual edit takes as a dense record, reverts exactly."""

from __future__ import annotations

import pytest
from editors_testkit import FRANCE, UNRELATED, bad_requests, edit_and_revert, refuses_without_change

from editors import EditRequest, get_method
from models import DenseRecord


@pytest.fixture
def ft():
    return get_method("ft")


@pytest.mark.slow
class TestFtEdit:
    """One counterfactual edit on the default model."""

    def test_new_capital_then_exact_revert(self, smol, smol_base, ft):
        out = edit_and_revert(smol, ft, [EditRequest(**FRANCE)], smol_base, UNRELATED)

        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        record = out["record"]
        assert isinstance(record, DenseRecord)
        assert record.touched == ("model.layers.20.mlp.down_proj.weight",)
        assert record.meta["nll_after"] < record.meta["nll_before"]
        assert out["untouched_by_apply"]
        assert out["leftovers"] == (False, False, False)
        assert out["revert_diff"] == 0.0
        assert out["state_id"] == smol_base["state_id"]
        assert out["unrelated"] == smol_base["unrelated"]


@pytest.mark.slow
class TestFtRefuses:
    """Bad requests raise InvalidInput and change nothing."""

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_bad_request(self, smol, ft, case):
        assert refuses_without_change(smol, ft, bad_requests()[case])
