"""The FastAPI application factory. Settings and the facade are made in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from api.routes import kg as kg_routes
from controller.facade import KGEdit
from kg.errors import KGEditError
from kg.settings import Settings


def create_app(settings: Settings | None = None, *, load_demo: bool = False) -> FastAPI:
    """Build the app; the KG opens when the app starts and closes when it stops."""
    settings = settings or Settings.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kge = KGEdit.open(settings=settings)
        if load_demo:
            kge.load_demo()
        app.state.kgedit = kge
        try:
            yield
        finally:
            kge.close()

    app = FastAPI(title="kgedit", version="0.1.0", lifespan=lifespan,
                  generate_unique_id_function=lambda route: route.name)
    app.add_exception_handler(KGEditError, _kgedit_error)
    app.include_router(kg_routes.router, prefix="/v1")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


async def _kgedit_error(request: Request, exc: Exception) -> JSONResponse:
    """Every typed error becomes its HTTP status with the message kept."""
    status = getattr(exc, "http_status", 500)
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
    if hasattr(exc, "suggestions"):
        body["suggestions"] = exc.suggestions
    return JSONResponse(status_code=status, content=body)
