"""WISE: the routed side-memory module, protection of earlier edits, exact revert, sequential edits."""

from __future__ import annotations

import pytest
import torch
from editors_testkit import (FRANCE, UNRELATED, bad_requests, edit_and_revert, max_abs_diff, refuses_without_change,
                             snapshot)
from torch import nn

from editors import EditRequest, get_method
from editors.wise import WISE, WiseMemory
from editors.wise.train import orthonormal_basis, part_acts, project_out
from kg.errors import InvalidInput, RevertOrderError

CAPITALS = [("Sweden", " Madrid"), ("Italy", " Oslo"), ("Spain", " Cairo"), ("Chile", " Lima"), ("Egypt", " Rome"),
            ("Canada", " Paris"), ("Brazil", " Tokyo"), ("Kenya", " Dublin"), ("Norway", " Athens"),
            ("Peru", " Berlin")]
#: The side memory's default layer on SmolLM2 (0.85 of 30 layers).
SMOL_LAYER = 26


def capital(country: str, target: str) -> EditRequest:
    return EditRequest(prompt=f"The capital of {country} is", subject=country, target_new=target)


def part(inner: nn.Module, up, down, tau: float) -> WiseMemory:
    up, down = torch.tensor(up), torch.tensor(down)
    mem = WiseMemory(inner, rows=up.shape[0], cols=down.shape[0], rank=up.shape[1], keys=1)
    mem.load_own_state({"up": up, "down": down, "keys": torch.zeros(1, down.shape[0]), "tau": torch.tensor(tau),
                        "edit_act": torch.tensor(tau)})
    return mem


