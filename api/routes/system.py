"""Health, readiness and Prometheus metrics: public, no token needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from api.deps import JobsDep, KGEditDep

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    version: int


class Readiness(BaseModel):
    ready: bool
    kg_version: int
    checks: dict[str, str]


@router.get("/v1/health")
def health(kge: KGEditDep) -> Health:
    """Liveness: the service answers and the KG is open."""
    return Health(status="ok", version=kge.version)


@router.get("/v1/ready", responses={503: {"model": Readiness}})
def ready(kge: KGEditDep, jobs: JobsDep) -> Readiness:
    """Readiness: the graph store and the controller database answer queries (503 otherwise)."""
    checks = {}
    for name, probe in (("store", lambda: kge.query("RETURN 1 AS ok")), ("controller_db", kge.users.list)):
        try:
            probe()
            checks[name] = "ok"
        except Exception as e:  # a failing dependency is the answer here, not an error
            checks[name] = f"{type(e).__name__}: {e}"
    state = Readiness(ready=all(v == "ok" for v in checks.values()), kg_version=kge.version, checks=checks)
    if not state.ready:
        return JSONResponse(status_code=503, content=state.model_dump())  # type: ignore[return-value]
    return state


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
