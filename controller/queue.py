"""One writer at a time, served in arrival order (a ticket lock: ``threading.Lock`` is not fair)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kg.errors import KGEditError


class QueueTimeout(KGEditError):
    """The writer queue did not reach this request in time."""

    http_status = 503


class WriterQueue:
    """FIFO mutual exclusion: each writer waits for every writer that arrived before it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._next_ticket - self._serving

    @contextmanager
    def turn(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the single writer slot for the block (re-entrant for the thread that holds it)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                ticket = None
            else:
                ticket = self._next_ticket
                self._next_ticket += 1
                if not self._cond.wait_for(lambda: self._serving == ticket, timeout):
                    self._skip(ticket)
                    raise QueueTimeout(f"the edit queue is busy ({self._next_ticket - self._serving} ahead)")
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._serving += 1
                    self._cond.notify_all()

    def _skip(self, ticket: int) -> None:
        # A timed-out ticket still has to be passed over; the holder before it hands on past it.
        def advance() -> None:
            with self._cond:
                self._cond.wait_for(lambda: self._serving == ticket)
                self._serving += 1
                self._cond.notify_all()

        threading.Thread(target=advance, daemon=True).start()
