"""GRACE: compute the codebook rows for edit requests and return them as one ledger record (not applied).

Per request: the key is the wrapped layer's input at the last prompt token; the insertion rule (§6) decides the
row's radius and which existing radius to shrink; the value (the layer's output at that token) is trained with
Adam so that the model, with the value in place, predicts the target tokens (teacher-forced mean NLL).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from editors._common.tokens import tokenizer_lock
from editors._common.validate import validate
from editors.base import register_method
from editors.grace.codebook import GraceCodebook
from editors.grace.hparams import FALLBACK_FRACTION, LAYER_FRACTION, GraceHParams
from editors.locate.hooks import hooked
from editors.locate.layers import resolve_layer
from editors.locate.resume import Resumable
from editors.locate.tokens import EncodedEdit, encode_edit
from editors.requests import EditRequest
from models import Arch, ModelHandle, ModuleRecord

logger = logging.getLogger(__name__)

SPLIT_MARGIN = 1e-5
DISABLED = -1.0  # radius of a row superseded by a later edit of the same key


@dataclass(frozen=True)
class RowPlan:
    """Where a new row goes: its radius, and the existing rows whose radius it shrinks ({row: new radius})."""

    eps: float
    shrink: dict[int, float]
    nearest: int | None
    distance: float | None


def plan_row(keys: torch.Tensor, eps: torch.Tensor, labels: torch.Tensor, query: torch.Tensor, label: int,
             eps_init: float) -> RowPlan:
    """GRACE's insertion rule for a new key against the current rows.

    - no row within ``eps_init + eps_i`` of the nearest key ``i``: a new row with ``eps_init``;
    - the nearest row has another label: split, both radii become about ``d/2`` (never larger than before), so
      the two balls stay disjoint;
    - the same key (distance about 0) with another label: the old row is disabled (radius -1) and the new one
      gets ``eps_init`` (a fact edited again; the record restores the old radius on revert);
    - same label: a new row with ``eps_init`` beside it (upstream widens the old row instead and retrains its
      value; here that value belongs to an earlier record, which must stay unchanged for exact revert).

    >>> k = torch.zeros(1, 2); plan_row(k, torch.tensor([1.0]), torch.tensor([7]), torch.tensor([1.5, 0.0]), 8, 1.0)
    RowPlan(eps=0.75, shrink={0: 0.74999}, nearest=0, distance=1.5)
    """
    if keys.shape[0] == 0:
        return RowPlan(eps_init, {}, None, None)
    dist = torch.cdist(query.float()[None], keys.float())[0]
    d, i = float(dist.min()), int(dist.argmin())
    if d > eps_init + float(eps[i]) or int(labels[i]) == label:
        return RowPlan(eps_init, {}, i, d)
    half = d / 2
    if half <= SPLIT_MARGIN:  # the same key with a new answer: the new row supersedes the old one
        return RowPlan(eps_init, {i: DISABLED}, i, d)
    return RowPlan(min(eps_init, half), {i: min(float(eps[i]), half - SPLIT_MARGIN)}, i, d)


def label_of(target_ids: Sequence[int]) -> int:
    """A stable 63-bit label for a target token sequence (rows with equal labels never split)."""
    digest = hashlib.blake2b(",".join(map(str, target_ids)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@register_method("grace")
class GRACE:
    """GRACE codebook editing (one record per :meth:`apply`; rows of earlier records are never modified)."""

    name: ClassVar[str] = "grace"
    batchable: ClassVar[bool] = False
    needs_stats: ClassVar[bool] = False

    def __init__(self, **hparams: Any) -> None:
        self.hparams = GraceHParams.create(**hparams)

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> ModuleRecord:
        """The codebook row for one request as an unapplied record (rows of earlier records are left as they are;
        a split shrinks an earlier radius through an override in this record).

        Raises:
            InvalidInput: a request the method cannot edit, or a bad layer (before any tensor moves).
        """
        validate(handle, requests, method=self.name, batchable=self.batchable)
        with tokenizer_lock(handle):
            encoded = [encode_edit(handle.tokenizer, r.prompt, r.target_new) for r in requests]
        hp = self.hparams
        layer = resolve_layer(handle, hp.layer, LAYER_FRACTION, FALLBACK_FRACTION, requests)
        path = handle.arch.mlp_out_path(layer)
        with handle.reading() as model:
            return self._record(model, handle.arch, path, layer, requests, encoded)

    def _record(self, model: nn.Module, arch: Arch, path: str, layer: int, requests: Sequence[EditRequest],
                encoded: list[EncodedEdit]) -> ModuleRecord:
        hp = self.hparams
        probes = [_key_and_output(model, path, enc) for enc in encoded]
        keys, values, eps, labels = _existing(model.get_submodule(path), *probes[0])
        n_old = keys.shape[0]
        shrink: dict[int, float] = {}
        rows_meta = []
        gen = torch.Generator().manual_seed(hp.seed)
        for request, enc, (key, out) in zip(requests, encoded, probes):
            label = label_of(enc.target_ids)
            plan = plan_row(keys, eps, labels, key, label, hp.eps_init)
            for row, radius in plan.shrink.items():
                eps[row] = radius
                if row < n_old:
                    shrink[row] = radius
            init = out if hp.val_init == "warm" else torch.rand(out.shape, generator=gen).to(out)
            value, loss, steps = _train_value(model, arch, layer, path, enc, init, hp)
            keys, values = torch.cat([keys, key[None]]), torch.cat([values, value[None]])
            eps = torch.cat([eps, eps.new_tensor([plan.eps])])
            labels = torch.cat([labels, labels.new_tensor([label])])
            rows_meta.append({"prompt": request.prompt, "target": request.target_new, "eps": plan.eps,
                              "nearest": plan.nearest, "distance": plan.distance, "split": sorted(plan.shrink),
                              "final_loss": loss, "steps": steps})
        n_new = keys.shape[0] - n_old
        state = {
            "keys": keys[n_old:], "values": values[n_old:], "eps": eps[n_old:], "labels": labels[n_old:],
            "override_rows": torch.tensor(sorted(shrink), dtype=torch.long),
            "override_eps": torch.tensor([shrink[r] for r in sorted(shrink)], dtype=torch.float32),
        }
        config = {"d_in": keys.shape[1], "d_out": values.shape[1], "rows": n_new, "overrides": len(shrink),
                  "replace": hp.replace}
        meta = {"method": self.name, "layer": layer, "path": path, "rows": rows_meta,
                "hparams": {k: v for k, v in asdict(hp).items()}}
        return ModuleRecord.wrap(model, path, GraceCodebook, config=config, state=state, meta=meta)


def _existing(current: nn.Module, key: torch.Tensor, out: torch.Tensor):
    """Mutable copies of the merged rows already in ``current`` (empty, of the key's and output's widths, if none)."""
    if isinstance(current, GraceCodebook):
        keys, values, eps, labels = (t.detach().clone() for t in current.merged())
        return keys, values, eps.float(), labels
    return (key.new_zeros(0, key.shape[0]), out.new_zeros(0, out.shape[0]), key.new_zeros(0),
            torch.zeros(0, dtype=torch.long, device=key.device))


def _key_and_output(model: nn.Module, path: str, enc: EncodedEdit) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's input and output at the last prompt token (float32, detached)."""
    seen: dict[str, torch.Tensor] = {}

    def grab(output: Any, *, inputs: tuple, module: nn.Module) -> None:
        seen["key"] = inputs[0][0, enc.key_pos].detach().float()
        seen["out"] = output[0, enc.key_pos].detach().float()

    ids = torch.tensor([enc.ids[: enc.prompt_len]], device=_device(model))
    with hooked(model, {path: grab}), torch.no_grad():
        model(input_ids=ids)
    return seen["key"], seen["out"]


