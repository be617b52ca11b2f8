"""Run the service in a background thread of this process (notebooks, tests, the README's SDK example).

>>> with serve_in_thread(create_app(settings)) as base_url:      # doctest: +SKIP
...     Client(base_url, token).facts("France")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from kg.errors import KGEditError


class ServerFailed(KGEditError):
    """The background server did not start."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def serve_in_thread(app: FastAPI, *, host: str = "127.0.0.1", port: int | None = None,
                    timeout: float = 120.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a thread; yields the base URL; stops (and closes the app) on exit.

    Raises:
        ServerFailed: the server did not start within ``timeout`` seconds.
    """
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"kgedit-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ServerFailed(f"the server on {host}:{port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
