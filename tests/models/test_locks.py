"""The readers-writer lock: shared reads, exclusive writes, writer preference, re-entry, timeouts."""

from __future__ import annotations

import threading
import time

import pytest

from kg.errors import ModelBusy
from models.locks import RWLock


class TestRWLock:
    """Behaviour a generation/edit interleaving depends on."""

    def test_readers_share(self) -> None:
        lock, inside, both = RWLock(), threading.Barrier(2, timeout=5), []

        def reader() -> None:
            with lock.reading():
                inside.wait()  # both readers must be inside at once, or this times out
                both.append(True)

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert both == [True, True]

    def test_writer_excludes_readers(self) -> None:
        lock, events = RWLock(), []
        with lock.writing():
            t = threading.Thread(target=lambda: _read_and_log(lock, events))
            t.start()
            time.sleep(0.1)
            events.append("writer done")
        t.join()
        assert events == ["writer done", "read"]

    def test_waiting_writer_holds_back_new_readers(self) -> None:
        lock, events = RWLock(), []
        with lock.reading():
            writer = threading.Thread(target=lambda: _write_and_log(lock, events))
            writer.start()
            time.sleep(0.1)  # the writer is now waiting for this reader
            reader = threading.Thread(target=lambda: _read_and_log(lock, events))
            reader.start()
            time.sleep(0.1)
            assert events == []  # the new reader queues behind the writer
        writer.join()
        reader.join()
        assert events == ["write", "read"]

    def test_writer_may_reenter(self) -> None:
        lock = RWLock()
        with lock.writing(), lock.reading(), lock.writing():
            assert lock.write_locked
        assert not lock.write_locked

    def test_upgrade_is_refused(self) -> None:
        lock = RWLock()
        with lock.reading(), pytest.raises(RuntimeError, match="upgrade"):
            with lock.writing():
                pass

    def test_timeouts_raise_model_busy(self) -> None:
        lock = RWLock("m")
        hold = threading.Event()
        release = threading.Event()

        def writer() -> None:
            with lock.writing():
                hold.set()
                release.wait(5)

        t = threading.Thread(target=writer)
        t.start()
        hold.wait(5)
        with pytest.raises(ModelBusy, match="read lock"):
            with lock.reading(timeout=0.05):
                pass
        release.set()
        t.join()
        with lock.reading(timeout=0.05):
            pass  # free again

    def test_timed_out_writer_lets_readers_in(self) -> None:
        lock, errors, events = RWLock(), [], []

        def impatient_writer() -> None:
            try:
                with lock.writing(timeout=0.2):
                    pass
            except ModelBusy as e:
                errors.append(e)

        with lock.reading():
            writer = threading.Thread(target=impatient_writer)
            writer.start()
            time.sleep(0.05)
            reader = threading.Thread(target=lambda: _read_and_log(lock, events))
            reader.start()  # queued behind the writer until it gives up
            writer.join()
            reader.join(2)
        assert len(errors) == 1 and events == ["read"]


def _read_and_log(lock: RWLock, events: list[str]) -> None:
    with lock.reading():
        events.append("read")


def _write_and_log(lock: RWLock, events: list[str]) -> None:
    with lock.writing():
        events.append("write")
