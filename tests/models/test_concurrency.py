"""Generations running during a slow ledger change see the weights all-before or all-after, never a mix."""

from __future__ import annotations

import copy
import threading
import time

import pytest
import torch

from models import DenseRecord, ModelHandle
from models.generation import TextGenerator
from models.ledger import records

PROMPTS = ["the quick brown fox", "hello", "abc abc"]
NAMES = [f"model.layers.{i}.mlp.down_proj.weight" for i in (0, 1)] + ["lm_head.weight"]


def _outputs(handle: ModelHandle) -> tuple[str, ...]:
    return tuple(handle.generate(PROMPTS, max_new_tokens=6, chat=False))


@pytest.fixture
def slow_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every tensor write of a record take 60 ms, so a change spans many generations."""
    real = records._assign

    def slow(model: torch.nn.Module, name: str, value: torch.Tensor) -> None:
        real(model, name, value)
        time.sleep(0.06)

    monkeypatch.setattr(records, "_assign", slow)


def _record(handle: ModelHandle) -> DenseRecord:
    torch.manual_seed(1)
    params = dict(handle.model.named_parameters())
    return DenseRecord.from_delta(handle.model, {n: torch.randn_like(params[n]) for n in NAMES})


def _half_applied_outputs(handle: ModelHandle, record: DenseRecord) -> tuple[str, ...]:
    """What a reader would see between the first and last tensor of the record (on a copy of the model)."""
    clone = copy.deepcopy(handle.model)
    records._assign(clone, NAMES[0], record.values[NAMES[0]])
    return tuple(TextGenerator(clone, handle.tokenizer).generate(PROMPTS, max_new_tokens=6, chat=False))


def _read_until(stop: threading.Event, read, seen: list) -> None:
    while not stop.is_set():
        seen.append(read())


def _race(handle: ModelHandle, record: DenseRecord, read, readers: int = 3) -> list[tuple[str, ...]]:
    """Run ``read`` in reader threads while a writer applies and then reverts ``record``."""
    stop, seen = threading.Event(), []
    threads = [threading.Thread(target=_read_until, args=(stop, read, seen)) for _ in range(readers)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.05)
        handle.ledger.apply(record)
        time.sleep(0.05)
        handle.ledger.revert(record.id)
        time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return seen


class TestNoTornReads:
    """The read/write lock keeps generation and ledger changes apart."""

    def test_readers_see_before_or_after_only(self, tiny: ModelHandle, slow_writes: None) -> None:
        record = _record(tiny)
        before = _outputs(tiny)
        tiny.ledger.apply(record)
        after = _outputs(tiny)
        tiny.ledger.revert(record.id)
        half = _half_applied_outputs(tiny, record)
        assert len({before, after, half}) == 3  # a torn read would be visible

        seen = _race(tiny, _record(tiny), lambda: _outputs(tiny))  # same change, new record id
        assert set(seen) <= {before, after}
        assert before in seen and len(seen) > 5

    def test_without_the_lock_torn_reads_happen(self, tiny: ModelHandle, slow_writes: None) -> None:
        """Control: the same race with a reader that bypasses the lock does observe half-applied weights."""
        record = _record(tiny)
        before = _outputs(tiny)
        tiny.ledger.apply(record)
        after = _outputs(tiny)
        tiny.ledger.revert(record.id)
        unlocked = TextGenerator(tiny.model, tiny.tokenizer)
        read = lambda: tuple(unlocked.generate(PROMPTS, max_new_tokens=6, chat=False))  # noqa: E731
        seen = _race(tiny, _record(tiny), read, readers=1)
        assert set(seen) - {before, after}, "the unlocked reader never saw a partial state; the race is too short"
