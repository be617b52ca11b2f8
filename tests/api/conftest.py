"""A real kgedit HTTP service per test module: uvicorn on a thread, on localhost, over a fresh data directory
with a small seed KG, model sync and content guard off (fast, deterministic), and a token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_testkit import Service, start_service


@pytest.fixture(scope="module", autouse=True)
def shared_model_cache(model_cache_env) -> None:
    """Every data directory the API tests create, in-process and in the servers and CLI processes they start, uses
    the session's one converted default model and statistics (tests/conftest.py) instead of a conversion per home."""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from start_service(tmp_path_factory, cors_origins=("http://allowed.example",))
