"""Text generation with pluggable decoding strategies.

A strategy turns a left-padded batch into new token ids. Built in: :class:`Greedy`, :class:`Sampling`
(temperature, top-k, top-p, seeded with a private ``torch.Generator`` so concurrent calls do not share random
state), :class:`Beam` (transformers' beam search) and :class:`Stepwise`, which hands each step's logits (and
hidden states, if asked) to a callable: DeCo/DoLa-style decoders plug in there, or implement the
:class:`DecodingStrategy` protocol themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from kg.errors import InvalidInput


@dataclass(frozen=True)
class DecodeRequest:
    """A tokenised, left-padded batch and the limits a strategy must honour."""

    model: nn.Module
    input_ids: torch.Tensor  # [batch, prompt_len]
    attention_mask: torch.Tensor  # [batch, prompt_len], 0 on the left padding
    max_new_tokens: int
    eos_token_ids: tuple[int, ...]
    pad_token_id: int


@runtime_checkable
class DecodingStrategy(Protocol):
    """Returns the new tokens only, [batch, n <= max_new_tokens], padded with ``pad_token_id`` after EOS."""

    def decode(self, request: DecodeRequest) -> torch.Tensor: ...


@dataclass(frozen=True)
class StepState:
    """What a :class:`Stepwise` callable sees at each step."""

    step: int
    logits: torch.Tensor  # [batch, vocab] float32, next-token logits
    outputs: Any  # the model output of this step (hidden_states set when requested)
    generated: torch.Tensor  # [batch, step] tokens chosen so far
    request: DecodeRequest


@dataclass(frozen=True)
class Greedy:
    """Pick the most likely token at every step."""

    def decode(self, request: DecodeRequest) -> torch.Tensor:
        return step_decode(request, lambda s: s.logits.argmax(dim=-1))


@dataclass(frozen=True)
class Sampling:
    """Sample from the temperature-scaled distribution, optionally cut to top-k and nucleus (top-p)."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.temperature <= 0 or not 0 < self.top_p <= 1 or self.top_k < 0:
            raise InvalidInput("sampling needs temperature > 0, 0 < top_p <= 1 and top_k >= 0")

    def decode(self, request: DecodeRequest) -> torch.Tensor:
        gen = torch.Generator(device=request.input_ids.device)
        gen.manual_seed(self.seed if self.seed is not None else int(torch.randint(2**62, ()).item()))
        return step_decode(request, lambda s: self._pick(s.logits, gen))

    def _pick(self, logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        logits = logits / self.temperature
        if self.top_k:
            kth = torch.topk(logits, min(self.top_k, logits.shape[-1])).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if self.top_p < 1:
            sorted_logits, order = logits.sort(dim=-1, descending=True)
            cum = sorted_logits.softmax(-1).cumsum(-1)
            drop = cum - sorted_logits.softmax(-1) >= self.top_p  # keep the smallest prefix reaching top_p
            logits = logits.scatter(-1, order, sorted_logits.masked_fill(drop, float("-inf")))
        return torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)


@dataclass(frozen=True)
class Beam:
    """Beam search through transformers' ``generate``."""

    num_beams: int = 4
    length_penalty: float = 1.0

    def decode(self, request: DecodeRequest) -> torch.Tensor:
        out = request.model.generate(
            input_ids=request.input_ids, attention_mask=request.attention_mask,
            max_new_tokens=request.max_new_tokens, num_beams=self.num_beams, do_sample=False,
            length_penalty=self.length_penalty, early_stopping=True,
            eos_token_id=list(request.eos_token_ids), pad_token_id=request.pad_token_id,
        )
        return out[:, request.input_ids.shape[1] :]


@dataclass(frozen=True)
class Stepwise:
    """Token-by-token decoding where ``choose(state) -> [batch] token ids`` decides each step."""

    choose: Callable[[StepState], torch.Tensor]
    output_hidden_states: bool = False

    def decode(self, request: DecodeRequest) -> torch.Tensor:
        return step_decode(request, self.choose, output_hidden_states=self.output_hidden_states)


