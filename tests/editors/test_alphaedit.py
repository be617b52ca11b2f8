"""AlphaEdit: a counterfactual edit on the real default model, and the preserved-keys sum following the ledger
(applied records count, reverted ones stop counting; no hidden running sum)."""

from __future__ import annotations

import pytest
import torch
from editors_testkit import FRANCE, TEST_STATS_SAMPLES, UNRELATED, bad_requests, edit_and_revert, refuses_without_change

from editors import EditRequest, get_method
from editors.alphaedit.method import null_space_projector
from editors.alphaedit.preserved import PreservedKeys
from models import LowRankRecord


@pytest.fixture
def alphaedit(smol_home, smol_stats):
    return get_method("alphaedit", home=smol_home, stats=smol_stats, stats_samples=TEST_STATS_SAMPLES,
                      context_templates=((5, 2),))


@pytest.mark.slow
class TestAlphaEditEdit:
    """One counterfactual edit on the default model."""

    def test_new_capital_then_exact_revert(self, smol, smol_base, alphaedit):
        out = edit_and_revert(smol, alphaedit, [EditRequest(**FRANCE)], smol_base, UNRELATED)

        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        record = out["record"]
        assert isinstance(record, LowRankRecord)
        assert list(record.touched) == [f"model.layers.{i}.mlp.down_proj.weight" for i in (4, 5, 6, 7, 8)]
        assert out["untouched_by_apply"]
        assert out["leftovers"] == (False, False, False)
        assert out["revert_diff"] == 0.0
        assert out["state_id"] == smol_base["state_id"]
        assert out["unrelated"] == smol_base["unrelated"]
        assert alphaedit.preserved.applied_records(smol) == []  # reverted: no longer preserved

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_bad_request(self, smol, alphaedit, case):
        assert refuses_without_change(smol, alphaedit, bad_requests()[case])


def _tiny_request(target: str = " xyz") -> EditRequest:
    return EditRequest(prompt="The capital of France is", subject="France", target_new=target)


class TestPreservedKeys:
    """K_pK_pᵀ is derived from the ledger's applied AlphaEdit records (tiny model)."""

    @pytest.fixture
    def method(self, tiny_home):
        return get_method("alphaedit", home=tiny_home, layers=(0, 1), stats_samples=8, v_steps=3,
                          context_templates=((3, 1),))

    def test_gram_follows_apply_and_revert(self, tiny, method):
        path = tiny.arch.mlp_out_path(1)
        assert float(method.preserved.gram(tiny, path, 64).abs().sum()) == 0.0
        first = method.apply(tiny, [_tiny_request()])
        assert method.preserved.applied_records(tiny) == []  # computed, not applied: not preserved yet
        tiny.ledger.apply(first)
        one = method.preserved.gram(tiny, path, 64)
        assert method.preserved.applied_records(tiny) == [first.id] and float(one.abs().sum()) > 0

        second = method.apply(tiny, [_tiny_request(" abc")])
        assert second.meta["preserved_records"] == 1
        tiny.ledger.apply(second)
        both = method.preserved.gram(tiny, path, 64)
        assert float((both - one).abs().sum()) > 0

        tiny.ledger.revert(second.id)
        assert torch.equal(method.preserved.gram(tiny, path, 64), one)
        tiny.ledger.revert(first.id)
        assert float(method.preserved.gram(tiny, path, 64).abs().sum()) == 0.0

    def test_keys_persist_for_a_new_instance(self, tiny, method, tiny_home):
        record = method.apply(tiny, [_tiny_request()])
        tiny.ledger.apply(record)
        fresh = PreservedKeys(tiny_home)
        path = tiny.arch.mlp_out_path(0)
        assert torch.equal(fresh.gram(tiny, path, 64), method.preserved.gram(tiny, path, 64))


class TestProjector:
    """The null-space projector."""

    def test_projects_onto_small_eigenvalues(self):
        q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
        c = q @ torch.diag(torch.tensor([5.0, 3.0, 1.0, 1e-3, 1e-4, 0.0], dtype=torch.float64)) @ q.T
        p = null_space_projector(c, 0.01)  # below 1 % of the mean eigenvalue (1.5)
        assert torch.allclose(p @ p, p, atol=1e-10) and round(float(torch.trace(p))) == 3
        assert torch.allclose(c @ p, torch.zeros_like(c), atol=1e-3)
