"""A readers-writer lock: many generations at once, or one ledger change, never both.

Writers are preferred (a waiting writer holds back new readers) so a stream of generations cannot starve an
edit. The writing thread may re-enter ``reading()`` and ``writing()`` (an editor verifies its own change while
holding the write lock); a thread that holds only a read lock may not upgrade it, since two readers upgrading
would deadlock each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kg.errors import ModelBusy


class RWLock:
    """Readers-writer lock with writer preference and writer re-entry. See the module docstring."""

    def __init__(self, name: str = "model") -> None:
        self._name = name
        self._cond = threading.Condition()
        self._readers: dict[int, int] = {}  # thread id -> re-entry depth
        self._writer: int | None = None
        self._write_depth = 0
        self._waiting_writers = 0

    @contextmanager
    def reading(self, timeout: float | None = None) -> Iterator[None]:
        """Hold a shared lock for the block.

        Raises:
            ModelBusy: not acquired within ``timeout`` seconds.
        """
        self._acquire_read(timeout)
        try:
            yield
        finally:
            self._release_read()

    @contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the exclusive lock for the block.

        Raises:
            ModelBusy: not acquired within ``timeout`` seconds.
            RuntimeError: the calling thread holds a read lock (upgrades are not allowed).
        """
        self._acquire_write(timeout)
        try:
            yield
        finally:
            self._release_write()

    @property
    def write_locked(self) -> bool:
        """Whether some thread holds the write lock now."""
        with self._cond:
            return self._writer is not None

    def _acquire_read(self, timeout: float | None) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me or me in self._readers:  # re-entry never waits (it would deadlock)
                self._readers[me] = self._readers.get(me, 0) + 1
                return
            if not self._cond.wait_for(lambda: self._writer is None and not self._waiting_writers, timeout):
                raise ModelBusy(f"{self._name}: could not take the read lock within {timeout} s")
            self._readers[me] = 1

    def _release_read(self) -> None:
        me = threading.get_ident()
        with self._cond:
            depth = self._readers[me] - 1
            if depth:
                self._readers[me] = depth
            else:
                del self._readers[me]
                self._cond.notify_all()

    def _acquire_write(self, timeout: float | None) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._write_depth += 1
                return
            if me in self._readers:
                raise RuntimeError(f"{self._name}: cannot upgrade a read lock to a write lock; leave reading() first")
            self._waiting_writers += 1
            try:
                acquired = self._cond.wait_for(lambda: self._writer is None and not self._readers, timeout)
            finally:
                self._waiting_writers -= 1
            if not acquired:
                self._cond.notify_all()  # readers held back by this writer may go now
                raise ModelBusy(f"{self._name}: could not take the write lock within {timeout} s")
            self._writer, self._write_depth = me, 1

    def _release_write(self) -> None:
        with self._cond:
            self._write_depth -= 1
            if not self._write_depth:
                self._writer = None
                self._cond.notify_all()
