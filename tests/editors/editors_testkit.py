"""Builders for editor tests: a tiny random Llama (hidden 32, 2 layers) with a byte-level tokenizer, saved as a
Hugging Face folder the registry can load, and helpers to snapshot and compare a model's state."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

TINY = "tiny-editors"
#: Paragraphs behind the test statistics (the default is 500; this keeps a 5-layer pass to seconds).
TEST_STATS_SAMPLES = 48
#: Layers whose statistics the session computes once (ROME's default layer and MEMIT/AlphaEdit's window).
DEFAULT_STATS_LAYERS = (4, 5, 6, 7, 8)
#: Prompts unrelated to the facts the tests edit; greedy outputs must come back exactly after a revert.
UNRELATED = [
    "The capital of Japan is", "The largest planet in the solar system is", "Water is made of hydrogen and",
    "The author of Hamlet is", "The chemical symbol for gold is", "The first president of the United States was",
    "Berlin is the capital of", "The speed of light is", "The tallest mountain in the world is",
    "The currency of the United Kingdom is", "Photosynthesis converts sunlight into", "The Great Wall is in",
    "A triangle has three", "The freezing point of water is", "The Mona Lisa was painted by",
    "The longest river in Africa is", "Python is a programming", "The opposite of hot is",
    "My favourite colour is", "Once upon a time there was",
]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _byte_vocab() -> list[str]:
    """GPT-2's byte-to-unicode alphabet: one printable character per byte, in byte order."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs))
    return [chr(table[b]) for b in range(256)]


def make_tokenizer() -> PreTrainedTokenizerFast:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {tok: i for i, tok in enumerate(_byte_vocab() + SPECIALS)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>")
    fast.add_special_tokens({"additional_special_tokens": SPECIALS})
    return fast


def make_tiny_model(seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=259, max_position_embeddings=256,
                         tie_word_embeddings=False, bos_token_id=257, eos_token_id=258, pad_token_id=256)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # larger weights than the default init, so outputs react visibly to edits
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.3)
    return model


def write_tiny(folder: Path) -> Path:
    make_tiny_model().save_pretrained(folder)
    make_tokenizer().save_pretrained(folder)
    return folder


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """Exact copies of every parameter and buffer."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def max_abs_diff(model: nn.Module, saved: dict[str, torch.Tensor]) -> float:
    """Largest absolute difference between the model's tensors and ``saved`` (0.0 = bit-identical values)."""
    worst = 0.0
    for name, value in model.state_dict().items():
        if not torch.equal(value, saved[name]):
            worst = max(worst, float((value.double() - saved[name].double()).abs().max()))
    return worst


def hook_counts(model: nn.Module) -> int:
    """Forward (pre-)hooks registered on any module."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


FRANCE = dict(prompt="The capital of France is", subject="France", target_new=" Rome", target_true=" Paris")


def params_state(model: nn.Module) -> list[tuple[bool, bool]]:
    """(requires_grad, has .grad) per parameter: editors must leave both as they were."""
    return [(p.requires_grad, p.grad is not None) for p in model.parameters()]


def edit_and_revert(handle, method, requests, base: dict, unrelated: list[str]) -> dict:
    """Compute an edit with ``method``, apply it, read the greedy answers, revert it; return what happened.

    ``base`` holds the unedited ``state`` (tensors), ``state_id`` and greedy ``unrelated`` outputs.
    """
    hooks, grads = hook_counts(handle.model), params_state(handle.model)
    grad_mode = torch.is_grad_enabled()
    record = method.apply(handle, requests)
    untouched = max_abs_diff(handle.model, base["state"]) == 0.0 and handle.state_id == base["state_id"]
    leftovers = (hook_counts(handle.model) != hooks, params_state(handle.model) != grads,
                 torch.is_grad_enabled() != grad_mode)
    handle.ledger.apply(record)
    answers = handle.generate([r.prompt for r in requests], chat=False, max_new_tokens=4)
    handle.ledger.revert(record.id)
    return {
        "record": record, "answers": answers, "untouched_by_apply": untouched, "leftovers": leftovers,
        "revert_diff": max_abs_diff(handle.model, base["state"]), "state_id": handle.state_id,
        "unrelated": handle.generate(unrelated, chat=False, max_new_tokens=8),
    }


def bad_requests() -> dict[str, object]:
    """Requests every method must refuse with InvalidInput before touching a tensor (validators bypassed with
    ``model_construct`` where EditRequest itself would already refuse)."""
    from editors import EditRequest

    ok = dict(prompt="The capital of France is", subject="France")
    return {
        "no requests": [],
        "not a request": [dict(ok, target_new=" Rome")],
        "subject not in prompt": [EditRequest.model_construct(**dict(ok, subject="Germany"), target_new=" Rome")],
        "empty target": [EditRequest.model_construct(**ok, target_new="")],
        "blank target": [EditRequest.model_construct(**ok, target_new="   ")],
        "prompt longer than the context": [EditRequest(prompt="word " * 9000 + "about France is", subject="France",
                                                       target_new=" Rome")],
    }


def refuses_without_change(handle, method, requests) -> bool:
    """True when ``method.apply`` raises InvalidInput and leaves tensors, ledger, hooks and grads as they were."""
    import pytest

    from kg.errors import InvalidInput
    from models.digest import state_digest

    digest, state_id = state_digest(handle.model.state_dict()), handle.state_id
    hooks, grads = hook_counts(handle.model), params_state(handle.model)
    with pytest.raises(InvalidInput):
        method.apply(handle, requests)
    return (state_digest(handle.model.state_dict()) == digest and handle.state_id == state_id
            and hook_counts(handle.model) == hooks and params_state(handle.model) == grads)
