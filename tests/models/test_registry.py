"""The registry on tiny models: sources, the converted-weights cache, typed errors, memory and unloading."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import torch
from models_testkit import TINY_NAME, make_tiny_model, write_tiny_gguf

from kg.errors import (
    ConfigError, Conflict, HubAccessBlocked, InvalidInput, ModelLoadError, ModelNotFound, ModelUnloaded,
    UnsupportedArchitecture,
)
from models import DenseRecord, ModelHandle, ModelRegistry
from models.digest import state_digest
from models.sources import PackagedSource, SafetensorsSource


def _logits(handle: ModelHandle) -> torch.Tensor:
    with handle.reading() as model, torch.no_grad():
        return model(torch.tensor([[5, 6, 7]])).logits


class TestSources:
    """Every kind of source loads, and loads the same weights."""

    def test_hf_folder(self, tiny: ModelHandle, tiny_dir: Path) -> None:
        assert tiny.arch.family == "llama" and tiny.arch.num_layers == 2
        assert tiny.state_id == tiny.ledger.lineage()[0]
        reference = make_tiny_model()
        with torch.no_grad():
            assert torch.equal(_logits(tiny), reference(torch.tensor([[5, 6, 7]])).logits)

    def test_get_returns_the_loaded_handle(self, make_registry, tiny_dir: Path) -> None:
        registry = make_registry()
        registry.register(TINY_NAME, tiny_dir)
        assert registry.get(TINY_NAME) is registry.get(TINY_NAME)

    def test_safetensors_file(self, make_registry, tiny: ModelHandle, tiny_dir: Path) -> None:
        registry = make_registry()
        registry.register("tiny-st", SafetensorsSource(tiny_dir / "model.safetensors", tiny_dir))
        assert torch.equal(_logits(registry.get("tiny-st")), _logits(tiny))

    def test_gguf_converts_once_then_loads_from_the_cache(self, make_registry, tiny_gguf: Path, tmp_path: Path,
                                                          monkeypatch) -> None:
        first = make_registry(tmp_path / "h")
        first.register("g", tiny_gguf)
        logits = _logits(first.get("g"))
        assert len(list((tmp_path / "h" / "models").glob("g-*/model.safetensors"))) == 1

        def no_conversion(*_a, **_k):
            raise AssertionError("converted again")

        monkeypatch.setattr("models.cache._dequantise", no_conversion)
        again = make_registry(tmp_path / "h").get("g")  # registration persisted; weights from the cache
        assert torch.equal(_logits(again), logits)

    def test_corrupt_cache_is_converted_again(self, make_registry, tiny_gguf: Path, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
        registry = make_registry(tmp_path / "h")
        registry.register("g", tiny_gguf)
        logits = _logits(registry.get("g"))
        weights = next((tmp_path / "h" / "models").glob("g-*/model.safetensors"))
        data = bytearray(weights.read_bytes())
        data[-5] ^= 0x55
        weights.write_bytes(bytes(data))
        with caplog.at_level(logging.WARNING, logger="models.cache"):
            handle = make_registry(tmp_path / "h").get("g")
        assert "corrupt" in caplog.text and "converting again" in caplog.text
        assert torch.equal(_logits(handle), logits)
        assert weights.read_bytes() != bytes(data)  # repaired on disk


class TestErrors:
    """Failures a caller can act on are typed and say what to do."""

    def test_unknown_model_names_the_known_ones(self, make_registry, tiny_dir: Path) -> None:
        registry = make_registry()
        registry.register(TINY_NAME, tiny_dir)
        with pytest.raises(ModelNotFound, match=r"unknown model 'nope'; known models: smollm2-135m, tiny"):
            registry.get("nope")

    def test_missing_file(self, make_registry, tmp_path: Path) -> None:
        with pytest.raises(ModelNotFound, match="files are missing"):
            make_registry().register("gone", tmp_path / "gone.gguf")

    def test_missing_package_says_how_to_install(self, make_registry) -> None:
        source = PackagedSource("kgedit_no_such_package", "m.gguf", "install it with: pip install no-such-package")
        with pytest.raises(ModelNotFound, match="not installed; install it with: pip install no-such-package"):
            make_registry().register("pkg", source)

    def test_gguf_of_an_unsupported_architecture(self, make_registry, tmp_path: Path) -> None:
        gguf = write_tiny_gguf(tmp_path / "mamba.gguf", arch="mamba")
        with pytest.raises(UnsupportedArchitecture, match="unsupported GGUF architecture 'mamba'; supported: gemma3"):
            make_registry().register("m", gguf)

    def test_not_a_gguf_file(self, make_registry, tmp_path: Path) -> None:
        (tmp_path / "junk.gguf").write_bytes(b"not gguf at all")
        with pytest.raises(ModelLoadError, match="not a GGUF file"):
            make_registry().register("junk", tmp_path / "junk.gguf")

    def test_hub_access_is_blocked(self) -> None:
        from transformers import AutoConfig

        from models.hub import offline_hub

        with pytest.raises(HubAccessBlocked, match="local files only"):
            with offline_hub("loading a hub id"):
                AutoConfig.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct", local_files_only=True)

    @pytest.mark.parametrize("name", ["Bad Name", "", "../escape", "x" * 65])
    def test_bad_names(self, make_registry, tiny_dir: Path, name: str) -> None:
        with pytest.raises(InvalidInput):
            make_registry().register(name, tiny_dir)

    def test_the_default_name_is_reserved(self, make_registry, tiny_dir: Path) -> None:
        with pytest.raises(Conflict, match="built-in default"):
            make_registry().register("smollm2-135m", tiny_dir)

    @pytest.mark.parametrize("settings, match", [({"device": "cuda:0"}, "CUDA"), ({"dtype": "int3"}, "unknown dtype")])
    def test_bad_device_or_dtype(self, make_registry, settings: dict, match: str) -> None:
        if settings.get("device") and torch.cuda.is_available():
            settings = {"device": "mps"}
            match = "MPS"
        with pytest.raises(ConfigError, match=match):
            make_registry(**settings)


class TestLifecycle:
    """Listing, memory accounting, unloading, LRU eviction, concurrent first loads, dtype, threads."""

    def test_list_and_memory(self, make_registry, tiny_dir: Path) -> None:
        registry = make_registry()
        registry.register(TINY_NAME, tiny_dir)
        handle = registry.get(TINY_NAME)
        infos = {i.name: i for i in registry.list()}
        assert set(infos) == {"smollm2-135m", TINY_NAME} and not infos["smollm2-135m"].loaded
        params = sum(p.numel() * 4 for p in handle.model.parameters())
        assert infos[TINY_NAME].param_bytes == handle.param_bytes >= params
        assert registry.memory().models == {TINY_NAME: handle.param_bytes}

    def test_unloaded_handles_refuse_work(self, make_registry, tiny_dir: Path) -> None:
        registry = make_registry()
        registry.register(TINY_NAME, tiny_dir)
        handle = registry.get(TINY_NAME)
        record = DenseRecord.from_values(handle.model, {"model.norm.weight": torch.zeros(32)})
        assert registry.unload(TINY_NAME) and not registry.unload(TINY_NAME)
        assert registry.memory().used_bytes == 0
        for use in (lambda: handle.model, lambda: handle.generate(["a"]), lambda: handle.ledger.apply(record)):
            with pytest.raises(ModelUnloaded):
                use()
        assert registry.get(TINY_NAME) is not handle

    def test_least_recently_used_is_evicted_over_budget(self, make_registry, tiny_dir: Path, monkeypatch) -> None:
        monkeypatch.setattr(ModelHandle, "param_bytes", property(lambda self: 0 if self.closed else 200 << 20))
        registry = make_registry(model_memory_budget_mb=256)
        for name in ("a", "b"):
            registry.register(name, tiny_dir)
        first = registry.get("a")
        registry.get("b")
        assert first.closed and [i.name for i in registry.list() if i.loaded] == ["b"]

    def test_models_in_use_are_not_evicted(self, make_registry, tiny_dir: Path, monkeypatch) -> None:
        monkeypatch.setattr(ModelHandle, "param_bytes", property(lambda self: 0 if self.closed else 200 << 20))
        registry = make_registry(model_memory_budget_mb=256)
        for name in ("a", "b"):
            registry.register(name, tiny_dir)
        first = registry.get("a")
        with first.reading():
            registry.get("b")
        assert not first.closed and registry.memory().used_bytes == 400 << 20

    def test_concurrent_first_gets_load_once(self, make_registry, tiny_dir: Path, monkeypatch) -> None:
        registry = make_registry()
        registry.register(TINY_NAME, tiny_dir)
        loads, real_load = [], registry._load

        def slow_load(name: str) -> ModelHandle:
            loads.append(name)
            time.sleep(0.2)
            return real_load(name)

        monkeypatch.setattr(registry, "_load", slow_load)
        handles: list[ModelHandle] = []
        threads = [threading.Thread(target=lambda: handles.append(registry.get(TINY_NAME))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert loads == [TINY_NAME] and len({id(h) for h in handles}) == 1

    def test_ledger_is_replayed_by_a_new_registry(self, make_registry, tiny_dir: Path, tmp_path: Path) -> None:
        registry = make_registry(tmp_path / "h")
        registry.register(TINY_NAME, tiny_dir)
        handle = registry.get(TINY_NAME)
        handle.ledger.apply(DenseRecord.from_delta(handle.model, {"lm_head.weight": torch.randn(259, 32)}))
        again = make_registry(tmp_path / "h").get(TINY_NAME)
        assert again.state_id == handle.state_id
        assert state_digest(again.model.state_dict()) == state_digest(handle.model.state_dict())

    def test_dtype_is_part_of_the_base(self, make_registry, tiny_dir: Path, tmp_path: Path) -> None:
        fp32 = make_registry(tmp_path / "a")
        bf16 = make_registry(tmp_path / "b", dtype="bfloat16")
        for registry in (fp32, bf16):
            registry.register(TINY_NAME, tiny_dir)
        half = bf16.get(TINY_NAME)
        assert next(half.model.parameters()).dtype == torch.bfloat16
        assert half.ledger.base_checksum != fp32.get(TINY_NAME).ledger.base_checksum

    def test_threads_are_configurable(self, tmp_path: Path) -> None:
        from kg.settings import Settings

        before = torch.get_num_threads()
        try:
            ModelRegistry(Settings(home=tmp_path, device="cpu"), num_threads=2)
            assert torch.get_num_threads() == 2
            ModelRegistry(Settings(home=tmp_path, device="cpu"))  # auto: one thread on <= 4 cores
            assert torch.get_num_threads() == (1 if (__import__("os").cpu_count() or 1) <= 4 else 2)
        finally:
            torch.set_num_threads(before)