def step_decode(
    request: DecodeRequest, choose: Callable[[StepState], torch.Tensor], *, output_hidden_states: bool = False
) -> torch.Tensor:
    """The KV-cached decoding loop shared by the token-by-token strategies (see :class:`DecodingStrategy`)."""
    model, ids, mask = request.model, request.input_ids, request.attention_mask
    positions = (mask.long().cumsum(-1) - 1).clamp(min=0)  # left padding: real tokens start at position 0
    eos = torch.tensor(request.eos_token_ids, device=ids.device)
    done = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
    past, chosen = None, []
    for step in range(request.max_new_tokens):
        # transformers >= 5.24 names the KV cache `cache` (`past_key_values` is deprecated there).
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=past,
                    use_cache=True, logits_to_keep=1, output_hidden_states=output_hidden_states)
        generated = torch.stack(chosen, 1) if chosen else ids.new_empty(ids.shape[0], 0)
        state = StepState(step, out.logits[:, -1, :].float(), out, generated, request)
        token = torch.where(done, request.pad_token_id, choose(state).to(ids.device))
        chosen.append(token)
        done |= torch.isin(token, eos)
        if done.all():
            break
        past, ids = out.cache, token[:, None]
        mask = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=1)
        positions = positions[:, -1:] + 1
    return torch.stack(chosen, 1) if chosen else ids.new_empty(ids.shape[0], 0)


@dataclass(frozen=True)
class _Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor


@dataclass
class TextGenerator:
    """Encode prompts, decode with a strategy, turn tokens back into text, for one model and tokenizer.

    Fast tokenizers are not safe to call from several threads at once (padding settings live in shared Rust
    state), so tokenizer calls go through ``tokenizer_lock``; the model forward passes run concurrently.
    """

    model: nn.Module
    tokenizer: Any
    tokenizer_lock: threading.Lock = field(default_factory=threading.Lock)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        decoding: DecodingStrategy | None = None,
        chat: bool = True,
        batch_size: int = 16,
    ) -> list[str]:
        """Generate a continuation for each prompt; returns only the new text of each.

        ``chat=True`` wraps each prompt as a user turn of the model's chat template (when it has one);
        ``chat=False`` feeds the raw prompt, which editing and probing need.

        Raises:
            InvalidInput: no prompts, a non-string prompt, or max_new_tokens / batch_size < 1.
        """
        _validate(prompts, max_new_tokens, batch_size)
        strategy = decoding or Greedy()
        texts: list[str] = []
        for start in range(0, len(prompts), batch_size):
            batch = self._encode(prompts[start : start + batch_size], chat)
            with torch.no_grad():
                new = strategy.decode(self._request(batch, max_new_tokens))
            with self.tokenizer_lock:
                texts += self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return texts

    def _encode(self, prompts: Sequence[str], chat: bool) -> _Batch:
        tok = self.tokenizer
        with self.tokenizer_lock:
            if chat and getattr(tok, "chat_template", None):
                texts = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                 add_generation_prompt=True) for p in prompts]
                enc = tok(texts, add_special_tokens=False, padding=True, padding_side="left", return_tensors="pt")
            else:
                enc = tok(list(prompts), padding=True, padding_side="left", return_tensors="pt")
        device = next(self.model.parameters()).device
        return _Batch(enc["input_ids"].to(device), enc["attention_mask"].to(device))

    def _request(self, batch: _Batch, max_new_tokens: int) -> DecodeRequest:
        eos = _eos_ids(self.model, self.tokenizer)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos[0]
        return DecodeRequest(self.model, batch.input_ids, batch.attention_mask, max_new_tokens, eos, pad)


def _eos_ids(model: nn.Module, tokenizer: Any) -> tuple[int, ...]:
    ids: list[int] = []
    config_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (tokenizer.eos_token_id, config_eos):
        ids += value if isinstance(value, list) else [value] if value is not None else []
    if not ids:
        raise InvalidInput("the tokenizer has no end-of-sequence token")
    return tuple(dict.fromkeys(ids))


def _validate(prompts: Sequence[str], max_new_tokens: int, batch_size: int) -> None:
    if isinstance(prompts, str) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise InvalidInput("prompts must be a non-empty list of strings")
    if max_new_tokens < 1 or batch_size < 1:
        raise InvalidInput("max_new_tokens and batch_size must be >= 1")
