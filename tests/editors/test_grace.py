"""GRACE: insertion rules, the codebook module, exact revert, sequential edits (tiny model and the real one)."""

from __future__ import annotations

import pytest
import torch
from editors_testkit import (FRANCE, UNRELATED, bad_requests, edit_and_revert, max_abs_diff, refuses_without_change,
                             snapshot)
from torch import nn

from editors import EditRequest, get_method
from editors.grace import GRACE, GraceCodebook
from editors.grace.method import DISABLED, plan_row
from kg.errors import InvalidInput, RevertOrderError

CAPITALS = [("Sweden", " Madrid"), ("Italy", " Oslo"), ("Spain", " Cairo"), ("Chile", " Lima"), ("Egypt", " Rome"),
            ("Canada", " Paris"), ("Brazil", " Tokyo"), ("Kenya", " Dublin"), ("Norway", " Athens"),
            ("Peru", " Berlin")]


def capital(country: str, target: str) -> EditRequest:
    return EditRequest(prompt=f"The capital of {country} is", subject=country, target_new=target)


def first_token(handle, request: EditRequest) -> tuple[str, str]:
    """(generated first token, the target's first token) under greedy decoding."""
    want = handle.tokenizer(request.target_new, add_special_tokens=False)["input_ids"][0]
    return handle.generate([request.prompt], chat=False, max_new_tokens=1)[0], handle.tokenizer.decode([want])


class TestInsertionRules:
    """The §6 insertion rule, on hand-made rows."""

    keys = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    eps = torch.tensor([1.0, 1.0])
    labels = torch.tensor([7, 8])

    def test_far_query_gets_a_new_row(self):
        plan = plan_row(self.keys, self.eps, self.labels, torch.tensor([5.0, 0.0]), 9, 1.0)
        assert (plan.eps, plan.shrink, plan.nearest) == (1.0, {}, 0)

    def test_conflict_splits_into_disjoint_balls(self):
        plan = plan_row(self.keys, self.eps, self.labels, torch.tensor([1.5, 0.0]), 9, 1.0)
        assert plan.nearest == 0 and plan.eps == 0.75 and plan.shrink[0] == pytest.approx(0.75 - 1e-5)
        assert plan.eps + plan.shrink[0] < plan.distance

    def test_split_never_grows_a_radius(self):
        plan = plan_row(self.keys, torch.tensor([0.2, 1.0]), self.labels, torch.tensor([1.1, 0.0]), 9, 1.0)
        assert plan.shrink == {0: pytest.approx(0.2)} and plan.eps == pytest.approx(0.55)

    def test_same_label_adds_a_row_without_shrinking(self):
        plan = plan_row(self.keys, self.eps, self.labels, torch.tensor([1.5, 0.0]), 7, 1.0)
        assert (plan.eps, plan.shrink) == (1.0, {})

    def test_same_key_new_answer_supersedes(self):
        plan = plan_row(self.keys, self.eps, self.labels, torch.tensor([10.0, 0.0]), 9, 1.0)
        assert (plan.eps, plan.shrink) == (1.0, {1: DISABLED})

    def test_empty_codebook(self):
        plan = plan_row(torch.zeros(0, 2), torch.zeros(0), torch.zeros(0, dtype=torch.long), torch.ones(2), 1, 2.0)
        assert (plan.eps, plan.shrink, plan.nearest) == (2.0, {}, None)


