"""WISE: train one part of the side memory for edit requests and return it as a ledger record.

Loss (§7): mean NLL of the target with the part in place at the tokens that predict it, plus margins on
‖D a‖ (``D`` = the part, ``a`` = the projection's input): unrelated activations below ``alpha``, the edit's
above ``beta``, the two apart by ``gamma``. The activations below the layer do not depend on the memory, so
they are computed once; only the NLL needs a forward pass per step (from the edited layer up, see
:mod:`editors.locate.resume`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from editors._common.tokens import tokenizer_lock
from editors._common.validate import validate
from editors.base import register_method
from editors.locate.hooks import capture_inputs, run_until
from editors.locate.layers import resolve_layer
from editors.locate.resume import Resumable
from editors.locate.tokens import EncodedEdit, batch_ids, encode_edit, pad_id, prompt_ids
from editors.requests import EditRequest
from editors.wise.hparams import FALLBACK_FRACTION, LAYER_FRACTION, WiseHParams
from editors.wise.memory import WiseMemory
from editors.wise.negatives import GENERIC_TEXT, subject_swapped
from editors.wise.train import margins, orthonormal_basis, part_acts, project_out
from models import Arch, ModelHandle, ModuleRecord

logger = logging.getLogger(__name__)

#: How far a new part's score must exceed an earlier part's on the new edit's keys.
RIVAL_MARGIN = 1.05


@dataclass(frozen=True)
class _Batch:
    """The in-scope rows (each prefix variant of each request) and where their targets are predicted."""

    rows: list[EncodedEdit]
    span: torch.Tensor  # [B, T] bool: positions that predict a target token
    first_variant: torch.Tensor  # [B] bool: rows without a prefix (their span activations become the keys)


@register_method("wise")
class WISE:
    """WISE side-memory editing: one record (one low-rank part of the memory) per edit, retrieved per token."""

    name: ClassVar[str] = "wise"
    batchable: ClassVar[bool] = False
    needs_stats: ClassVar[bool] = False

    def __init__(self, **hparams: Any) -> None:
        self.hparams = WiseHParams.create(**hparams)
        # Activations of the unrelated text, keyed by what they depend on (see _negatives); one entry.
        self._negative_cache: tuple[tuple, torch.Tensor] | None = None

    def apply(self, handle: ModelHandle, requests: Sequence[EditRequest]) -> ModuleRecord:
        """Train the side-memory part for one request and return it as an unapplied record.

        Raises:
            InvalidInput: a request the method cannot edit, or a bad layer (before any tensor moves).
        """
        validate(handle, requests, method=self.name, batchable=self.batchable)
        tok = handle.tokenizer
        texts = [*(p.prompt for r in requests for p in r.locality),
                 *(s for r in requests for s in subject_swapped(r.prompt, r.subject))]
        with tokenizer_lock(handle):
            rows = [encode_edit(tok, prefix + r.prompt, r.target_new)
                    for r in requests for prefix in self.hparams.prefixes]
            negatives = [prompt_ids(tok, t) for t in texts]
        layer = resolve_layer(handle, self.hparams.layer, LAYER_FRACTION, FALLBACK_FRACTION, requests)
        path = handle.arch.mlp_out_path(layer)
        with handle.reading() as model:
            return self._record(handle, model, layer, path, requests, rows, negatives)

    def _record(self, handle: ModelHandle, model: nn.Module, layer: int, path: str,
                requests: Sequence[EditRequest], rows: list[EncodedEdit], negatives: list[list[int]]) -> ModuleRecord:
        hp = self.hparams
        current = model.get_submodule(path)
        memory = current if isinstance(current, WiseMemory) else None
        batch = _in_scope(rows, len(hp.prefixes), _device(model))
        inputs = batch_ids([r.ids for r in batch.rows], pad_id(handle.tokenizer), _device(model))
        acts = _activations(model, path, inputs)  # [B, T, cols], fixed: nothing below the layer changes
        real = inputs["attention_mask"].bool()
        near, near_last = _token_activations(model, path, negatives, pad_id(handle.tokenizer))
        before = acts[real & ~batch.span]
        neg = torch.cat([self._negatives(handle, model, path, list(GENERIC_TEXT)), near, before])
        pos, keys = acts[batch.span], acts[batch.span & batch.first_variant[:, None]]
        base = memory.base() if memory is not None else current
        with torch.no_grad():
            base_out = base(acts.to(_dtype(model))).float()
        old_keys = memory.all_keys() if memory is not None else acts.new_zeros(0, acts.shape[-1])
        protected = torch.cat([near_last, before, _other_keys(old_keys, pos)]) if hp.protect else near_last[:0]
        rival = _rivals(memory, pos) if memory is not None else pos.new_zeros(0)
        fit = _Fit(orthonormal_basis(protected), pos, neg, base_out, batch)
        (up, down), report = self._train(model, handle.arch, layer, path, inputs, fit, len(memory.chain()) if memory else 0)
        report["max_rival_score"] = float(rival.max()) if rival.numel() else 0.0
        return self._finish(model, path, layer, requests, up, down, keys, neg, report)

    def _finish(self, model: nn.Module, path: str, layer: int, requests: Sequence[EditRequest], up: torch.Tensor,
                down: torch.Tensor, keys: torch.Tensor, neg: torch.Tensor, report: dict[str, Any]) -> ModuleRecord:
        hp = self.hparams
        edit_act = part_acts(up, down, keys).min()
        tau = hp.act_ratio * edit_act
        if report["max_rival_score"] * hp.act_ratio >= 1:  # an earlier part would win on this key (the same fact
            tau = edit_act / (report["max_rival_score"] * RIVAL_MARGIN)  # edited again): lower this threshold
        max_negative = float(part_acts(up, down, neg).max())
        report.update(threshold=float(tau), edit_act=float(edit_act), max_negative=max_negative)
        if max_negative >= float(tau):
            logger.warning("WISE edit: an unrelated activation (%.2f) is above the routing threshold (%.2f)",
                           max_negative, float(tau))
        state = {"up": up, "down": down, "keys": keys, "tau": tau, "edit_act": edit_act}
        config = {"rows": up.shape[0], "cols": down.shape[0], "rank": up.shape[1], "keys": int(keys.shape[0])}
        meta = {"method": self.name, "layer": layer, "path": path,
                "requests": [{"prompt": r.prompt, "target": r.target_new} for r in requests], **report,
                "hparams": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(hp).items()}}
        return ModuleRecord.wrap(model, path, WiseMemory, config=config, state=state, meta=meta)

    def _negatives(self, handle: ModelHandle, model: nn.Module, path: str, texts: list[str]) -> torch.Tensor:
        """Activations of ``texts`` at ``path``'s input, reused while nothing that feeds that layer changed.

        They depend on the base weights and on every applied record except those inside ``path`` (this method's
        own memories), so the key is the base checksum plus the ids of the other applied records.
        """
        entries = {e.id: e for e in handle.ledger.entries()}
        others = tuple(rid for rid in handle.ledger.applied
                       if not all(t == path or t.startswith(path + ".") for t in entries[rid].touched))
        key = (id(model), handle.ledger.base_checksum, others, path, tuple(texts))
        if self._negative_cache is None or self._negative_cache[0] != key:
            with tokenizer_lock(handle):
                rows = [prompt_ids(handle.tokenizer, t) for t in texts]
            self._negative_cache = (key, _token_activations(model, path, rows, pad_id(handle.tokenizer))[0])
        return self._negative_cache[1]

    def _train(self, model: nn.Module, arch: Arch, layer: int, path: str, inputs: dict[str, torch.Tensor],
               fit: "_Fit", ordinal: int) -> tuple[tuple[torch.Tensor, torch.Tensor], dict[str, Any]]:
        """Optimise this edit's part ``U Vᵀ``; returns the best iterate (separated with the lowest worst-token NLL,
        else the lowest loss) and a report."""
        hp = self.hparams
        rows, cols = fit.base_out.shape[-1], fit.pos.shape[-1]
        gen = torch.Generator().manual_seed(hp.seed * 1_000_003 + ordinal)
        v0 = (torch.randn(cols, hp.rank, generator=gen) / cols**0.5).to(fit.pos.device)
        up = torch.zeros(rows, hp.rank, device=fit.pos.device, requires_grad=True)
        free = v0.clone().requires_grad_(True)
        make = torch.optim.Adam if hp.optimizer == "adam" else torch.optim.SGD
        opt = make([up, free], lr=hp.lr, weight_decay=hp.weight_decay)
        targets, at = _targets(fit.batch)
        span = fit.batch.span[..., None]
        part: dict[str, torch.Tensor] = {}

        def place(output: Any, *, inputs: tuple, module: nn.Module) -> torch.Tensor:
            extra = (inputs[0].float() @ part["down"]) @ up.T
            return torch.where(span, fit.base_out + extra, fit.base_out).to(output.dtype)

        best: tuple[float, tuple[torch.Tensor, torch.Tensor], dict[str, Any]] | None = None
        with Resumable(model, arch, layer, inputs, hooks={path: place}) as run:
            for step in range(1, hp.n_iter + 1):
                part["down"] = project_out(free, fit.basis)
                token_nll = F.cross_entropy(run.logits(at).float(), targets, reduction="none")
                nll = token_nll.mean()
                margin, stats = margins(up, part["down"], fit.pos, fit.neg, hp)
                loss = nll + margin
                # Stop and select on the worst target token: greedy decoding needs every one, the first above all.
                state = {"steps": step, "final_loss": float(loss.detach()), "final_nll": float(nll.detach()),
                         "worst_nll": float(token_nll.max().detach()), **stats}
                logger.debug("WISE step %d: %s", step, state)
                score = state["worst_nll"] if stats["separated"] else 1e6 + state["final_loss"]
                if best is None or score < best[0]:
                    best = (score, (up.detach().clone(), part["down"].detach().clone()), state)
                if state["final_loss"] < hp.stop_loss or (stats["separated"] and state["worst_nll"] < hp.stop_nll):
                    break
                grads = torch.autograd.grad(loss, [up, free])  # never writes .grad into the shared weights
                up.grad, free.grad = grads
                opt.step()
        _, factors, state_best = best  # type: ignore[misc]  (n_iter >= 1: set on the first step)
        return factors, {**state_best, "steps_run": step}


@dataclass(frozen=True)
class _Fit:
    """Everything one edit's optimisation needs, fixed for its duration."""

    basis: torch.Tensor  # orthonormal basis of the protected activations [cols, n]
    pos: torch.Tensor  # this edit's activations (every prefix variant)
    neg: torch.Tensor  # unrelated activations
    base_out: torch.Tensor  # the original layer's output on the in-scope batch
    batch: _Batch


