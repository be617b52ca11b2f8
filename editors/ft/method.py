"""FT-M: constrained fine-tuning of one MLP output projection on the target tokens (prompt masked)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from editors._common.deltas import parameter_name, weight_out_in
from editors._common.hooks import forward_hooks
from editors._common.hparams import as_meta, check_overrides, hparams_for
from editors._common.tokens import encode_split, item_for, pad_id_of, target_ids, tokenizer_lock
from editors._common.validate import validate
from editors.base import register_method
from editors.ft.hparams import FtHparams
from editors.requests import EditRequest
from models import DenseRecord, ModelHandle


@register_method("ft")
class FineTune:
    """FT-M editor: ``FineTune(**overrides)``; returns a dense record of the tuned weight.

    The weight itself is never written while training (the model is only read-locked): the change ``ΔW`` is a
    separate tensor added through a hook on the computing thread, trained with Adam (the same trajectory as
    Adam on ``W``), then recorded as ``W + ΔW``.
    """

    name: ClassVar[str] = "ft"
    batchable: ClassVar[bool] = True
    needs_stats: ClassVar[bool] = False

    def __init__(self, *, home: Any = None, **hparams: Any) -> None:  # home: accepted for a uniform signature
        self.overrides = check_overrides(FtHparams, hparams)

    def hparams(self, handle: ModelHandle) -> FtHparams:
        """The knobs this instance uses on ``handle``'s model (family defaults plus overrides)."""
        return hparams_for(FtHparams, handle, self.overrides)

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> DenseRecord:
        """Fine-tune on ``requests`` and return the record, not yet applied.

        Raises:
            InvalidInput: a bad request or hyper-parameter (before any tensor moves).
        """
        hp = self.hparams(handle)
        validate(handle, requests, method=self.name, batchable=self.batchable, margin=0)
        started = time.perf_counter()
        with handle.reading():
            delta, before, after, steps = _train(handle, requests, hp)
            name = parameter_name(handle.arch, hp.layer)
            stored = delta.T if handle.arch.facts.conv1d else delta
            meta = {"method": self.name, "layers": [hp.layer], "hparams": as_meta(hp),
                    "requests": [r.model_dump(include={"prompt", "subject", "target_new"}) for r in requests],
                    "nll_before": before, "nll_after": after, "steps": steps,
                    "seconds": round(time.perf_counter() - started, 3)}
            return DenseRecord.from_delta(handle.model, {name: stored}, meta=meta)


def _train(handle: ModelHandle, requests: Sequence[EditRequest], hp: FtHparams):
    """Adam on ``ΔW`` ([out, in]) for the mean target NLL; returns (ΔW, nll before, nll after, steps)."""
    tok, path = handle.tokenizer, handle.arch.mlp_out_path(hp.layer)
    with tokenizer_lock(handle):
        items = [item_for(r.prompt, r.subject, target_ids(tok, r.target_new)) for r in requests]
        batch = encode_split(tok, items, handle.device, pad_id_of(tok))
    weight = weight_out_in(handle, hp.layer)
    delta = torch.zeros_like(weight, requires_grad=True)
    inputs: dict[str, torch.Tensor] = {}

    def keep(x: torch.Tensor, *, hook: str) -> None:
        inputs[hook] = x

    def add(out: torch.Tensor, *, hook: str) -> torch.Tensor:
        return out + inputs[hook] @ delta.T.to(out.dtype)

    opt = torch.optim.Adam([delta], lr=hp.lr)
    before, loss, step = None, torch.zeros(()), 0
    hooks_in = {path: keep, handle.arch.facts.lm_head: batch.pick}
    with forward_hooks(handle.model, inputs=hooks_in, outputs={path: add}):
        for step in range(hp.steps + 1):
            with torch.enable_grad():
                # The change acts on every position, so the whole prompt runs each step (no prefix cache).
                logits = handle.model(**batch.full_inputs()).logits
                loss = -batch.target_log_probs(logits).mean()
            before = loss.item() if before is None else before
            if step == hp.steps or loss.item() < hp.loss_stop:
                break
            (delta.grad,) = torch.autograd.grad(loss, [delta])
            opt.step()
            if hp.norm_constraint is not None:
                with torch.no_grad():
                    delta.clamp_(-hp.norm_constraint, hp.norm_constraint)
    return delta.detach().clone(), round(before, 4), round(loss.item(), 4), step
