"""Token positions of an edit prompt: where the prompt ends, which tokens predict the target, where the subject is.

Prompts are tokenised exactly as :meth:`models.ModelHandle.generate` does with ``chat=False`` (the tokenizer's
default special tokens), so a key read at the last prompt token during editing is the query seen at inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from kg.errors import InvalidInput


@dataclass(frozen=True)
class EncodedEdit:
    """``prompt + target[:-1]`` as ids; position ``prompt_len - 1 + j`` predicts target token ``j``."""

    ids: tuple[int, ...]
    prompt_len: int
    target_ids: tuple[int, ...]

    @property
    def key_pos(self) -> int:
        """The last prompt token."""
        return self.prompt_len - 1

    @property
    def target_positions(self) -> range:
        return range(self.prompt_len - 1, self.prompt_len - 1 + len(self.target_ids))


def prompt_ids(tokenizer: Any, prompt: str) -> list[int]:
    return list(tokenizer(prompt)["input_ids"])


def target_ids(tokenizer: Any, target: str) -> list[int]:
    return list(tokenizer(target, add_special_tokens=False)["input_ids"])


def encode_edit(tokenizer: Any, prompt: str, target: str) -> EncodedEdit:
    """Encode one (prompt, target) pair.

    Raises:
        InvalidInput: the prompt or the target tokenises to nothing.
    """
    p, t = prompt_ids(tokenizer, prompt), target_ids(tokenizer, target)
    if not p or not t:
        raise InvalidInput(f"prompt {prompt!r} or target {target!r} tokenises to no tokens")
    return EncodedEdit(ids=tuple(p + t[:-1]), prompt_len=len(p), target_ids=tuple(t))


def batch_ids(rows: Sequence[Sequence[int]], pad_id: int, device: torch.device | None = None) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids`` and ``attention_mask`` for token rows (positions stay 0-based per row)."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


def pad_id(tokenizer: Any) -> int:
    for value in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if value is not None:
            return int(value)
    return 0


def subject_range(tokenizer: Any, prompt: str, subject: str) -> tuple[int, int]:
    """Token indices ``[start, end)`` covering the first occurrence of ``subject`` in ``prompt``.

    Raises:
        InvalidInput: the subject is not in the prompt.
    """
    at = prompt.find(subject) if subject else -1
    if at < 0:
        raise InvalidInput(f"subject {subject!r} does not occur in prompt {prompt!r}")
    lo, hi = at, at + len(subject)
    try:
        offsets = tokenizer(prompt, return_offsets_mapping=True)["offset_mapping"]
    except (NotImplementedError, TypeError, ValueError, KeyError):
        offsets = None
    if offsets:
        inside = [i for i, (a, b) in enumerate(offsets) if b > a and a < hi and b > lo]
        if inside:
            return inside[0], inside[-1] + 1
    # Slow tokenizers: count the tokens of the text before and through the subject (trailing space dropped).
    n_before = len(prompt_ids(tokenizer, prompt[:lo].rstrip())) if prompt[:lo].strip() else _n_special(tokenizer)
    n_through = len(prompt_ids(tokenizer, prompt[:hi]))
    return n_before, max(n_through, n_before + 1)


def _n_special(tokenizer: Any) -> int:
    return len(tokenizer("")["input_ids"])
