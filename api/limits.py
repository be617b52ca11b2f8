"""Request body limits: a declared Content-Length over the limit is refused before the body is read; a body
without one (chunked) is read here up to the limit. Refusals are 413 ``{error, detail}``.

JSON requests may carry ``Settings.max_request_chars`` characters (counted as up to 4 bytes each, UTF-8's
worst case); file uploads (multipart, to the upload routes only) may carry ``ApiOptions.max_upload_bytes``.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RequestTooLarge, error_body


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_chars: int, max_upload_bytes: int,
                 upload_paths: tuple[str, ...] = ("/v1/jobs/import",)):
        self.app = app
        self.upload_paths = upload_paths
        self.max_body = max_chars * 4
        self.max_chars = max_chars
        self.max_upload = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        upload = scope["path"] in self.upload_paths and headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_upload if upload else self.max_body
        what = f"{limit} bytes" if upload else f"{self.max_chars} characters"
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, RequestTooLarge(f"the request body is over the limit of {what}"))
            return
        if declared.isdigit():  # the HTTP server holds the body to its declared length
            await self.app(scope, receive, send)
            return
        # No length (chunked): read the body here, up to the limit, and hand it on.
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            more = message.get("more_body", False)
            if seen > limit:
                await _refuse(send, RequestTooLarge(f"the request body is over the limit of {what}"))
                return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, exc: RequestTooLarge) -> None:
    body = json.dumps(error_body(exc)).encode()
    await send({"type": "http.response.start", "status": exc.http_status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