def _other_keys(old_keys: torch.Tensor, pos: torch.Tensor, *, same: float = 0.999) -> torch.Tensor:
    """Earlier keys except those of the same prompt (a fact edited again): the new part must fire there and
    outbid the old one through the retrieval margin, not stay silent."""
    if old_keys.shape[0] == 0:
        return old_keys
    cos = F.normalize(old_keys, dim=-1) @ F.normalize(pos, dim=-1).T
    return old_keys[cos.max(dim=1).values < same]


def _rivals(memory: WiseMemory, pos: torch.Tensor) -> torch.Tensor:
    """For each of this edit's activations, the highest score act/tau of an earlier part (the router prefers
    that part over this edit's, whose score on its own keys is at least 1/act_ratio, when it is higher)."""
    acts, _ = memory.part_acts(pos)
    return (acts / memory.stacked()[3]).max(dim=-1).values


def _in_scope(rows: list[EncodedEdit], n_prefixes: int, device: torch.device) -> _Batch:
    width = max(len(r.ids) for r in rows)
    span = torch.zeros(len(rows), width, dtype=torch.bool)
    for i, r in enumerate(rows):
        span[i, list(r.target_positions)] = True
    first = torch.tensor([i % n_prefixes == 0 for i in range(len(rows))])
    return _Batch(rows, span.to(device), first.to(device))


def _targets(batch: _Batch) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Target ids in span order and the (row, position) indices that predict them."""
    row_idx, pos_idx, ids = [], [], []
    for i, r in enumerate(batch.rows):
        for p, t in zip(r.target_positions, r.target_ids):
            row_idx.append(i)
            pos_idx.append(p)
            ids.append(t)
    dev = batch.span.device
    return torch.tensor(ids, device=dev), (torch.tensor(row_idx, device=dev), torch.tensor(pos_idx, device=dev))


def _activations(model: nn.Module, path: str, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    with capture_inputs(model, [path], stop_after=path) as seen:
        run_until(model, **inputs)
    return seen[path].float()


def _token_activations(model: nn.Module, path: str, rows: list[list[int]],
                       pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The projection's inputs at every real token of the token ``rows`` [n_tokens, cols], and at each row's last."""
    inputs = batch_ids(rows, pad, _device(model))
    acts = _activations(model, path, inputs)
    mask = inputs["attention_mask"].bool()
    last = acts[torch.arange(len(rows), device=acts.device), mask.sum(dim=1) - 1]
    return acts[mask], last


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _dtype(model: nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype
