"""Architecture tables resolve the same roles on every supported family."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from transformers import Gemma3TextConfig, Gemma3ForCausalLM, GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM
from transformers.pytorch_utils import Conv1D

from models_testkit import make_tiny_model

from kg.errors import UnsupportedArchitecture
from models.arch import FAMILIES, Arch, facts_for_gguf, facts_for_model_type

SMALL = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
             vocab_size=64)


def _model(family: str) -> nn.Module:
    if family == "gpt2":
        return GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=64, n_positions=64))
    if family == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**SMALL))
    if family == "gemma3":
        return Gemma3ForCausalLM(Gemma3TextConfig(**SMALL, head_dim=8))
    return make_tiny_model(vocab_size=64, pad_token_id=0, bos_token_id=1, eos_token_id=2)


@pytest.mark.parametrize("family", sorted(FAMILIES))
class TestFamilies:
    """Every table names real modules of a model of its family."""

    def test_lookup_by_model_type(self, family: str) -> None:
        model = _model(family)
        assert facts_for_model_type(model.config.model_type).family == family

    def test_paths_resolve(self, family: str) -> None:
        model = _model(family)
        arch = Arch(facts_for_model_type(model.config.model_type), model)
        assert arch.num_layers == 2
        for layer in (0, 1, -1):
            assert isinstance(arch.mlp_out(layer), (nn.Linear, Conv1D))
            assert isinstance(arch.mlp_in(layer), (nn.Linear, Conv1D))
            assert isinstance(arch.attn_out(layer), (nn.Linear, Conv1D))
        assert arch.mlp_out_path(-1) == arch.mlp_out_path(1)
        assert arch.lm_head().weight.shape[0] == 64
        assert arch.embed().weight.shape == (64, 32)
        assert isinstance(arch.final_norm(), nn.Module)

    def test_mlp_out_weight_as_out_in(self, family: str) -> None:
        model = _model(family)
        arch = Arch(facts_for_model_type(model.config.model_type), model)
        weight = arch.as_out_in(arch.mlp_out(0).weight)
        d_ff = 4 * 32 if family == "gpt2" else 64
        assert tuple(weight.shape) == (32, d_ff)  # [d_model, d_ff] whatever the storage
        assert isinstance(arch.mlp_out(0), Conv1D) == arch.facts.conv1d


def test_layer_out_of_range() -> None:
    arch = Arch(FAMILIES["llama"], make_tiny_model())
    with pytest.raises(IndexError, match="out of range"):
        arch.mlp_out(2)


def test_unknown_model_type_is_typed() -> None:
    with pytest.raises(UnsupportedArchitecture, match="unsupported model_type 'bert'.*llama"):
        facts_for_model_type("bert")


def test_gguf_names() -> None:
    assert facts_for_gguf("llama").family == "llama"
    assert facts_for_gguf("qwen2").family == "qwen2"
    with pytest.raises(UnsupportedArchitecture):
        facts_for_gguf("mamba")


def test_as_out_in_is_a_view() -> None:
    arch = Arch(FAMILIES["gpt2"], _model("gpt2"))
    weight = arch.mlp_out(0).weight
    assert arch.as_out_in(weight).data_ptr() == weight.data_ptr()
    assert torch.equal(arch.as_out_in(weight), weight.T)


def test_docstring_examples() -> None:
    import doctest

    import models.arch

    assert doctest.testmod(models.arch).failed == 0
