"""A small in-process job runner for long work (imports): submit a function, poll its status and progress.

Jobs run on a few worker threads and are kept in memory (the newest ``keep`` finished ones); they do not
survive a restart, which is fine for imports because an import is one commit: it either landed or it did not.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from api.errors import error_body
from kg.errors import NotFound

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(BaseModel):
    """A job as the API shows it. ``progress`` goes from 0 to 1; ``stage`` says what it is doing."""

    id: str
    kind: str
    user: str
    status: JobStatus = JobStatus.QUEUED
    progress: float = Field(default=0.0, ge=0.0, le=1.0)
    stage: str = "queued"
    created: str
    started: str | None = None
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


Report = Callable[[float, str], None]


class JobRunner:
    """Runs ``fn(report)`` in the background; ``report(progress, stage)`` updates the job as it goes."""

    def __init__(self, *, workers: int = 1, keep: int = 200):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kgedit-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def submit(self, kind: str, user: str, fn: Callable[[Report], dict[str, Any]],
               on_done: Callable[[], None] | None = None) -> Job:
        job = Job(id="j-" + uuid.uuid4().hex[:12], kind=kind, user=user, created=_now())
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job.id, fn, on_done)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise NotFound(f"no job {job_id!r}")
            return self._jobs[job_id]

    def list(self) -> list[Job]:
        """Jobs, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {s.value: 0 for s in JobStatus}
            for job in self._jobs.values():
                out[job.status.value] += 1
            return out

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job_id: str, fn: Callable[[Report], dict[str, Any]], on_done: Callable[[], None] | None) -> None:
        self._update(job_id, status=JobStatus.RUNNING, started=_now(), stage="running")
        try:
            result = fn(lambda progress, stage: self._update(job_id, progress=min(max(progress, 0.0), 1.0),
                                                             stage=stage))
            self._update(job_id, status=JobStatus.SUCCEEDED, progress=1.0, stage="done", result=result,
                         finished=_now())
        except Exception as e:  # a job's failure is its result, reported like an API error
            if not hasattr(e, "http_status"):
                log.exception("job %s failed", job_id)
            self._update(job_id, status=JobStatus.FAILED, stage="failed", error=error_body(e), finished=_now())
        finally:
            if on_done is not None:
                on_done()

    def _update(self, job_id: str, **fields: Any) -> None:
        with self._lock:
            self._jobs[job_id] = self._jobs[job_id].model_copy(update=fields)

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)]
        for job_id in finished[: max(0, len(finished) - self._keep)]:
            del self._jobs[job_id]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
