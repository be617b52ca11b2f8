"""Ledger records on a tiny model: exact apply/revert, validation, round-trips through their persisted parts."""

from __future__ import annotations

import pytest
import torch
from models_testkit import make_tiny_model

from kg.errors import InvalidInput
from models.digest import tensor_digest
from models.ledger import DenseRecord, LowRankRecord, ModuleRecord, OutputOffset
from models.ledger.records import record_from_parts

DOWN0 = "model.layers.0.mlp.down_proj.weight"
UP1 = "model.layers.1.mlp.up_proj.weight"


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _assert_bit_identical(model: torch.nn.Module, saved: dict[str, torch.Tensor]) -> None:
    now = model.state_dict()
    assert now.keys() == saved.keys()
    for k, v in saved.items():
        assert torch.equal(now[k].view(torch.int32), v.view(torch.int32)), k  # bits, not just values


def _logits(model: torch.nn.Module) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([[10, 20, 30, 40]])).logits


class TestDenseRecord:
    """Whole-tensor replacement and dense deltas."""

    def test_delta_applies_and_reverts_bit_for_bit(self) -> None:
        model = make_tiny_model()
        saved = _snapshot(model)
        delta = torch.randn(32, 64) * 1e-3  # small: float rounding would show if revert subtracted
        record = DenseRecord.from_delta(model, {DOWN0: delta})
        record.apply(model)
        assert torch.allclose(model.get_parameter(DOWN0), saved[DOWN0] + delta, atol=1e-6)
        assert not torch.equal(model.get_parameter(DOWN0), saved[DOWN0])
        record.revert(model)
        _assert_bit_identical(model, saved)

    def test_digests_describe_before_and_after(self) -> None:
        model = make_tiny_model()
        record = DenseRecord.from_values(model, {UP1: torch.zeros(64, 32)})
        assert record.digests(model) == dict(record.before)
        record.apply(model)
        assert record.digests(model) == dict(record.after)
        assert record.after[UP1] == tensor_digest(torch.zeros(64, 32))

    def test_values_are_cast_to_the_parameter_dtype(self) -> None:
        model = make_tiny_model()
        record = DenseRecord.from_values(model, {UP1: torch.ones(64, 32, dtype=torch.float64)})
        assert record.values[UP1].dtype == torch.float32

    @pytest.mark.parametrize(
        "values, message",
        [({"model.nope.weight": torch.zeros(1)}, "no parameter"), ({UP1: torch.zeros(3, 3)}, "shape")],
    )
    def test_invalid_requests_are_refused(self, values: dict, message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            DenseRecord.from_values(make_tiny_model(), values)

    def test_tied_weights_have_one_canonical_name(self) -> None:
        model = make_tiny_model(tie_word_embeddings=True)
        record = DenseRecord.from_values(model, {"lm_head.weight": torch.zeros(259, 32)})
        assert record.touched == ("model.embed_tokens.weight",)
        with pytest.raises(InvalidInput, match="same tied tensor"):
            DenseRecord.from_values(model, {"lm_head.weight": torch.zeros(259, 32),
                                            "model.embed_tokens.weight": torch.zeros(259, 32)})

    def test_round_trip_through_parts(self) -> None:
        model = make_tiny_model()
        record = DenseRecord.from_delta(model, {DOWN0: torch.randn(32, 64)}, meta={"edit": "e1"})
        again = record_from_parts(record.info(), record.tensors())
        assert isinstance(again, DenseRecord) and again.id == record.id and again.meta == {"edit": "e1"}
        assert torch.equal(again.values[DOWN0], record.values[DOWN0])
        assert torch.equal(again.originals[DOWN0], record.originals[DOWN0])


class TestLowRankRecord:
    """W + u v^T with the original kept."""

    def test_update_matches_and_reverts_exactly(self) -> None:
        model = make_tiny_model()
        saved = _snapshot(model)
        u, v = torch.randn(32, 2), torch.randn(64, 2)
        record = LowRankRecord.create(model, {DOWN0: (u, v)})
        record.apply(model)
        assert torch.allclose(model.get_parameter(DOWN0), saved[DOWN0] + u @ v.T, atol=1e-5)
        assert record.digests(model) == dict(record.after)
        record.revert(model)
        _assert_bit_identical(model, saved)

    def test_recomputation_is_deterministic(self) -> None:
        model = make_tiny_model()
        record = LowRankRecord.create(model, {DOWN0: (torch.randn(32, 3), torch.randn(64, 3))})
        again = record_from_parts(record.info(), record.tensors())
        assert tensor_digest(again.new_value(DOWN0)) == record.after[DOWN0]

    def test_factor_shapes_are_checked(self) -> None:
        with pytest.raises(InvalidInput, match="do not fit"):
            LowRankRecord.create(make_tiny_model(), {DOWN0: (torch.randn(64, 1), torch.randn(32, 1))})


class TestModuleRecord:
    """A wrapper module inserted at a path and removed again."""

    def test_wrap_changes_outputs_and_revert_restores_the_module(self) -> None:
        model = make_tiny_model()
        path = "model.layers.1.mlp.down_proj"
        original, before = model.get_submodule(path), _logits(model)
        record = ModuleRecord.wrap(model, path, OutputOffset, config={"dim": 32}, state={"offset": torch.ones(32)})
        record.apply(model)
        assert isinstance(model.get_submodule(path), OutputOffset)
        assert not torch.equal(_logits(model), before)
        assert record.digests(model) == dict(record.after)
        record.revert(model)
        assert model.get_submodule(path) is original
        assert torch.equal(_logits(model), before)

    def test_state_must_fit_the_wrapper(self) -> None:
        with pytest.raises(InvalidInput, match="do not match"):
            ModuleRecord.wrap(make_tiny_model(), "model.layers.0.mlp.down_proj", OutputOffset, config={"dim": 32},
                              state={"bias": torch.ones(32)})

    def test_round_trip_rebuilds_the_wrapper(self) -> None:
        model = make_tiny_model()
        record = ModuleRecord.wrap(model, "model.layers.0.mlp", OutputOffset, config={"dim": 32},
                                   state={"offset": torch.full((32,), 0.5)})
        again = record_from_parts(record.info(), record.tensors())
        again.apply(model)
        assert torch.equal(model.get_submodule("model.layers.0.mlp").offset, torch.full((32,), 0.5))
