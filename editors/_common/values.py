"""Value optimisation: the vector ``δ`` that, added to a module's output at the subject's last token, makes the
model produce the new target (ROME's ``v* = v₀ + δ``, MEMIT's ``z = h + δ``).

For each request, ``δ`` is added in every context template and in the KL prompt ``"{subject} is a"``, and
optimised with Adam on

    L(δ) = mean_templates NLL(target)/|target| + kl_factor · KL(P_δ(·|"{s} is a") ‖ P₀) + weight_decay · ‖δ‖/‖v₀‖²

clamping ``‖δ‖ ≤ clamp_norm_factor · ‖v₀‖`` after each step and stopping a request once its loss is below
``loss_stop`` (with ``stop_on_nll``: once its target NLL is below ``loss_stop`` in every template; on ROME that
took 14 steps instead of 17.5 (median) on 100 held-out edits, at 0.98 instead of 0.99 reliability, so it is off by
default; docs/editors_eval.md). Requests are optimised together in batches of ``chunk`` (each with its own ``δ``;
rows never interact, so the result does not depend on ``chunk``): a batch runs until its slowest request has
converged, and its memory and per-row cost grow with its size. ``bench/editing_chunks.py`` (SmolLM2, CPU, 40 MEMIT
requests): batches of 16 against one batch took 0.85x the CPU time and 0.52x the peak memory (2.8 vs 5.3 GB), with
the same ``δ`` to 1e-4.

Speed (each step is a forward and a backward; all of these leave the result unchanged):

- tokens before the subject's last token do not depend on ``δ``: they run once and serve as a KV cache, restored
  after each step without copying it; each step runs the subject's last token, the rest of the prompt and the
  target without its last token (nothing reads the output there);
- blocks below the one holding ``module`` do not depend on ``δ`` either: after the first step only the blocks from
  that one up run (:mod:`editors._common.replay`);
- the LM head runs only at the positions a loss reads (:meth:`SplitBatch.pick`).

Only ``δ`` gets gradients (``torch.autograd.grad``); the model's parameters and ``.grad`` stay untouched.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from transformers.cache_utils import DynamicLayer

from editors._common.hooks import forward_hooks
from editors._common.keys import in_template
from editors._common.replay import BlockReplay
from editors._common.tokens import SplitBatch, encode_split, item_for, pad_id_of, target_ids, tokenizer_lock
from editors.requests import EditRequest
from kg.errors import InvalidInput
from models import ModelHandle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValueKnobs:
    """The knobs of the optimisation (each method's hparams provide them)."""

    steps: int
    lr: float
    kl_factor: float
    weight_decay: float
    clamp_norm_factor: float
    loss_stop: float = 5e-2
    stop_on_nll: bool = False
    chunk: int = 16

    def __post_init__(self) -> None:
        if self.chunk < 1:
            raise InvalidInput(f"the value optimisation's chunk (v_chunk) must be >= 1, not {self.chunk}")


@dataclass(frozen=True)
class Values:
    """Result per request: the module output at the bare prompt ``v0`` [n, d], the shift ``delta`` [n, d], the
    target NLL (per token) before and after, and the number of steps taken (the most any batch took)."""

    v0: torch.Tensor
    delta: torch.Tensor
    nll_before: tuple[float, ...]
    nll_after: tuple[float, ...]
    steps: int


def optimise(
    handle: ModelHandle, requests: Sequence[EditRequest], templates: Sequence[str], module: str, knobs: ValueKnobs
) -> Values:
    """Optimise one ``δ`` per request at the output of ``module``, ``knobs.chunk`` requests at a time (see the
    module docstring)."""
    parts = [_optimise_batch(handle, requests[i:i + knobs.chunk], templates, module, knobs)
             for i in range(0, len(requests), knobs.chunk)]
    if len(parts) == 1:
        return parts[0]
    return Values(torch.cat([p.v0 for p in parts]), torch.cat([p.delta for p in parts]),
                  tuple(x for p in parts for x in p.nll_before), tuple(x for p in parts for x in p.nll_after),
                  max(p.steps for p in parts))


def _optimise_batch(
    handle: ModelHandle, requests: Sequence[EditRequest], templates: Sequence[str], module: str, knobs: ValueKnobs
) -> Values:
    """One batch of the optimisation: every request's rows run at every step until all have converged."""
    batch = _batch(handle, requests, templates)
    n, m, device = len(requests), len(templates), handle.device
    owner = torch.cat([torch.arange(n).repeat_interleave(m), torch.arange(n)]).to(device)
    bare_rows, kl_rows = torch.arange(n, device=device) * m, torch.arange(n * m, n * m + n, device=device)
    prefix = _prefix_cache(handle, batch)
    delta = torch.zeros(n, int(handle.model.config.hidden_size), device=device, requires_grad=True)
    seen: dict[str, torch.Tensor] = {}

    def shift(out: torch.Tensor, *, hook: str) -> torch.Tensor:
        if "v0" not in seen:
            seen["v0"] = out.detach()[bare_rows, 0].float().clone()
        return torch.cat([out[:, :1] + delta[owner, None].to(out.dtype), out[:, 1:]], dim=1)

    replay: BlockReplay | None = BlockReplay(handle, module)
    columns = torch.tensor(batch.columns, device=device)

    def forward() -> torch.Tensor:
        """Logits at the picked positions; after the first step only the blocks from the changed one up run."""
        cache = prefix()
        if replay is not None and replay.ready:
            return replay.logits(cache, columns)
        with replay.recording(cache) if replay is not None else nullcontext():
            return handle.model(**batch.suffix_inputs(cache)).logits

    opt = torch.optim.Adam([delta], lr=knobs.lr)
    active = torch.ones(n, dtype=torch.bool, device=device)
    kl_init, nll_before, nll, step = None, None, torch.zeros(n), 0
    with forward_hooks(handle.model, outputs={module: shift}, inputs={handle.arch.facts.lm_head: batch.pick}):
        for step in range(knobs.steps + 1):
            with torch.enable_grad():
                logits = forward()
            if step == 0 and replay is not None and not replay.matches(prefix(), columns, logits):
                logger.warning("value optimisation: replaying the upper blocks does not reproduce the forward "
                               "of this model; running full forwards")
                replay = None
            with torch.enable_grad():
                nll_rows = -batch.target_log_probs(logits)[: n * m].view(n, m)
                nll = nll_rows.mean(1)
                kl_logp = batch.last_logits(logits, kl_rows).float().log_softmax(-1)
                if kl_init is None:
                    kl_init, nll_before = kl_logp.detach(), nll.detach()
                kl = (kl_logp.exp() * (kl_logp - kl_init)).sum(-1)
                v0_norm = seen["v0"].norm(dim=-1)
                loss = nll + knobs.kl_factor * kl + knobs.weight_decay * delta.norm(dim=-1) / v0_norm**2
            active &= (nll_rows.max(1).values if knobs.stop_on_nll else loss).detach() >= knobs.loss_stop
            if step == knobs.steps or not active.any():
                break
            (delta.grad,) = torch.autograd.grad((loss * active).sum(), [delta])
            kept = delta.detach().clone()
            opt.step()
            with torch.no_grad():
                delta[~active] = kept[~active]  # converged requests stay put (Adam's momentum would move them)
                _clamp(delta, knobs.clamp_norm_factor * v0_norm)
    logger.debug("value optimisation: %d steps, nll %s -> %s", step, nll_before, nll.detach())
    return Values(seen["v0"], delta.detach().clone(), _floats(nll_before), _floats(nll.detach()), step)


def _batch(handle: ModelHandle, requests: Sequence[EditRequest], templates: Sequence[str]) -> SplitBatch:
    """Rows: every request in every template (with its target), then each request's KL prompt."""
    tok = handle.tokenizer
    with tokenizer_lock(handle):
        targets = [target_ids(tok, r.target_new) for r in requests]
        items = [in_template(t, r, targets[i]) for i, r in enumerate(requests) for t in templates]
        items += [item_for(f"{r.subject} is a", r.subject) for r in requests]
        return encode_split(tok, items, handle.device, pad_id_of(tok))


def _prefix_cache(handle: ModelHandle, batch: SplitBatch) -> Callable[[], Any]:
    """Run the prefixes once; return a function giving their KV cache as it was right after that pass (None when
    every row starts with its subject's last token), for one step's suffix pass to extend."""
    if batch.split == 0:
        return lambda: None
    with torch.no_grad():
        out = handle.model(**batch.prefix_inputs())
    cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
    layers = getattr(cache, "layers", None)
    if layers is None or not all(isinstance(layer, DynamicLayer) for layer in layers):
        return lambda: copy.deepcopy(cache)  # a cache kind that may write in place: copy it whole
    # A dynamic layer's update rebinds its keys/values to new tensors (torch.cat), never writing into the
    # prefix's, so putting each layer's attributes back restores the prefix cache exactly, without a copy.
    saved = [dict(vars(layer)) for layer in layers]

    def fresh() -> Any:
        for layer, state in zip(layers, saved):
            vars(layer).clear()
            vars(layer).update(state)
        return cache

    return fresh


def _clamp(delta: torch.Tensor, max_norm: torch.Tensor) -> None:
    norm = delta.norm(dim=-1)
    scale = torch.where(norm > max_norm, max_norm / norm.clamp_min(1e-12), torch.ones_like(norm))
    delta.mul_(scale[:, None])


def _floats(t: torch.Tensor | None) -> tuple[float, ...]:
    return () if t is None else tuple(round(float(x), 4) for x in t)
