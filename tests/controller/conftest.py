"""Shared by the controller's real-model tests: the converted default model and the ROME statistics come from the
session's one cache (tests/conftest.py; about two minutes to make on a 2-core machine), in this process and in
the processes the crash tests start. Each test's home keeps its own KG, ledger and journal."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def shared_model_cache(model_cache_env) -> None:
    """``KGEDIT_CACHE_DIR`` for every module here (a no-op for the tests that load no model)."""
