"""The logit lens: what each layer's residual stream would predict if the model stopped there.

For every block, its output at one position goes through the final norm and the LM head; the view lists the
top tokens per layer and, for a given answer, its probability and rank (it typically rises in the late layers).
"""

from __future__ import annotations

import torch

from editors._common.tokens import tokenizer_lock
from editors.locate.hooks import first, hooked
from editors.locate.results import LensLayer, LogitLens
from editors.locate.tokens import prompt_ids, target_ids
from kg.errors import InvalidInput
from models import ModelHandle


def logit_lens(handle: ModelHandle, prompt: str, *, answer: str | None = None, top_k: int = 5,
               position: int = -1) -> LogitLens:
    """Read every layer's residual stream at ``position`` (default: the last prompt token).

    Raises:
        InvalidInput: an empty prompt, ``top_k`` < 1, a position outside the prompt, or an empty answer.
    """
    tok = handle.tokenizer
    with tokenizer_lock(handle):
        ids = prompt_ids(tok, prompt)
        answer_ids = None if answer is None else target_ids(tok, answer)
    if not ids or top_k < 1 or not -len(ids) <= position < len(ids):
        raise InvalidInput("logit lens needs a non-empty prompt, top_k >= 1 and a position inside the prompt")
    answer_id = None
    if answer_ids is not None:
        if not answer_ids:
            raise InvalidInput(f"answer {answer!r} tokenises to nothing")
        answer_id = answer_ids[0]
    with handle.reading() as model:
        arch = handle.arch
        states: list[torch.Tensor] = [torch.empty(0)] * arch.num_layers

        def grab(layer: int):
            def fn(output, *, inputs, module):
                states[layer] = first(output)[0, position].detach()
            return fn

        with hooked(model, {arch.layer_path(i): grab(i) for i in range(arch.num_layers)}), torch.no_grad():
            model(input_ids=torch.tensor([ids], device=next(model.parameters()).device), use_cache=False,
                  logits_to_keep=1)
            probs = arch.lm_head()(arch.final_norm()(torch.stack(states))).float().softmax(dim=-1)
    return LogitLens(prompt=prompt, position=position % len(ids), token=tok.decode([ids[position]]),
                     answer=answer, layers=[_reading(tok, i, p, top_k, answer_id) for i, p in enumerate(probs)])


def _reading(tok, layer: int, probs: torch.Tensor, top_k: int, answer_id: int | None) -> LensLayer:
    values, indices = probs.topk(top_k)
    top = [(tok.decode([int(i)]), float(v)) for v, i in zip(values, indices)]
    if answer_id is None:
        return LensLayer(layer=layer, top=top)
    rank = int((probs > probs[answer_id]).sum())
    return LensLayer(layer=layer, top=top, answer_prob=float(probs[answer_id]), answer_rank=rank)
