"""Process-wide test settings: one CPU thread for small-batch torch work, and never reach a model hub.

Also the session's one cache of derived model data (the default model converted from GGUF, editors' second-moment
statistics): each takes tens of seconds on 2 cores (a conversion 25-70 s, ROME's default statistics about 30 s),
so every folder that uses the real default model shares this cache instead of making its own. Both are keyed by
content digests (see ``Settings.cache_dir``), so sharing changes no result; tests of the cache itself use their
own homes."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared cache root (``<root>/models``, ``<root>/stats``); filled by whichever test needs it first."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def model_cache_env(model_cache_dir: Path) -> Iterator[Path]:
    """``KGEDIT_CACHE_DIR`` set to the shared cache for one module, so ``Settings.load`` and the processes a test
    starts (CLI, server) use it too. Restored after, so the registry's own cache tests never see it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGEDIT_CACHE_DIR", str(model_cache_dir))
        yield model_cache_dir
