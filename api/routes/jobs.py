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


class EditingEvalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"method": "grace", "mode": "sequential", "steps": 10, "limit": 20}]})

    method: str = Field(default="rome", max_length=32, description="Editing method to evaluate.")
    mode: Literal["single", "batch", "sequential"] = "single"
    steps: int = Field(default=10, ge=1, le=1000, description="Edits per sequence (sequential mode).")
    lang: Literal["en", "zh"] = "en"
    limit: int = Field(default=20, ge=1, le=5000, description="How many built-in counterfactual edits.")
    seed: int = Field(default=0, ge=0, le=2**31)
    subjects: list[str] | None = Field(default=None, max_length=100,
                                       description="Only facts about these subjects (faster to start).")
    fluency_tokens: int = Field(default=100, ge=0, le=512, description="Tokens generated for fluency (0: skip).")


@router.post("/jobs/eval/editing", status_code=status.HTTP_202_ACCEPTED)
def editing_eval_job(kge: KGEditDep, jobs: JobsDep, user: AdminUser, body: EditingEvalCreate) -> Job:
    """Evaluate an editing method on the built-in counterfactual set (Reliability, Generalization, Locality,
    Portability, Fluency; teacher-forced and exact match) in the background (administrators). It runs on a
    scratch copy of the default model: the served model and its ledger are never touched."""
    from editors.base import method_class
    from editors.eval.scratch import EvalJob, evaluate_on_scratch

    method_class(body.method)  # an unknown method is a 404 now, not a failed job later
    job = EvalJob(method=body.method, mode=body.mode, steps=body.steps, lang=body.lang, limit=body.limit,
                  seed=body.seed, fluency_tokens=body.fluency_tokens,
                  subjects=tuple(body.subjects) if body.subjects else None)

    def run(report: Report) -> dict[str, Any]:
        report(0.05, f"evaluating {body.method} ({body.mode}) on {body.limit} built-in edits")
        return evaluate_on_scratch(kge.settings, job)

    return jobs.submit("eval", user.name, run)


@router.get("/jobs")
def list_jobs(jobs: JobsDep, user: CurrentUser) -> list[Job]:
    """Jobs, newest first (finished ones are kept for a while)."""
    return jobs.list()


@router.get("/jobs/{job_id}")
def get_job(jobs: JobsDep, user: CurrentUser, job_id: str) -> Job:
    return jobs.get(job_id)
