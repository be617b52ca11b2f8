"""Architecture facts as data: one table per model family, and a small view that resolves them on a model.

Editors never sniff model names; they ask ``handle.arch.mlp_out(layer)``. Paths use ``{i}`` for the layer index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from kg.errors import UnsupportedArchitecture


@dataclass(frozen=True)
class ArchFacts:
    """Where the parts of one model family live (module paths from the causal-LM root)."""

    family: str
    model_types: tuple[str, ...]  # config.model_type values of this family
    gguf_names: tuple[str, ...]  # GGUF general.architecture values transformers maps to it
    layers: str  # the ModuleList of transformer blocks
    attn_out: str  # attention output projection
    mlp: str
    mlp_in: str  # MLP input (up) projection
    mlp_out: str  # MLP output (down) projection: the key->value memory ROME/MEMIT edit
    conv1d: bool  # GPT-2 Conv1D stores weights as [in, out], transposed against nn.Linear's [out, in]
    embed: str
    final_norm: str
    lm_head: str


LLAMA = ArchFacts(
    family="llama",
    model_types=("llama", "mistral"),
    gguf_names=("llama", "mistral"),
    layers="model.layers",
    attn_out="model.layers.{i}.self_attn.o_proj",
    mlp="model.layers.{i}.mlp",
    mlp_in="model.layers.{i}.mlp.up_proj",
    mlp_out="model.layers.{i}.mlp.down_proj",
    conv1d=False,
    embed="model.embed_tokens",
    final_norm="model.norm",
    lm_head="lm_head",
)
QWEN2 = replace(LLAMA, family="qwen2", model_types=("qwen2",), gguf_names=("qwen2",))
GEMMA3 = replace(LLAMA, family="gemma3", model_types=("gemma3_text",), gguf_names=("gemma3",))
GPT2 = ArchFacts(
    family="gpt2",
    model_types=("gpt2",),
    gguf_names=("gpt2",),
    layers="transformer.h",
    attn_out="transformer.h.{i}.attn.c_proj",
    mlp="transformer.h.{i}.mlp",
    mlp_in="transformer.h.{i}.mlp.c_fc",
    mlp_out="transformer.h.{i}.mlp.c_proj",
    conv1d=True,
    embed="transformer.wte",
    final_norm="transformer.ln_f",
    lm_head="lm_head",
)
FAMILIES: dict[str, ArchFacts] = {f.family: f for f in (LLAMA, QWEN2, GEMMA3, GPT2)}


def facts_for_model_type(model_type: str) -> ArchFacts:
    """The family table for a transformers ``config.model_type``.

    Raises:
        UnsupportedArchitecture: no table covers it.
    """
    return _lookup(model_type, "model_type", lambda f: f.model_types)


def facts_for_gguf(architecture: str) -> ArchFacts:
    """The family table for a GGUF ``general.architecture`` value.

    Raises:
        UnsupportedArchitecture: no table covers it.
    """
    return _lookup(architecture, "GGUF architecture", lambda f: f.gguf_names)


def _lookup(value: str, what: str, names) -> ArchFacts:
    for facts in FAMILIES.values():
        if value in names(facts):
            return facts
    known = sorted(n for f in FAMILIES.values() for n in names(f))
    raise UnsupportedArchitecture(f"unsupported {what} {value!r}; supported: {', '.join(known)}")


class Arch:
    """An :class:`ArchFacts` table bound to one model: paths, modules and weight layout by layer index.

    >>> from transformers import LlamaConfig, LlamaForCausalLM
    >>> cfg = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
    ...                   num_key_value_heads=2, vocab_size=64)
    >>> arch = Arch(LLAMA, LlamaForCausalLM(cfg))
    >>> arch.num_layers, arch.mlp_out_path(1), tuple(arch.mlp_out(1).weight.shape)
    (2, 'model.layers.1.mlp.down_proj', (32, 64))
    """

    def __init__(self, facts: ArchFacts, model: nn.Module) -> None:
        self.facts = facts
        self._model = model

    @property
    def family(self) -> str:
        return self.facts.family

    @property
    def num_layers(self) -> int:
        return len(self._model.get_submodule(self.facts.layers))

    def layer_path(self, layer: int) -> str:
        return f"{self.facts.layers}.{self._check(layer)}"

    def mlp_out_path(self, layer: int) -> str:
        return self.facts.mlp_out.format(i=self._check(layer))

    def mlp_in_path(self, layer: int) -> str:
        return self.facts.mlp_in.format(i=self._check(layer))

    def attn_out_path(self, layer: int) -> str:
        return self.facts.attn_out.format(i=self._check(layer))

    def mlp_path(self, layer: int) -> str:
        return self.facts.mlp.format(i=self._check(layer))

    def layer(self, layer: int) -> nn.Module:
        return self._model.get_submodule(self.layer_path(layer))

    def mlp(self, layer: int) -> nn.Module:
        return self._model.get_submodule(self.mlp_path(layer))

    def mlp_in(self, layer: int) -> nn.Module:
        return self._model.get_submodule(self.mlp_in_path(layer))

    def mlp_out(self, layer: int) -> nn.Module:
        return self._model.get_submodule(self.mlp_out_path(layer))

    def attn_out(self, layer: int) -> nn.Module:
        return self._model.get_submodule(self.attn_out_path(layer))

    def embed(self) -> nn.Module:
        return self._model.get_submodule(self.facts.embed)

    def final_norm(self) -> nn.Module:
        return self._model.get_submodule(self.facts.final_norm)

    def lm_head(self) -> nn.Module:
        return self._model.get_submodule(self.facts.lm_head)

    def as_out_in(self, weight: torch.Tensor) -> torch.Tensor:
        """View a projection weight as [out, in] whatever the family's storage (a view: no copy)."""
        return weight.T if self.facts.conv1d else weight

    def _check(self, layer: int) -> int:
        n = self.num_layers
        if not -n <= layer < n:
            raise IndexError(f"layer {layer} out of range for a {n}-layer {self.family} model")
        return layer % n