class TestMemoryModule:
    """Routing of WiseMemory around a plain linear layer."""

    def test_routes_per_token_and_leaves_other_tokens_bit_identical(self):
        lin = nn.Linear(3, 2)
        mem = part(lin, [[2.0], [0.0]], [[1.0], [0.0], [0.0]], tau=0.5)  # D a = (2 a0, 0)
        x = torch.tensor([[[1.0, 0.0, 0.0], [0.1, 5.0, 5.0]]])
        out = mem(x)
        assert torch.equal(out[0, 0], lin(x)[0, 0] + torch.tensor([2.0, 0.0]))  # ‖D a‖ = 2 > 0.5: routed
        assert torch.equal(out[0, 1], lin(x)[0, 1])  # ‖D a‖ = 0.2: the original layer, bit for bit

    def test_retrieves_the_strongest_part_above_its_threshold(self):
        lin = nn.Linear(3, 2)
        first = part(lin, [[1.0], [0.0]], [[1.0], [0.0], [0.0]], tau=0.5)
        second = part(first, [[0.0], [3.0]], [[0.0], [1.0], [0.0]], tau=0.5)
        assert second.chain() == [first, second] and second.base() is lin
        x = torch.tensor([[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
        out, plain = second(x), lin(x)
        assert torch.equal(out[0, 0], plain[0, 0] + torch.tensor([1.0, 0.0]))  # only the first part fires
        assert torch.equal(out[0, 1], plain[0, 1] + torch.tensor([0.0, 3.0]))  # both fire: the stronger wins
        assert torch.equal(out[0, 2], plain[0, 2])
        acts, _ = second.part_acts(x)
        assert acts[0, 1].tolist() == [1.0, 3.0]

    def test_protection_makes_a_part_silent_on_protected_activations(self):
        torch.manual_seed(0)
        protected = torch.randn(5, 16)
        down = project_out(torch.randn(16, 3), orthonormal_basis(protected))
        assert part_acts(torch.randn(4, 3), down, protected).max() < 1e-4
        assert part_acts(torch.randn(4, 3), down, torch.randn(3, 16)).min() > 1e-2


class TestTinyModel:
    """End to end on the tiny random Llama."""

    def test_edit_applies_and_reverts_exactly(self, tiny):
        before, base = snapshot(tiny.model), tiny.state_id
        path = tiny.arch.mlp_out_path(1)
        original = tiny.model.get_submodule(path)
        record = WISE(layer=1, prefixes=("",)).apply(tiny, [EditRequest(**FRANCE)])
        assert record.path == path and record.config["rank"] == 4
        assert max_abs_diff(tiny.model, before) == 0.0  # apply() computes, the ledger writes
        tiny.ledger.apply(record)
        assert isinstance(tiny.model.get_submodule(path), WiseMemory)
        tiny.ledger.revert(record.id)
        assert max_abs_diff(tiny.model, before) == 0.0 and tiny.state_id == base
        assert tiny.model.get_submodule(path) is original

    def test_a_later_edit_is_silent_on_earlier_keys_and_revert_is_lifo(self, tiny):
        method = WISE(layer=1, prefixes=("",), n_iter=10)
        before = snapshot(tiny.model)
        first = method.apply(tiny, [EditRequest(**FRANCE)])
        tiny.ledger.apply(first)
        after_first = snapshot(tiny.model)
        second = method.apply(tiny, [capital("Italy", " Oslo")])
        acts = part_acts(second.state["up"], second.state["down"], first.state["keys"])
        assert float(acts.max()) < 1e-3 * max(1.0, float(second.state["edit_act"]))
        tiny.ledger.apply(second)
        with pytest.raises(RevertOrderError):
            tiny.ledger.revert(first.id)
        tiny.ledger.revert(second.id)
        assert max_abs_diff(tiny.model, after_first) == 0.0
        tiny.ledger.revert(first.id)
        assert max_abs_diff(tiny.model, before) == 0.0

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_refuses_bad_requests_before_touching_tensors(self, tiny, case):
        assert refuses_without_change(tiny, WISE(layer=1), bad_requests()[case])

    def test_refuses_bad_hparams(self, tiny):
        for bad in ({"act_ratio": 0.0}, {"rank": 0}, {"optimizer": "lbfgs"}, {"mask": 0.2}, {"layer": "last"}):
            with pytest.raises(InvalidInput):
                get_method("wise", **bad)


@pytest.mark.slow
class TestDefaultModel:
    """Claims on SmolLM2-135M-Instruct."""

    def test_counterfactual_edit_and_exact_revert(self, smol, smol_base):
        path = smol.arch.mlp_out_path(SMOL_LAYER)
        original = smol.model.get_submodule(path)
        out = edit_and_revert(smol, get_method("wise"), [EditRequest(**FRANCE)], smol_base, UNRELATED)
        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        record = out["record"]
        assert record.path == path and record.meta["separated"], record.meta
        assert out["untouched_by_apply"] and out["leftovers"] == (False, False, False)
        assert out["revert_diff"] == 0.0 and out["state_id"] == smol_base["state_id"]
        assert smol.model.get_submodule(path) is original
        assert out["unrelated"] == smol_base["unrelated"]

    def test_sequential_edits_hold_and_revert_exactly(self, smol, smol_base):
        requests = [capital(c, t) for c, t in CAPITALS]
        method = get_method("wise", prefixes=("",))  # the bare prompt only: keeps this test to about a minute
        ids, states = [], []
        for request in requests:
            states.append(snapshot(smol.model))
            record = method.apply(smol, [request])
            smol.ledger.apply(record)
            ids.append(record.id)
        answers = smol.generate([r.prompt for r in requests], chat=False, max_new_tokens=2)
        assert all(a.strip().startswith(r.target_new.strip()[:3]) for a, r in zip(answers, requests)), answers
        assert smol.generate(UNRELATED, chat=False, max_new_tokens=8) == smol_base["unrelated"]

        # The same fact edited again: the new part outbids the old one on the shared key.
        again = capital("Peru", " Nairobi")
        record = method.apply(smol, [again])
        smol.ledger.apply(record)
        ids.append(record.id)
        assert smol.generate([again.prompt], chat=False, max_new_tokens=2)[0].strip().startswith("Nair")

        with pytest.raises(RevertOrderError):
            smol.ledger.revert(ids[4])
        assert smol.ledger.revert(ids[4], cascade=True) == ids[:3:-1]
        assert max_abs_diff(smol.model, states[4]) == 0.0
        assert smol.generate([requests[3].prompt], chat=False, max_new_tokens=2)[0].strip().startswith("Lima")
        smol.ledger.revert_to(smol_base["state_id"])
        assert max_abs_diff(smol.model, smol_base["state"]) == 0.0
        assert smol.model.get_submodule(smol.arch.mlp_out_path(SMOL_LAYER)).__class__ is nn.Linear
