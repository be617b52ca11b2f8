"""Tokenising edit prompts: where the subject's last token is, and batches built around it.

Prompts are tokenised the way ``handle.generate(..., chat=False)`` feeds them (the tokenizer's own special
tokens), and a target is appended as its own token ids, as greedy decoding would produce it. :class:`Batch` is
left-padded (for reading activations); :class:`SplitBatch` is cut at the subject's last token so the part
before it runs once (for optimising a change made at that token), and scores only the positions a loss reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch

from kg.errors import InvalidInput


@dataclass(frozen=True)
class Item:
    """One row: ``text`` with the subject at characters ``[start, end)``, and optionally target token ids."""

    text: str
    start: int
    end: int
    target: tuple[int, ...] = ()


@dataclass(frozen=True)
class Batch:
    """A left-padded batch. ``subject`` holds each row's subject-last-token position (in padded coordinates)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    subject: torch.Tensor

    def model_inputs(self, keep: int = 1) -> dict[str, Any]:
        """Keyword arguments for the causal LM, keeping logits of the last ``keep`` positions."""
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
                "position_ids": self.position_ids, "logits_to_keep": keep, "use_cache": False}


def tokenizer_lock(handle: Any):
    """The lock the handle's generator takes around tokenizer calls (fast tokenizers keep padding state in
    shared Rust objects); a no-op when the handle has none."""
    generator = getattr(handle, "_generator", None)
    return getattr(generator, "tokenizer_lock", None) or nullcontext()


def item_for(text: str, subject: str, target: Sequence[int] = (), *, offset: int = 0) -> Item:
    """An :class:`Item` for ``text`` whose subject is the first occurrence of ``subject`` at or after ``offset``.

    Raises:
        InvalidInput: the subject does not occur.
    """
    start = text.find(subject, offset)
    if not subject or start < 0:
        raise InvalidInput(f"subject {subject!r} does not occur in {text!r}")
    return Item(text, start, start + len(subject), tuple(target))


def target_ids(tokenizer: Any, target: str) -> tuple[int, ...]:
    """Token ids of a target completion (no special tokens).

    Raises:
        InvalidInput: the target tokenises to nothing.
    """
    ids = tuple(tokenizer(target, add_special_tokens=False)["input_ids"])
    if not ids:
        raise InvalidInput(f"target {target!r} has no tokens")
    return ids


def prompt_ids_and_subject(tokenizer: Any, item: Item) -> tuple[list[int], int]:
    """Token ids of ``item.text`` and the index of the last token overlapping the subject's characters.

    Byte-level tokenizers fold the leading space into the subject's first token (``" France"``), so a token is
    matched by character overlap, not by re-tokenising the subject on its own.

    Raises:
        InvalidInput: no token covers the subject.
    """
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(item.text, return_offsets_mapping=True)
        ids, offsets = list(enc["input_ids"]), enc["offset_mapping"]
        hits = [i for i, (s, e) in enumerate(offsets) if e > s and s < item.end and e > item.start]
        if not hits:
            raise InvalidInput(f"no token covers the subject in {item.text!r}")
        return ids, hits[-1]
    ids = list(tokenizer(item.text)["input_ids"])
    index = len(tokenizer(item.text[: item.end])["input_ids"]) - 1  # slow tokenizers: count the prefix's tokens
    if not 0 <= index < len(ids):
        raise InvalidInput(f"no token covers the subject in {item.text!r}")
    return ids, index


def encode(tokenizer: Any, items: Sequence[Item], device: torch.device, pad_id: int) -> Batch:
    """Tokenise ``items`` (prompt ids + target ids) into a left-padded :class:`Batch` on ``device``.

    Raises:
        InvalidInput: a subject no token covers.
    """
    rows, subjects = [], []
    for item in items:
        ids, index = prompt_ids_and_subject(tokenizer, item)
        rows.append(ids + list(item.target))
        subjects.append(index)
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    subject = torch.tensor([width - len(r) + s for r, s in zip(rows, subjects)])
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return Batch(input_ids.to(device), mask.to(device), positions.to(device), subject.to(device))


