"""The converted-weights cache: GGUF is dequantised once into ``<home>/models/<name>-<checksum>/`` (safetensors,
config, tokenizer), so later loads take a fraction of a second instead of 15-50 s.

Every cached file's digest is kept in ``kgedit-cache.json`` and checked on each load; a damaged cache is logged
and converted again. Conversion writes into a temporary folder that is renamed into place, so a crash never
leaves a half-written cache that looks complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from kg.errors import ModelLoadError, UnsupportedArchitecture
from models._fs import atomic_write_json, fsync_dir
from models.arch import facts_for_gguf
from models.digest import ALGORITHM, files_digest, text_digest
from models.gguf_header import read_architecture
from models.hub import offline_hub
from models.sources import GGUFSource

logger = logging.getLogger(__name__)

MANIFEST = "kgedit-cache.json"
SOURCE_INDEX = "source-digests.json"
FORMAT = 1


@dataclass(frozen=True)
class CachedWeights:
    """A verified cache folder and the digest of its weights."""

    folder: Path
    base_checksum: str
    converted: bool  # True when this call did the conversion


class WeightCache:
    """Converted-weights cache under ``root`` (normally ``<home>/models``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder_for(self, name: str, source_checksum: str) -> Path:
        return self.root / f"{name}-{source_checksum[:16]}"

    def ensure(self, name: str, source: GGUFSource) -> CachedWeights:
        """Return the verified cache folder for ``source``, converting (again) when absent or damaged.

        Raises:
            UnsupportedArchitecture: the GGUF architecture has no table in :mod:`models.arch`.
            ModelLoadError: the GGUF file cannot be read or converted.
        """
        checksum = self._source_checksum(source)
        folder = self.folder_for(name, checksum)
        manifest = self._verified(folder)
        if manifest is not None:
            return CachedWeights(folder, manifest["base_checksum"], converted=False)
        manifest = self._convert(name, source, folder, checksum)
        return CachedWeights(folder, manifest["base_checksum"], converted=True)

    def _source_checksum(self, source: GGUFSource) -> str:
        """Digest of the GGUF bytes, remembered by (path, size, mtime) so multi-GB sources are not re-read on
        every load. The cached weights themselves are always verified in full."""
        key = "|".join(f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in source.parts)
        index_path = self.root / SOURCE_INDEX
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
        if key not in index:
            index[key] = files_digest(source.parts)
            self.root.mkdir(parents=True, exist_ok=True)
            atomic_write_json(index_path, index)
        return index[key]

    def _verified(self, folder: Path) -> dict[str, Any] | None:
        if not folder.exists():
            return None
        try:
            manifest = _read_manifest(folder)
            bad = [f for f, digest in manifest["files"].items() if files_digest([folder / f]) != digest]
        except (OSError, ValueError, KeyError, TypeError) as e:
            logger.warning("model cache %s is unreadable (%s); converting again", folder, e)
            return None
        if bad:
            logger.warning("model cache %s is corrupt (checksum mismatch: %s); converting again", folder, bad)
            return None
        return manifest

    def _convert(self, name: str, source: GGUFSource, folder: Path, checksum: str) -> dict[str, Any]:
        # Check the architecture first: it fails in microseconds instead of after the dequantisation.
        facts_for_gguf(read_architecture(source.parts[0]))
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{folder.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        started = time.perf_counter()
        try:
            with tqdm(total=3, desc=f"converting {name}", unit="step", disable=None) as bar:
                model, tokenizer = _dequantise(name, _assemble(source, tmp), bar)
                _save(model, tokenizer, tmp, bar)
                manifest = _write_manifest(tmp, name, checksum, bar)
            _replace_dir(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        logger.info("converted %s into %s in %.1f s", name, folder, time.perf_counter() - started)
        return manifest


def _assemble(source: GGUFSource, tmp: Path) -> Path:
    """The GGUF file to convert: the file itself, or its chunks concatenated into ``tmp``."""
    if len(source.parts) == 1:
        return source.parts[0]
    whole = tmp / "assembled.gguf"
    with open(whole, "wb") as out:
        for part in tqdm(source.parts, desc="assembling GGUF", unit="part", disable=None):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 16 << 20)
    return whole


def _dequantise(name: str, gguf: Path, bar: tqdm) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    bar.set_postfix_str("dequantising")
    try:
        with offline_hub(f"converting {name!r} from {gguf}"):
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, dtype=torch.float32, local_files_only=True
            )
    except ModelLoadError as e:
        if "not supported" in str(e):  # transformers' own list of GGUF architectures is narrower than ours
            raise UnsupportedArchitecture(str(e)) from e
        raise
    bar.update()
    return model, tokenizer


def _save(model: Any, tokenizer: Any, folder: Path, bar: tqdm) -> None:
    bar.set_postfix_str("saving safetensors")
    # transformers 5.24 refuses to save a model loaded from GGUF ("quantized with gguf ... not serializable");
    # the weights are plain fp32 by now, so drop the quantizer bookkeeping before saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "assembled.gguf").unlink(missing_ok=True)
    bar.update()


def _write_manifest(folder: Path, name: str, source_checksum: str, bar: tqdm) -> dict[str, Any]:
    import transformers

    bar.set_postfix_str("checksumming")
    files = {p.name: files_digest([p]) for p in sorted(folder.iterdir()) if p.is_file()}
    for f in files:
        _fsync_file(folder / f)
    weights = {f: d for f, d in files.items() if f.endswith((".safetensors", ".bin"))}
    manifest = {
        "format": FORMAT,
        "name": name,
        "algorithm": ALGORITHM,
        "source_checksum": source_checksum,
        "base_checksum": text_digest(*(f"{f}={d}" for f, d in sorted(weights.items()))),
        "files": files,
        "transformers": transformers.__version__,
        "created": time.time(),
    }
    atomic_write_json(folder / MANIFEST, manifest)
    bar.update()
    return manifest


def _read_manifest(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("algorithm") != ALGORITHM:
        raise ValueError(f"cache format {manifest.get('format')}/{manifest.get('algorithm')} is not current")
    return manifest


def _replace_dir(tmp: Path, folder: Path) -> None:
    """Move ``tmp`` to ``folder``, replacing a damaged ``folder`` (renames, so readers never see a mix)."""
    trash = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, trash)
    os.replace(tmp, folder)
    fsync_dir(folder.parent)
    shutil.rmtree(trash, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