class TestCodebookModule:
    """Lookup, chaining and overrides of GraceCodebook around a plain linear layer."""

    def make(self, inner: nn.Module, keys, values, eps, labels, overrides=()) -> GraceCodebook:
        cb = GraceCodebook(inner, d_in=3, d_out=2, rows=len(keys), overrides=len(overrides))
        cb.load_own_state({"keys": torch.tensor(keys), "values": torch.tensor(values), "eps": torch.tensor(eps),
                           "labels": torch.tensor(labels),
                           "override_rows": torch.tensor([r for r, _ in overrides], dtype=torch.long),
                           "override_eps": torch.tensor([e for _, e in overrides], dtype=torch.float32)})
        return cb

    def test_replaces_the_last_token_only_within_radius(self):
        torch.manual_seed(0)
        lin = nn.Linear(3, 2)
        cb = self.make(lin, [[1.0, 0.0, 0.0]], [[9.0, 9.0]], [0.5], [1])
        x = torch.tensor([[[1.0, 0.0, 0.0], [1.0, 0.1, 0.0]], [[1.0, 0.0, 0.0], [5.0, 0.0, 0.0]]])
        out = cb(x)
        assert torch.equal(out[0, 1], torch.tensor([9.0, 9.0]))  # last token within radius: replaced
        assert torch.equal(out[0, 0], lin(x)[0, 0])  # earlier tokens never
        assert torch.equal(out[1], lin(x)[1])  # out of radius: bit-identical to the layer

    def test_chain_merges_rows_and_applies_overrides(self):
        lin = nn.Linear(3, 2)
        inner = self.make(lin, [[1.0, 0.0, 0.0]], [[9.0, 9.0]], [0.5], [1])
        outer = self.make(inner, [[0.0, 1.0, 0.0]], [[7.0, 7.0]], [0.5], [2], overrides=[(0, 0.01)])
        keys, values, eps, labels = outer.merged()
        assert keys.shape == (2, 3) and labels.tolist() == [1, 2] and eps.tolist() == pytest.approx([0.01, 0.5])
        assert inner.merged()[2].tolist() == [0.5]  # the inner codebook itself is never changed
        assert outer.base() is lin and outer.chain() == [inner, outer]
        x = torch.tensor([[[1.0, 0.1, 0.0]]])  # within the old radius, outside the overridden one
        assert torch.equal(outer(x), lin(x)) and torch.equal(inner(x)[0, 0], torch.tensor([9.0, 9.0]))

    def test_disabled_rows_never_match(self):
        lin = nn.Linear(3, 2)
        cb = self.make(lin, [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], [[9.0, 9.0], [5.0, 5.0]], [DISABLED, 0.5], [1, 2])
        assert torch.equal(cb(torch.tensor([[[1.0, 0.0, 0.0]]]))[0, 0], torch.tensor([5.0, 5.0]))


class TestTinyModel:
    """End to end on the tiny random Llama: edits, supersession, revert order, refusals."""

    def test_edit_forces_the_first_token_and_revert_is_exact(self, tiny):
        before, base = snapshot(tiny.model), tiny.state_id
        path = tiny.arch.mlp_out_path(1)
        original = tiny.model.get_submodule(path)
        request = EditRequest(**FRANCE)
        record = GRACE(layer=1).apply(tiny, [request])
        tiny.ledger.apply(record)
        got, want = first_token(tiny, request)
        assert got == want
        assert isinstance(tiny.model.get_submodule(path), GraceCodebook)
        tiny.ledger.revert(record.id)
        assert max_abs_diff(tiny.model, before) == 0.0 and tiny.state_id == base
        assert tiny.model.get_submodule(path) is original

    def test_re_editing_a_fact_supersedes_and_reverts(self, tiny):
        first = EditRequest(**FRANCE)
        second = EditRequest(**{**FRANCE, "target_new": " Oslo"})
        method = GRACE(layer=1)
        r1 = method.apply(tiny, [first])
        tiny.ledger.apply(r1)
        r2 = method.apply(tiny, [second])
        assert r2.meta["rows"][0]["split"] == [0] and r2.state["override_eps"].tolist() == [DISABLED]
        tiny.ledger.apply(r2)
        assert first_token(tiny, second)[0] == first_token(tiny, second)[1]
        tiny.ledger.revert(r2.id)
        merged = tiny.model.get_submodule(tiny.arch.mlp_out_path(1)).merged()
        assert merged[2].tolist() == [1.0]  # the radius the second edit took away is back
        assert first_token(tiny, first)[0] == first_token(tiny, first)[1]

    def test_revert_is_last_in_first_out_per_layer(self, tiny):
        before = snapshot(tiny.model)
        method = GRACE(layer=1)
        ids = []
        for country, target in CAPITALS[:3]:
            record = method.apply(tiny, [capital(country, target)])
            tiny.ledger.apply(record)
            ids.append(record.id)
            if len(ids) == 1:
                after_first = snapshot(tiny.model)
        with pytest.raises(RevertOrderError):
            tiny.ledger.revert(ids[1])
        assert tiny.ledger.revert(ids[1], cascade=True) == [ids[2], ids[1]]
        assert max_abs_diff(tiny.model, after_first) == 0.0
        tiny.ledger.revert(ids[0])
        assert max_abs_diff(tiny.model, before) == 0.0

    @pytest.mark.parametrize("case", sorted(bad_requests()))
    def test_refuses_bad_requests_before_touching_tensors(self, tiny, case):
        assert refuses_without_change(tiny, GRACE(layer=1), bad_requests()[case])

    def test_refuses_more_than_one_request_and_bad_hparams(self, tiny):
        with pytest.raises(InvalidInput):
            GRACE(layer=1).apply(tiny, [EditRequest(**FRANCE)] * 2)
        with pytest.raises(InvalidInput):
            get_method("grace", radius=3)
        with pytest.raises(InvalidInput):
            GRACE(layer=7).apply(tiny, [EditRequest(**FRANCE)])


