"""Shared by the controller's real-model tests: the converted default model and the ROME statistics are made
once per session (about two minutes on a 2-core machine) and linked into each test's fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("controller-model-cache")


def home_with_cache(home: Path, cache: Path) -> Path:
    """``home`` with ``models/`` (converted weights, registry) and ``stats/`` linked from ``cache``; its KG,
    ledger and journal stay its own."""
    home.mkdir(parents=True, exist_ok=True)
    for name in ("models", "stats"):
        (cache / name).mkdir(exist_ok=True)
        (home / name).symlink_to(cache / name)
    return home
