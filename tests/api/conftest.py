"""A real kgedit HTTP service per test module: uvicorn on a thread, on localhost, over a fresh data directory
with a small seed KG, model sync and content guard off (fast, deterministic), and a token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_testkit import Service, start_service


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from start_service(tmp_path_factory, cors_origins=("http://allowed.example",))
