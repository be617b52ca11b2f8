"""A real kgedit HTTP service per test module: uvicorn on a thread, on localhost, over a fresh data directory
with a small seed KG, model sync and content guard off (fast, deterministic), and a token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_testkit import Service, start_service


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="module", autouse=True)
def shared_model_cache(model_cache_dir: str) -> Iterator[None]:
    """One converted copy of the default model (and one set of editor statistics) for every data directory the
    API tests create, in-process and in the servers they start, instead of a 30-70 s conversion per home.
    Set per module and restored after, so tests elsewhere (the registry's own cache tests) never see it."""
    import os

    previous = os.environ.get("KGEDIT_CACHE_DIR")
    os.environ["KGEDIT_CACHE_DIR"] = model_cache_dir
    yield
    if previous is None:
        os.environ.pop("KGEDIT_CACHE_DIR", None)
    else:
        os.environ["KGEDIT_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from start_service(tmp_path_factory, cors_origins=("http://allowed.example",))
