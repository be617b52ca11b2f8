"""Step-by-step decoding for scoring: the argmax token at each step, feeding either gold tokens (teacher forcing)
or the argmax itself (greedy).

Both run the same KV-cached loop as ``handle.generate`` (one token per forward after the prompt), so editors that
act on the current last token only (GRACE's codebook) are scored as they behave in generation; for weight edits
this equals one teacher-forced forward over prompt + target. Prompts are tokenised as ``generate(chat=False)``
feeds them and left-padded; the same prompt list in the same order gives bit-identical logits before and after
an edit that does not touch them, so an unedited model scores locality 1.0 exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from editors._common.tokens import pad_id_of, tokenizer_lock
from models import DecodeRequest, ModelHandle, StepState
from models.generation import step_decode

#: Filler for steps after a greedy row stopped at end-of-sequence.
STOPPED = -1


def step_argmax(handle: ModelHandle, prompts: Sequence[str], steps: int,
                forced: Sequence[Sequence[int]] | None = None, *, batch_size: int = 16) -> list[list[int]]:
    """For each prompt, the argmax token at each of ``steps`` positions after it.

    With ``forced`` (token ids per prompt), step ``t + 1`` is fed ``forced[i][t]`` (teacher forcing; rows
    shorter than ``steps`` are fed padding past their end, whose predictions the caller ignores). Without it,
    the argmax is fed back (greedy), and a row that produced end-of-sequence reads :data:`STOPPED` afterwards.
    """
    out: list[list[int]] = []
    for start in range(0, len(prompts), batch_size):
        rows = None if forced is None else forced[start : start + batch_size]
        out += _batch(handle, prompts[start : start + batch_size], steps, rows)
    return out


def greedy_text(handle: ModelHandle, ids: Sequence[int]) -> str:
    """Text of greedy ids from :func:`step_argmax` (up to the first stop)."""
    kept = [t for t in ids if t != STOPPED]
    with tokenizer_lock(handle):
        return handle.tokenizer.decode(kept, skip_special_tokens=True)


def _batch(handle: ModelHandle, prompts: Sequence[str], steps: int,
           forced: Sequence[Sequence[int]] | None) -> list[list[int]]:
    tok = handle.tokenizer
    pad = pad_id_of(tok)
    with tokenizer_lock(handle):
        enc = tok(list(prompts), padding=True, padding_side="left", return_tensors="pt")
    eos = tuple(t for t in (tok.eos_token_id,) if t is not None) if forced is None else ()
    seen: list[torch.Tensor] = []
    gold = None
    if forced is not None:
        gold = torch.full((len(prompts), steps), pad, dtype=torch.long)
        for i, row in enumerate(forced):
            row = list(row)[:steps]
            gold[i, : len(row)] = torch.tensor(row, dtype=torch.long)

    def choose(state: StepState) -> torch.Tensor:
        best = state.logits.argmax(dim=-1)
        seen.append(best.cpu())
        return best if gold is None else gold[:, state.step].to(best.device)

    with handle.reading() as model, torch.no_grad():
        device = next(model.parameters()).device
        request = DecodeRequest(model, enc["input_ids"].to(device), enc["attention_mask"].to(device), steps,
                                eos or (-1,), pad)
        step_decode(request, choose)
    return _rows(seen, len(prompts), steps, eos)


def _rows(seen: list[torch.Tensor], n: int, steps: int, eos: tuple[int, ...]) -> list[list[int]]:
    """Per-row argmax lists, greedy rows cut after their end-of-sequence token."""
    table = torch.stack(seen, 1).tolist() if seen else [[] for _ in range(n)]
    rows = []
    for row in table:
        cut = next((i + 1 for i, t in enumerate(row) if t in eos), len(row))
        rows.append(row[:cut] + [STOPPED] * (steps - cut))
    return rows
