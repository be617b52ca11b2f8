"""Which models are registered, read and written without torch: ``<home>/models/registry.json`` plus the
built-in default. Listing models therefore needs no model code (importing torch alone takes seconds)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InvalidInput, KGEditError
from kg.settings import Settings
from models._fs import atomic_write_json
from models.sources import DEFAULT_MODEL_NAME, DEFAULT_SOURCE, ModelSource, describe, from_json, to_json


@dataclass(frozen=True)
class ModelInfo:
    """One registered model, as :meth:`models.ModelRegistry.list` reports it."""

    name: str
    source: str
    loaded: bool
    param_bytes: int | None
    state_id: str | None


def registrations_path(settings: Settings) -> Path:
    return settings.home / "models" / "registry.json"


def read_registrations(settings: Settings) -> dict[str, ModelSource]:
    """Every registered model's source, the built-in default first.

    Raises:
        InvalidInput: the registrations file exists but cannot be read.
    """
    path = registrations_path(settings)
    if not path.exists():
        return {DEFAULT_MODEL_NAME: DEFAULT_SOURCE}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stored = {name: from_json(src) for name, src in data["models"].items()}
    except (OSError, ValueError, KeyError, TypeError, KGEditError) as e:
        raise InvalidInput(f"{path}: unreadable model registrations: {e}") from e
    return {DEFAULT_MODEL_NAME: DEFAULT_SOURCE, **stored}


def write_registrations(settings: Settings, sources: dict[str, ModelSource]) -> None:
    """Persist every registration but the built-in default (atomically: a crash keeps the old file)."""
    models = {n: to_json(s) for n, s in sources.items() if n != DEFAULT_MODEL_NAME}
    atomic_write_json(registrations_path(settings), {"format": 1, "models": models})


def unloaded_infos(settings: Settings) -> list[ModelInfo]:
    """What a fresh registry's ``list()`` reports, without creating one: every model, none loaded."""
    return [ModelInfo(name, describe(source), False, None, None)
            for name, source in sorted(read_registrations(settings).items())]
