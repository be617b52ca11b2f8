"""Load a model and its tokenizer from local files, never from a model hub.

GGUF sources go through the converted-weights cache (:mod:`models.cache`); folders and safetensors files are
loaded as they are. The architecture is checked against :mod:`models.arch` before any weights are read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from kg.errors import ModelLoadError
from models.arch import ArchFacts, facts_for_gguf, facts_for_model_type
from models.cache import WeightCache
from models.digest import files_digest, text_digest
from models.gguf_header import read_architecture
from models.hub import offline_hub
from models.sources import GGUFSource, HFFolderSource, ModelSource, SafetensorsSource, resolve

_WEIGHT_SUFFIXES = (".safetensors", ".bin")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for use, with the facts the registry and ledger need about it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    facts: ArchFacts
    base_checksum: str  # digest of the unedited weights; the ledger's and the lineage's anchor
    converted: bool  # True when this load converted a GGUF file (slow path)


def load_model(
    name: str, source: ModelSource, *, cache: WeightCache, device: torch.device, dtype: torch.dtype
) -> LoadedModel:
    """Load ``source`` onto ``device`` as ``dtype``, converting GGUF once into ``cache``.

    Raises:
        ModelNotFound: a file or package of the source is missing.
        UnsupportedArchitecture: the model family has no architecture table.
        HubAccessBlocked: transformers tried to reach a model hub.
        ModelLoadError: the files are there but could not be loaded.
    """
    resolved = resolve(name, source)
    converted = False
    if isinstance(resolved, GGUFSource):
        cached = cache.ensure(name, resolved)
        folder, base, converted = cached.folder, cached.base_checksum, cached.converted
    elif isinstance(resolved, HFFolderSource):
        folder, base = resolved.path, weights_checksum(resolved.path)
    else:
        folder, base = resolved.config_dir, files_digest([resolved.path])
    facts = facts_for_model_type(_model_type(folder))
    with offline_hub(f"loading {name!r}"):
        tokenizer = _prepare_tokenizer(AutoTokenizer.from_pretrained(folder, local_files_only=True))
        if isinstance(resolved, SafetensorsSource):
            model = _from_safetensors(resolved, dtype)
        else:
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, local_files_only=True)
    return LoadedModel(model.to(device).eval(), tokenizer, facts, base, converted)


def check_architecture(name: str, source: ModelSource) -> ArchFacts:
    """Resolve ``source`` and return its family table without loading weights (cheap: reads headers only).

    Raises:
        ModelNotFound: files or package missing.
        UnsupportedArchitecture: no table for its architecture.
        ModelLoadError: its config or GGUF header cannot be read.
    """
    resolved = resolve(name, source)
    if isinstance(resolved, GGUFSource):
        return facts_for_gguf(read_architecture(resolved.parts[0]))
    folder = resolved.path if isinstance(resolved, HFFolderSource) else resolved.config_dir
    return facts_for_model_type(_model_type(folder))


def weights_checksum(folder: Path) -> str:
    """Digest of a folder's weight files (``*.safetensors``, ``*.bin``), by name and content."""
    files = sorted(p for p in folder.iterdir() if p.suffix in _WEIGHT_SUFFIXES)
    if not files:
        raise ModelLoadError(f"{folder}: no *.safetensors or *.bin weight files")
    return text_digest(*(f"{p.name}={files_digest([p])}" for p in files))


def _model_type(folder: Path) -> str:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))["model_type"]
    except (OSError, ValueError, KeyError) as e:
        raise ModelLoadError(f"{folder}/config.json: cannot read model_type: {e}") from e


def _from_safetensors(source: SafetensorsSource, dtype: torch.dtype) -> PreTrainedModel:
    from safetensors.torch import load_file

    config = AutoConfig.from_pretrained(source.config_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    missing, unexpected = model.load_state_dict(load_file(source.path), strict=False)
    # A tied LM head has no tensor of its own in the file; anything else missing is an error.
    is_tied = getattr(config, "tie_word_embeddings", False)
    tied = set(getattr(model, "_tied_weights_keys", None) or ()) if is_tied else set()
    untied_missing = [k for k in missing if k not in tied]
    if untied_missing or unexpected:
        raise ModelLoadError(f"{source.path}: weights do not match the config "
                             f"(missing {untied_missing[:5]}, unexpected {unexpected[:5]})")
    model.tie_weights()
    return model


def _prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    # Batched generation pads on the left so every row's next token sits at the last position.
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
