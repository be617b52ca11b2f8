"""The FastAPI application factory. Settings and the facade are made in the lifespan, never at import.

Routes live in ``api/routes/<resource>.py`` and are thin calls into the facade (``KGEdit``) or the model
registry; typed errors become ``{error, detail}`` answers in one table (:mod:`api.errors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.jobs import JobRunner
from api.limits import BodyLimitMiddleware
from api.metrics import Metrics, MetricsMiddleware
from api.options import ApiOptions
from api.routes import chat, edits, jobs, kg, locate, models, system, users
from controller.facade import KGEdit
from kg.settings import Settings

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """A versioned knowledge graph that keeps a language model's knowledge in step with it.

Send `Authorization: Bearer <token>` on every `/v1` route except `/v1/health` and `/v1/ready`. Get the first
token on the server's machine with `kgedit users token $(whoami)` (the local OS user is the administrator).
Errors are JSON `{"error": "<type>", "detail": "<message>"}` with status 401, 403, 404, 409, 413, 422 or 501.
"""


def create_app(settings: Settings | None = None, *, options: ApiOptions | None = None,
               load_demo: bool = False) -> FastAPI:
    """Build the app; the KG opens when the app starts and closes when it stops."""
    settings = settings or Settings.load()
    options = options or ApiOptions()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kge = KGEdit.open(settings=settings)
        if load_demo:
            kge.load_demo()
        runner = JobRunner(workers=options.job_workers, keep=options.keep_jobs)
        app.state.kgedit, app.state.jobs = kge, runner
        metrics.gauge("kgedit_kg_version", "Head version of the knowledge graph.", lambda: kge.version)
        metrics.gauge("kgedit_jobs", "Jobs by status.",
                      lambda: {f'status="{k}"': v for k, v in runner.counts().items()})
        try:
            yield
        finally:
            runner.shutdown()
            kge.close()

    app = FastAPI(title="kgedit", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  generate_unique_id_function=lambda route: route.name)
    app.state.settings, app.state.options, app.state.metrics = settings, options, metrics
    install_error_handlers(app)
    for module in (system, kg, edits, models, locate, chat, users, jobs):
        app.include_router(module.router)
    _mount_page(app)
    app.add_middleware(BodyLimitMiddleware, max_chars=settings.max_request_chars,
                       max_upload_bytes=options.max_upload_bytes)
    if options.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(options.cors_origins), allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _mount_page(app: FastAPI) -> None:
    """The web page: plain HTML/JS/CSS shipped in the package, no CDN."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")
