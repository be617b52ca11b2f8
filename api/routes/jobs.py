"""Long work as jobs: ``POST /v1/jobs/import`` takes a file and answers a job id at once; poll
``GET /v1/jobs/{id}`` for status, progress and the result."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminUser, CurrentUser, JobsDep, KGEditDep
from api.jobs import Job, Report
from kg.errors import InvalidInput

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.post("/jobs/import", status_code=status.HTTP_202_ACCEPTED)
def import_job(kge: KGEditDep, jobs: JobsDep, user: AdminUser, file: Annotated[UploadFile, File()],
               format: Annotated[Literal["csv", "nt", "ttl", "jsonld"] | None, Form()] = None,
               add_relations: Annotated[bool, Form()] = False) -> Job:
    """Import a CSV/N-Triples/Turtle/JSON-LD file as one commit, in the background (administrators).
    The job's result is the commit; a bad line fails the job with nothing imported."""
    name = Path(file.filename or "").name
    name = name if name.strip(". ") else "upload"  # no path parts, no "." or ".."
    if format is None and Path(name).suffix.lstrip(".").lower() not in ("csv", "nt", "ttl", "jsonld", "json"):
        raise InvalidInput(f"cannot tell the format of {name!r}; name it .csv/.nt/.ttl/.jsonld or send format")
    folder = Path(tempfile.mkdtemp(prefix="kgedit-import-"))
    path = folder / name
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)

    def run(report: Report) -> dict[str, Any]:
        report(0.1, f"importing {name} ({path.stat().st_size} bytes)")
        result = kge.import_file(path, fmt=format, author=user.name, add_unknown_relations=add_relations)
        return {"commit": result.commit.model_dump(mode="json")}

    return jobs.submit("import", user.name, run, on_done=lambda: shutil.rmtree(folder, ignore_errors=True))


class StatisticsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(default=None, max_length=32,
                               description="Editing method (default: the service's edit method).")


@router.post("/jobs/statistics", status_code=status.HTTP_202_ACCEPTED)
def statistics_job(kge: KGEditDep, jobs: JobsDep, user: AdminUser, body: StatisticsCreate) -> Job:
    """Compute (or load from the cache) an editing method's second-moment statistics and context templates on
    the default model, in the background (administrators), so that the first edit does not wait for them."""
    from editors.base import method_class

    name = body.method or kge.settings.edit_method
    method_class(name)  # an unknown method is a 404 now, not a failed job later

    def run(report: Report) -> dict[str, Any]:
        report(0.05, f"preparing {name} on {kge.settings.default_model}")
        return kge.prepare_editor(name)

    return jobs.submit("statistics", user.name, run)


@router.get("/jobs")
def list_jobs(jobs: JobsDep, user: CurrentUser) -> list[Job]:
    """Jobs, newest first (finished ones are kept for a while)."""
    return jobs.list()


@router.get("/jobs/{job_id}")
def get_job(jobs: JobsDep, user: CurrentUser, job_id: str) -> Job:
    return jobs.get(job_id)
