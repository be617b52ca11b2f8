"""The one settings object, built at the edge (CLI, app factory, ``KGEdit.open``) and passed down.

Sources, highest priority first: explicit keyword arguments, ``KGEDIT_*`` environment variables, an optional
``kgedit.toml`` (in the data directory, or the path in ``KGEDIT_CONFIG``), then defaults. Nothing reads it at
import time.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kg.errors import ConfigError

DEFAULT_HOME = Path.home() / ".kgedit"


class Settings(BaseSettings):
    """kgedit configuration. Environment variables use the prefix ``KGEDIT_`` (e.g. ``KGEDIT_HOME``)."""

    model_config = SettingsConfigDict(env_prefix="KGEDIT_", extra="ignore", frozen=True)

    home: Path = Field(default=DEFAULT_HOME, description="Data directory: graph store, model cache, ledger.")
    cache_dir: Path | None = Field(
        default=None,
        description="Where converted model weights and editor statistics are cached (default: home). Both are "
                    "derived data keyed by content digests, so several homes can share one cache.",
    )
    store_uri: str | None = Field(
        default=None,
        description="Graph store: a path (embedded LadybugDB, default <home>/kg), ':memory:', or bolt://host:port.",
    )
    store_user: str | None = None
    store_password: str | None = None
    store_database: str | None = None
    default_model: str = Field(default="smollm2-135m", description="Name of the model edits and answers use.")
    device: str = Field(default="auto", description="auto (cuda > mps > cpu), cpu, cuda, cuda:N or mps.")
    sync_model: bool = Field(default=True, description="Edit the model along with the KG (False: KG only).")
    edit_method: str = Field(default="rome", description="Default knowledge-editing method for model edits.")
    content_guard: bool = Field(default=True, description="Screen edits with the toxic-knowledge guard.")
    edit_lang: str = Field(default="en", description="Language of the prompts rendered for model edits.")
    dtype: str = Field(default="float32")
    model_memory_budget_mb: int = Field(default=8192, ge=256)
    max_request_chars: int = Field(default=20_000, ge=1)
    host: str = "127.0.0.1"
    port: int = Field(default=8321, ge=1, le=65535)

    @field_validator("home", "cache_dir", mode="before")
    @classmethod
    def _expand_home(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, (str, Path)) else value

    @property
    def resolved_cache_dir(self) -> Path:
        """The cache root: ``cache_dir`` when set, else ``home``."""
        return self.cache_dir or self.home

    @property
    def resolved_store_uri(self) -> str:
        """The store URI with the default (an embedded store under ``home``) filled in."""
        return self.store_uri or str(self.home / "kg")

    @classmethod
    def load(cls, **overrides: Any) -> "Settings":
        """Build settings from defaults < kgedit.toml < environment < ``overrides``.

        Raises:
            ConfigError: the TOML file is unreadable or a value is invalid.
        """
        home = Path(overrides.get("home") or os.environ.get("KGEDIT_HOME") or DEFAULT_HOME).expanduser()
        toml_path = Path(os.environ.get("KGEDIT_CONFIG") or home / "kgedit.toml")
        file_values = _read_toml(toml_path)
        env_values = {k: v for k, v in cls._env_values().items() if v is not None}
        merged = {**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
        try:
            return cls(**merged)
        except ValueError as e:
            raise ConfigError(f"invalid settings: {e}") from e

    @classmethod
    def _env_values(cls) -> dict[str, Any]:
        out = {}
        for name in cls.model_fields:
            value = os.environ.get(f"KGEDIT_{name.upper()}")
            if value is not None:
                out[name] = value
        return out


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
    return data.get("kgedit", data)
