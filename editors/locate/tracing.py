"""Causal tracing (§2.1): which hidden states carry a fact, per token, layer and module kind.

One clean run records every block's output (``hidden``), MLP output (``mlp``) and attention output (``attn``).
Corrupted runs add ``noise · N(0, I)`` to the subject's token embeddings (``noise`` = 3 × the standard deviation
of the embedding matrix by default). For each token ``i`` and layer ``l``, the clean state is restored in the
corrupted run (for ``mlp``/``attn``: in a window of ``window`` layers around ``l``), and the indirect effect is

    IE(i, l) = P_restored(answer) − P_corrupted(answer),

averaged over ``samples`` noise draws. All layers of one (kind, token) go through the model as one batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from editors._common.tokens import tokenizer_lock
from editors.base import check_requests
from editors.locate.hooks import first, hooked, with_first
from editors.locate.results import KINDS, CausalTrace
from editors.locate.tokens import prompt_ids, subject_range, target_ids
from editors.requests import EditRequest
from kg.errors import InvalidInput
from models import Arch, ModelHandle



def causal_trace(handle: ModelHandle, prompt: str, subject: str, *, answer: str | None = None, samples: int = 10,
                 noise: float | None = None, window: int = 10, kinds: Sequence[str] = KINDS,
                 tokens: str = "all", seed: int = 0) -> CausalTrace:
    """Trace ``prompt`` (whose ``subject`` is corrupted) for the probability of ``answer``'s first token (the
    model's own greedy next token when None).

    ``tokens="all"`` traces every position; ``"key"`` only the last subject token and the last token (cheaper).

    Raises:
        InvalidInput: the subject is not in the prompt, an unknown kind, or bad counts.
    """
    if samples < 1 or window < 1 or not kinds or any(k not in KINDS for k in kinds) or tokens not in ("all", "key"):
        raise InvalidInput(f"causal tracing needs samples >= 1, window >= 1, kinds from {KINDS}, tokens all|key")
    tok = handle.tokenizer
    with tokenizer_lock(handle):
        ids = prompt_ids(tok, prompt)
        lo, hi = subject_range(tok, prompt, subject)
        answer_ids = None if answer is None else target_ids(tok, answer)
    if answer_ids == []:
        raise InvalidInput(f"answer {answer!r} tokenises to nothing")
    with handle.reading() as model:
        arch = handle.arch
        clean, probs = _clean_run(model, arch, ids)
        answer_id = int(probs.argmax()) if answer_ids is None else answer_ids[0]
        nu = float(3 * arch.embed().weight.detach().float().std()) if noise is None else noise
        gen = torch.Generator().manual_seed(seed)
        draws = torch.randn(samples, hi - lo, clean["hidden"][0].shape[-1], generator=gen) * nu
        positions = list(range(len(ids))) if tokens == "all" else sorted({hi - 1, len(ids) - 1})
        runner = _Corrupted(model, arch, ids, (lo, hi), draws, answer_id)
        p_corrupt = float(runner.baseline())
        effects = {k: [(runner.restored(k, clean[k], i, window) - p_corrupt).tolist() for i in positions]
                   for k in kinds}
    row = {i: n for n, i in enumerate(positions)}
    return CausalTrace(
        prompt=prompt, tokens=[tok.decode([t]) for t in ids], subject=subject, subject_range=(lo, hi),
        answer=tok.decode([answer_id]), answer_id=answer_id, p_clean=float(probs[answer_id]), p_corrupt=p_corrupt,
        noise=nu, samples=samples, window=window, num_layers=arch.num_layers, traced_tokens=positions,
        effects=effects, subject_effect={k: effects[k][row[hi - 1]] for k in kinds},
        last_effect={k: effects[k][row[len(ids) - 1]] for k in kinds},
        peak={k: max(range(arch.num_layers), key=lambda l, k=k: effects[k][row[hi - 1]][l]) for k in kinds},
    )


def locate_layer(handle: ModelHandle, requests: Sequence[EditRequest], *, position: str = "subject",
                 kind: str = "mlp", samples: int = 3, window: int = 10) -> int:
    """The layer whose ``kind`` (default MLP) indirect effect, averaged over ``requests``, is largest at the last
    subject token (``position="subject"``, ROME/MEMIT-style) or at the last prompt token (``"last"``, where GRACE
    and WISE intervene). Used to pick the edited layer of an architecture without a table entry.

    Raises:
        InvalidInput: bad requests or an unknown position/kind.
    """
    check_requests(handle, requests)
    if position not in ("subject", "last"):
        raise InvalidInput(f"position must be 'subject' or 'last', not {position!r}")
    total = torch.zeros(handle.arch.num_layers)
    for request in requests:
        trace = causal_trace(handle, request.prompt, request.subject, samples=samples, window=window, kinds=[kind],
                             tokens="key")
        total += torch.tensor(trace.subject_effect[kind] if position == "subject" else trace.last_effect[kind])
    return int(total.argmax())


class _Corrupted:
    """Batched corrupted runs of one prompt: rows are (layer group, noise sample)."""

    def __init__(self, model: nn.Module, arch: Arch, ids: list[int], span: tuple[int, int], draws: torch.Tensor,
                 answer_id: int) -> None:
        self.model, self.arch, self.span, self.draws, self.answer_id = model, arch, span, draws, answer_id
        self.ids = torch.tensor([ids], device=_device(model))

    def baseline(self) -> torch.Tensor:
        """Mean P(answer) over the noise samples, nothing restored."""
        return self._run(1, {}).mean()

    def restored(self, kind: str, clean: list[torch.Tensor], pos: int, window: int) -> torch.Tensor:
        """[layers] mean P(answer) with ``kind`` restored at token ``pos`` around each layer."""
        n, s = self.arch.num_layers, self.draws.shape[0]
        group = torch.arange(n * s, device=self.ids.device) // s  # the layer each row restores
        hooks = {}
        for layer in range(n):
            if kind == "hidden":
                rows = group == layer
            else:  # a window of `window` layers centred on the row's layer, as upstream
                rows = (group - window // 2 <= layer) & (layer < group + (window + 1) // 2)
            hooks[_path(self.arch, kind, layer)] = _restore(rows, pos, clean[layer][0, pos])
        return self._run(n, hooks).reshape(n, s).mean(dim=1)

    def _run(self, groups: int, hooks: dict) -> torch.Tensor:
        s = self.draws.shape[0]
        lo, hi = self.span
        noise = self.draws.repeat(groups, 1, 1).to(self.ids.device)

        def corrupt(output, *, inputs, module):
            out = output.clone()
            out[:, lo:hi] += noise.to(out.dtype)
            return out

        ids = self.ids.expand(groups * s, -1)
        with hooked(self.model, {self.arch.facts.embed: corrupt, **hooks}), torch.no_grad():
            logits = self.model(input_ids=ids, use_cache=False, logits_to_keep=1).logits[:, -1]
        return logits.float().softmax(dim=-1)[:, self.answer_id]


def _restore(rows: torch.Tensor, pos: int, value: torch.Tensor):
    def fn(output, *, inputs, module):
        if not bool(rows.any()):
            return None
        hidden = first(output).clone()
        hidden[rows, pos] = value.to(hidden.dtype)
        return with_first(output, hidden)
    return fn


def _clean_run(model: nn.Module, arch: Arch, ids: list[int]) -> tuple[dict[str, list[torch.Tensor]], torch.Tensor]:
    n = arch.num_layers
    seen: dict[str, list[torch.Tensor | None]] = {k: [None] * n for k in KINDS}

    def grab(kind: str, layer: int):
        def fn(output, *, inputs, module):
            seen[kind][layer] = first(output).detach()
        return fn

    hooks = {_path(arch, k, layer): grab(k, layer) for k in KINDS for layer in range(n)}
    with hooked(model, hooks), torch.no_grad():
        logits = model(input_ids=torch.tensor([ids], device=_device(model)), use_cache=False).logits[0, -1]
    return seen, logits.float().softmax(dim=-1)  # type: ignore[return-value]


def _path(arch: Arch, kind: str, layer: int) -> str:
    if kind == "hidden":
        return arch.layer_path(layer)
    return arch.mlp_path(layer) if kind == "mlp" else arch.attn_out_path(layer)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device
