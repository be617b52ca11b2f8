"""Reading activations at the subject's last token: keys (inputs of ``mlp_out``) and module outputs.

A key ``k*`` is the input of a layer's MLP output projection (the post-activation vector, size d_ff) at the last
subject token, averaged over the context templates (``"{}"`` plus generated prefixes), as in ROME and MEMIT.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from editors._common.hooks import StopForward, forward_hooks, run_until_stopped
from editors._common.tokens import Item, encode, item_for, pad_id_of, tokenizer_lock
from editors.requests import EditRequest
from models import ModelHandle


def in_template(template: str, request: EditRequest, target: Sequence[int] = ()) -> Item:
    """The request's prompt put into ``template`` (``"... {}"``), subject located after the prefix."""
    prefix = template.index("{}")
    text = template.replace("{}", request.prompt, 1)
    return item_for(text, request.subject, target, offset=prefix)


def capture(
    handle: ModelHandle, items: Sequence[Item], *, inputs: Sequence[str] = (), outputs: Sequence[str] = ()
) -> dict[str, torch.Tensor]:
    """One forward over ``items``: the input (resp. output) of each named module at each row's subject-last
    token, as ``{"in:<path>" | "out:<path>": [rows, dim]}`` float32 tensors. The pass stops once everything is
    captured.
    """
    with tokenizer_lock(handle):
        batch = encode(handle.tokenizer, items, handle.device, pad_id_of(handle.tokenizer))
    rows = torch.arange(len(items), device=handle.device)
    found: dict[str, torch.Tensor] = {}
    wanted = len(inputs) + len(outputs)

    def grab(key: str):
        def fn(x: torch.Tensor, *, hook: str) -> None:
            found[key] = x.detach()[rows, batch.subject].float()
            if len(found) == wanted:
                raise StopForward
        return fn

    hooks_in = {p: grab(f"in:{p}") for p in inputs}
    hooks_out = {p: grab(f"out:{p}") for p in outputs}
    with torch.no_grad(), forward_hooks(handle.model, outputs=hooks_out, inputs=hooks_in):
        run_until_stopped(handle.model, **batch.model_inputs())
    return found


def subject_keys(
    handle: ModelHandle, requests: Sequence[EditRequest], layers: Sequence[int], templates: Sequence[str],
    *, output_of: str | None = None,
) -> tuple[dict[int, torch.Tensor], torch.Tensor | None]:
    """Template-averaged keys ``{layer: [n_requests, d_ff]}``; with ``output_of``, also that module's output at
    the bare prompt (``"{}"``, the first template) per request, ``[n_requests, d]``.
    """
    items = [in_template(t, r) for r in requests for t in templates]
    paths = {layer: handle.arch.mlp_out_path(layer) for layer in layers}
    found = capture(handle, items, inputs=list(paths.values()), outputs=[output_of] if output_of else [])
    n, m = len(requests), len(templates)
    keys = {layer: found[f"in:{p}"].view(n, m, -1).mean(1) for layer, p in paths.items()}
    bare = found[f"out:{output_of}"].view(n, m, -1)[:, 0] if output_of else None
    return keys, bare