@dataclass(frozen=True)
class SplitBatch:
    """A batch cut at each row's subject-last token: the prefix before it (left-padded to ``split`` columns),
    then the rest of the prompt and the target without its last token (right-padded: no loss reads the output at
    the last target token). Everything before the subject's last token is independent of a change made there, so
    it can run once and be reused as a KV cache.

    Scoring reads only the *picked* positions: each row's target predictions (the last ``len(target)`` suffix
    columns), or its last column when it has no target. The model keeps logits at :attr:`columns` (their union),
    and :meth:`pick`, an input hook on the LM head, narrows that to the picked positions, flattened in row order,
    so the LM head runs once per scored position instead of once per row and column.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    split: int
    lengths: tuple[int, ...]  # real suffix tokens per row (the subject-last token first)
    targets: tuple[tuple[int, ...], ...]

    def prefix_inputs(self) -> dict[str, Any]:
        s = self.split
        return {"input_ids": self.input_ids[:, :s], "attention_mask": self.attention_mask[:, :s],
                "position_ids": self.position_ids[:, :s], "use_cache": True}

    def suffix_inputs(self, cache: Any) -> dict[str, Any]:
        """The suffix on top of the prefix cache, keeping logits only at :attr:`columns`."""
        s = self.split
        return {"input_ids": self.input_ids[:, s:], "attention_mask": self.attention_mask,
                "position_ids": self.position_ids[:, s:], "cache": cache, "use_cache": cache is not None,
                "logits_to_keep": torch.tensor(self.columns, device=self.input_ids.device)}

    def full_inputs(self) -> dict[str, Any]:
        """Whole rows (prefix and suffix, no cache), keeping logits only at :attr:`columns`."""
        keep = torch.tensor([self.split + c for c in self.columns], device=self.input_ids.device)
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
                "position_ids": self.position_ids, "use_cache": False, "logits_to_keep": keep}

    @cached_property
    def picked(self) -> tuple[tuple[int, ...], ...]:
        """Per row, the suffix columns whose logits its loss reads (target predictions, else the last one)."""
        return tuple(tuple(range(n - len(t), n)) if t else (n - 1,) for t, n in zip(self.targets, self.lengths))

    @cached_property
    def columns(self) -> tuple[int, ...]:
        """Suffix columns any row picks: the model keeps logits (LM-head inputs) at these only."""
        return tuple(sorted({c for cols in self.picked for c in cols}))

    @cached_property
    def _offsets(self) -> tuple[int, ...]:
        """Where each row's picked positions start in the flattened logits (one more entry: the total)."""
        starts = [0]
        for cols in self.picked:
            starts.append(starts[-1] + len(cols))
        return tuple(starts)

    @cached_property
    def _pick_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        at = {c: i for i, c in enumerate(self.columns)}
        rows = [r for r, cols in enumerate(self.picked) for _ in cols]
        cols = [at[c] for row in self.picked for c in row]
        device = self.input_ids.device
        return torch.tensor(rows, device=device), torch.tensor(cols, device=device)

    def pick(self, hidden: torch.Tensor, *, hook: str = "") -> torch.Tensor:
        """Input hook for the LM head: hidden states at :attr:`columns` ``[rows, columns, d]`` -> the picked
        positions ``[1, picked, d]`` (row after row)."""
        rows, cols = self._pick_index
        return hidden[rows, cols][None]

    def target_log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """Mean log-probability of each row's target (0 for rows without one) from picked logits."""
        log_probs = logits.reshape(-1, logits.shape[-1]).float().log_softmax(-1)
        out = []
        for row, target in enumerate(self.targets):
            if not target:
                out.append(log_probs.new_zeros(()))
                continue
            steps = log_probs[self._offsets[row] : self._offsets[row + 1]]
            out.append(steps.gather(-1, torch.tensor(target, device=logits.device)[:, None]).mean())
        return torch.stack(out)

    def last_logits(self, logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Picked logits at the last real suffix position of ``rows`` (rows without a target)."""
        flat = logits.reshape(-1, logits.shape[-1])
        return flat[torch.tensor([self._offsets[int(r) + 1] - 1 for r in rows], device=logits.device)]


def encode_split(tokenizer: Any, items: Sequence[Item], device: torch.device, pad_id: int) -> SplitBatch:
    """Tokenise ``items`` into a :class:`SplitBatch` on ``device``.

    Raises:
        InvalidInput: a subject no token covers.
    """
    parts = []
    for item in items:
        ids, index = prompt_ids_and_subject(tokenizer, item)
        parts.append((ids[:index], ids[index:] + list(item.target[:-1])))  # see SplitBatch
    split = max(len(p) for p, _ in parts)
    width = split + max(len(s) for _, s in parts)
    input_ids = torch.full((len(parts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(parts), width), dtype=torch.long)
    for i, (prefix, suffix) in enumerate(parts):
        input_ids[i, split - len(prefix) : split + len(suffix)] = torch.tensor(prefix + suffix, dtype=torch.long)
        mask[i, split - len(prefix) : split + len(suffix)] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return SplitBatch(input_ids.to(device), mask.to(device), positions.to(device), split,
                      tuple(len(s) for _, s in parts), tuple(item.target for item in items))


def pad_id_of(tokenizer: Any) -> int:
    """The padding id (the EOS id when the tokenizer has no padding token)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return int(pad if pad is not None else 0)