@pytest.mark.slow
class TestDefaultModel:
    """Claims on SmolLM2-135M-Instruct."""

    def test_counterfactual_edit_and_exact_revert(self, smol, smol_base):
        path = smol.arch.mlp_out_path(24)
        original = smol.model.get_submodule(path)
        out = edit_and_revert(smol, get_method("grace"), [EditRequest(**FRANCE)], smol_base, UNRELATED)
        assert out["answers"][0].strip().startswith("Rome"), out["answers"]
        record = out["record"]
        assert record.path == path and record.meta["layer"] == 24 and record.config["rows"] == 1
        assert out["untouched_by_apply"] and out["leftovers"] == (False, False, False)
        assert out["revert_diff"] == 0.0 and out["state_id"] == smol_base["state_id"]
        assert smol.model.get_submodule(path) is original  # the module tree is the original one
        assert out["unrelated"] == smol_base["unrelated"]

    def test_ten_sequential_edits_hold_and_revert_exactly(self, smol, smol_base):
        requests = [capital(c, t) for c, t in CAPITALS]
        method = get_method("grace")
        ids, states = [], []
        for request in requests:
            states.append(snapshot(smol.model))
            record = method.apply(smol, [request])
            smol.ledger.apply(record)
            ids.append(record.id)
        answers = smol.generate([r.prompt for r in requests], chat=False, max_new_tokens=2)
        assert all(a.strip().startswith(r.target_new.strip()[:3]) for a, r in zip(answers, requests)), answers
        unrelated = smol.generate(UNRELATED, chat=False, max_new_tokens=8)
        assert unrelated == smol_base["unrelated"]

        # Reverting the 5th edit takes the later ones with it (LIFO per layer); the state is then exactly the
        # one before the 5th edit, and reverting the rest gives the base weights back.
        with pytest.raises(RevertOrderError):
            smol.ledger.revert(ids[4])
        assert smol.ledger.revert(ids[4], cascade=True) == ids[:3:-1]
        assert max_abs_diff(smol.model, states[4]) == 0.0
        assert smol.generate([requests[3].prompt], chat=False, max_new_tokens=2)[0].strip().startswith("Lima")
        smol.ledger.revert_to(smol_base["state_id"])
        assert max_abs_diff(smol.model, smol_base["state"]) == 0.0
        assert smol.model.get_submodule(smol.arch.mlp_out_path(24)).__class__ is nn.Linear
