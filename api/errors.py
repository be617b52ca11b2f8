"""HTTP errors: the one table that turns typed errors into JSON ``{error, detail}`` answers, and the few errors
only the HTTP layer raises.

Every error answer has the same shape, ``{"error": "<type>", "detail": "<message>"}`` plus the typed error's
extra fields (``suggestions``, ``reasons``, ...); a traceback is never sent. The SDK client turns the
answer back into the same ``KGEditError`` subclass (see :func:`api.client.error_from_response`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import InvalidInput, KGEditError

log = logging.getLogger(__name__)

#: Attributes of typed errors that are sent along with the message when present.
EXTRA_FIELDS = ("suggestions", "reasons", "edit_id", "known", "line", "blocking")

_STATUS_NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                 405: "MethodNotAllowed", 409: "Conflict", 413: "RequestTooLarge", 415: "UnsupportedMediaType",
                 422: "InvalidInput", 501: "NotImplementedYet", 503: "Unavailable"}


class NotImplementedYet(KGEditError):
    """The request is valid but this server has no implementation for it yet (e.g. text edits before the
    interpreter is wired into the facade)."""

    http_status = 501


class RequestTooLarge(KGEditError):
    """The request body is over the configured limit."""

    http_status = 413


class InvalidQuery(InvalidInput):
    """The store rejected a user's Cypher query (syntax, unknown table, runtime error in the query)."""


def error_body(exc: Exception) -> dict[str, Any]:
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
    for name in EXTRA_FIELDS:
        if getattr(exc, name, None) is not None:
            body[name] = getattr(exc, name)
    return body


def install_error_handlers(app: FastAPI) -> None:
    """Map typed errors, validation errors, HTTP errors and anything unexpected to ``{error, detail}``."""
    app.add_exception_handler(KGEditError, _kgedit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _kgedit_error(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "http_status", 500)
    if status >= 500 and status != 501:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content=error_body(exc), headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = "; ".join(_one_validation_error(e) for e in errors) or "invalid request"
    return JSONResponse(status_code=422, content={"error": "ValidationError", "detail": detail})


def _one_validation_error(err: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
    return f"{where}: {err.get('msg', 'invalid')}"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None) or _STATUS_NAMES.get(status, "error")
    return JSONResponse(status_code=status, content={"error": _STATUS_NAMES.get(status, "HTTPError"),
                                                     "detail": str(detail)},
                        headers=getattr(exc, "headers", None))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log only; the caller gets a typed, stable answer.
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return JSONResponse(status_code=500, content={"error": "InternalError",
                                                  "detail": "unexpected server error; see the server log"})
