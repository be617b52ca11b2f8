"""The ledger over a tiny model: persistence and replay, revert order, drift and corruption detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from models_testkit import make_tiny_model

from kg.errors import LedgerCorrupt, LedgerDrift, LedgerError, LedgerNotFound, RevertOrderError
from models.digest import state_digest
from models.ledger import DenseRecord, Ledger, LowRankRecord, ModuleRecord, OutputOffset
from models.locks import RWLock

DOWN = "model.layers.{}.mlp.down_proj.weight"
BASE = "base-checksum"


def _ledger(root: Path, model: torch.nn.Module, base: str = BASE) -> Ledger:
    return Ledger(root, model_name="tiny", base_checksum=base, model=model, lock=RWLock())


def _fresh(root: Path) -> tuple[torch.nn.Module, Ledger]:
    """A restarted process: base weights again, ledger reopened and replayed."""
    model = make_tiny_model()
    ledger = _ledger(root, model)
    ledger.replay()
    return model, ledger


def _dense(model: torch.nn.Module, layer: int, scale: float = 0.1) -> DenseRecord:
    return DenseRecord.from_delta(model, {DOWN.format(layer): torch.randn(32, 64) * scale})


class TestPersistence:
    """What was applied is there again after a restart."""

    def test_replay_restores_every_kind(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        ledger.apply(_dense(model, 0))
        ledger.apply(LowRankRecord.create(model, {DOWN.format(1): (torch.randn(32, 1), torch.randn(64, 1))}))
        ledger.apply(ModuleRecord.wrap(model, "model.layers.1.mlp", OutputOffset, config={"dim": 32},
                                       state={"offset": torch.randn(32)}))
        restarted, again = _fresh(tmp_path)
        assert again.state_id == ledger.state_id and again.applied == ledger.applied
        assert state_digest(restarted.state_dict()) == state_digest(model.state_dict())

    def test_files_are_where_the_docs_say(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        ledger.apply(record)
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        assert manifest["applied"] == [record.id] and list(manifest["entries"]) == [record.id]
        assert (tmp_path / "records" / f"{record.id}.safetensors").is_file()
        assert [e["op"] for e in manifest["events"]] == ["apply"]

    def test_reverted_records_are_not_replayed(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        base_state = state_digest(model.state_dict())
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        ledger.apply(record)
        ledger.revert(record.id)
        restarted, again = _fresh(tmp_path)
        assert again.applied == () and state_digest(restarted.state_dict()) == base_state
        assert [e.status for e in again.entries()] == ["reverted"]

    def test_compaction_replays_from_the_snapshot(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        for layer in (0, 1, 0):
            ledger.apply(_dense(model, layer))
        assert ledger.compact() == ledger.state_id
        ledger.apply(_dense(model, 1))  # one record after the snapshot
        for f in (tmp_path / "records").iterdir():  # replay must not need the snapshotted records' files
            if f.stem in ledger.applied[:3]:
                f.rename(f.with_suffix(".moved"))
        restarted, again = _fresh(tmp_path)
        assert state_digest(restarted.state_dict()) == state_digest(model.state_dict())

    def test_base_mismatch_with_applied_records_is_refused(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        _ledger(tmp_path, model).apply(_dense(model, 0))
        with pytest.raises(LedgerError, match="other base weights"):
            _ledger(tmp_path, make_tiny_model(), base="another-base")


class TestRevert:
    """Revert order policy, cascade, revert_to and lineage."""

    def test_reverting_under_a_later_overlapping_record_is_refused(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        first = _dense(model, 0)
        ledger.apply(first)
        second = _dense(model, 0)  # made against the weights `first` produced
        ledger.apply(second)
        with pytest.raises(RevertOrderError) as err:
            ledger.revert(first.id)
        assert err.value.blocking == [second.id]
        assert ledger.applied == (first.id, second.id)  # nothing changed

    def test_cascade_reverts_dependents_newest_first(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        saved = state_digest(model.state_dict())
        ledger = _ledger(tmp_path, model)
        a = _dense(model, 0)
        ledger.apply(a)
        b = DenseRecord.from_delta(model, {DOWN.format(0): torch.randn(32, 64), DOWN.format(1): torch.randn(32, 64)})
        ledger.apply(b)
        c = _dense(model, 1)  # overlaps b only: reverting a must take c too (transitively)
        ledger.apply(c)
        assert ledger.revert(a.id, cascade=True) == [c.id, b.id, a.id]
        assert state_digest(model.state_dict()) == saved

    def test_disjoint_records_revert_in_any_order(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        a, b = _dense(model, 0), _dense(model, 1)
        ledger.apply(a)
        ledger.apply(b)
        after_b_only = _fresh_state_with(model, ledger, a)
        assert ledger.revert(a.id) == [a.id]
        assert state_digest(model.state_dict()) == after_b_only

    def test_module_path_overlaps_the_weights_inside_it(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        dense = _dense(model, 0)
        ledger.apply(dense)
        ledger.apply(ModuleRecord.wrap(model, "model.layers.0.mlp", OutputOffset, config={"dim": 32},
                                       state={"offset": torch.ones(32)}))
        with pytest.raises(RevertOrderError):
            ledger.revert(dense.id)

    def test_revert_to_an_ancestor_state(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        states = [ledger.state_id]
        digests = [state_digest(model.state_dict())]
        for layer in (0, 1, 0):
            states.append(ledger.apply(_dense(model, layer)))
            digests.append(state_digest(model.state_dict()))
        assert ledger.lineage() == states
        ledger.revert_to(states[1])
        assert ledger.state_id == states[1] and state_digest(model.state_dict()) == digests[1]
        with pytest.raises(LedgerNotFound, match="not an ancestor"):
            ledger.revert_to(states[3])

    def test_state_ids_depend_on_order_and_base(self, tmp_path: Path) -> None:
        from models.ledger import state_id

        assert state_id("b", ["x", "y"]) != state_id("b", ["y", "x"]) != state_id("c", ["y", "x"])
        assert state_id("b", []) == _ledger(tmp_path, make_tiny_model(), base="b").state_id

    def test_unknown_and_reverted_records(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        ledger.apply(record)
        ledger.revert(record.id)
        with pytest.raises(LedgerError, match="not applied"):
            ledger.revert(record.id)
        with pytest.raises(LedgerNotFound):
            ledger.revert("r-nope")
        with pytest.raises(LedgerError, match="already in the ledger"):
            ledger.apply(record)


class TestIntegrity:
    """Drift and damage are detected and leave the weights as they were."""

    def test_drift_before_apply_is_refused(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        with torch.no_grad():
            model.get_parameter(DOWN.format(0))[0, 0] += 1  # someone wrote around the ledger
        drifted = state_digest(model.state_dict())
        with pytest.raises(LedgerDrift, match="changed outside the ledger"):
            ledger.apply(record)
        assert state_digest(model.state_dict()) == drifted and ledger.applied == ()
        assert not (tmp_path / "records" / f"{record.id}.safetensors").exists()

    def test_drift_before_revert_is_refused(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        ledger.apply(record)
        with torch.no_grad():
            model.get_parameter(DOWN.format(0))[1, 1] = 0.0
        with pytest.raises(LedgerDrift):
            ledger.revert(record.id)
        assert ledger.applied == (record.id,)

    def test_corrupt_record_file_fails_replay(self, tmp_path: Path) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        record = _dense(model, 0)
        ledger.apply(record)
        path = tmp_path / "records" / f"{record.id}.safetensors"
        data = bytearray(path.read_bytes())
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(LedgerCorrupt, match="checksum"):
            _fresh(tmp_path)

    def test_manifest_write_failure_restores_the_weights(self, tmp_path: Path, monkeypatch) -> None:
        model = make_tiny_model()
        ledger = _ledger(tmp_path, model)
        saved = state_digest(model.state_dict())
        record = _dense(model, 0)

        def disk_full(*_args, **_kwargs) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(ledger._store, "write_manifest", disk_full)
        with pytest.raises(LedgerError, match="No space left"):
            ledger.apply(record)
        assert state_digest(model.state_dict()) == saved and ledger.applied == ()


class TestLocking:
    """Ledger changes share the model's write lock."""

    def test_apply_inside_a_held_write_lock(self, tmp_path: Path) -> None:
        import threading

        model, lock = make_tiny_model(), RWLock()
        ledger = Ledger(tmp_path, model_name="tiny", base_checksum=BASE, model=model, lock=lock)
        other = threading.Thread(target=lambda: ledger.apply(_dense(model, 1)))
        with lock.writing():  # e.g. an editor's apply-verify step; must not deadlock against `other`
            other.start()
            ledger.apply(_dense(model, 0))
        other.join(10)
        assert not other.is_alive() and len(ledger.applied) == 2


class TestProcesses:
    """Two processes on one ledger folder."""

    def test_a_ledger_rewritten_elsewhere_is_not_clobbered(self, tmp_path: Path) -> None:
        model_a, model_b = make_tiny_model(), make_tiny_model()
        ours, theirs = _ledger(tmp_path, model_a), _ledger(tmp_path, model_b)
        theirs.apply(_dense(model_b, 0))
        record = _dense(model_a, 1)
        with pytest.raises(LedgerError, match="changed by another process"):
            ours.apply(record)
        assert ours.applied == () and _fresh(tmp_path)[1].applied == theirs.applied


def _fresh_state_with(model: torch.nn.Module, ledger: Ledger, without) -> str:
    """Digest the model would have with ``without`` reverted (computed on a copy)."""
    import copy

    clone = copy.deepcopy(model)
    ledger.record(without.id).revert(clone)
    return state_digest(clone.state_dict())