def _train_value(model: nn.Module, arch: Arch, layer: int, path: str, enc: EncodedEdit, init: torch.Tensor,
                 hp: GraceHParams) -> tuple[torch.Tensor, float, int]:
    """Adam on the value placed at the key position until the target NLL is below ``stop_loss``.

    Returns the value, the last loss seen and the number of steps taken.
    """
    value = init.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([value], lr=hp.lr)
    ids = torch.tensor([enc.ids], device=_device(model))
    targets = torch.tensor(enc.target_ids, device=ids.device)
    at = (torch.zeros(len(enc.target_ids), dtype=torch.long, device=ids.device),
          torch.tensor(list(enc.target_positions), device=ids.device))

    def place(output: Any, *, inputs: tuple, module: nn.Module) -> torch.Tensor:
        out = output.clone()
        out[0, enc.key_pos] = value.to(out.dtype)
        return out

    loss_value, steps = float("nan"), 0
    with Resumable(model, arch, layer, {"input_ids": ids}, hooks={path: place}) as run:
        for steps in range(hp.n_iter):
            loss = torch.nn.functional.cross_entropy(run.logits(at).float(), targets)
            loss_value = float(loss.detach())
            if loss_value < hp.stop_loss:
                break
            (grad,) = torch.autograd.grad(loss, [value])  # never writes .grad into the shared model weights
            value.grad = grad
            opt.step()
        else:
            steps = hp.n_iter
    return value.detach(), loss_value, steps


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device
