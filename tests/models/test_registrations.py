"""Listing registered models without model code: the registrations file read on its own, as a fresh registry
would list it, without importing torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import InvalidInput
from kg.settings import Settings
from models.registrations import read_registrations, unloaded_infos
from models.sources import DEFAULT_MODEL_NAME


def test_lists_what_a_fresh_registry_lists(make_registry, tiny_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    make_registry(home).register("tiny-x", tiny_dir)
    expected = make_registry(home).list()  # a new registry over the same home: nothing loaded
    assert unloaded_infos(Settings(home=home, device="cpu")) == expected
    assert [m.name for m in expected] == sorted([DEFAULT_MODEL_NAME, "tiny-x"])


def test_no_file_means_the_default_model_only(tmp_path: Path) -> None:
    assert list(read_registrations(Settings(home=tmp_path))) == [DEFAULT_MODEL_NAME]


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "models" / "registry.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unreadable model registrations"):
        read_registrations(Settings(home=tmp_path))


def test_listing_imports_no_torch(tmp_path: Path) -> None:
    code = ("import sys; from kg.settings import Settings; from models.registrations import unloaded_infos; "
            f"infos = unloaded_infos(Settings(home={str(tmp_path)!r})); "
            "assert infos and 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2], env={**os.environ}, check=False)
    assert done.returncode == 0, done.stderr
