"""Re-running only the blocks from the edited one up: the value optimisation's steps after the first.

The shift ``δ`` enters at one module inside transformer block ``L``. Nothing below block ``L`` depends on it, so
what block ``L`` receives (hidden states, mask, position embeddings, the KV cache) is the same at every step. One
full forward records the calls of blocks ``L`` and above; a step then calls those blocks directly with the
recorded arguments, then the final norm and the LM head: the same modules, hooks and arguments as the full
forward, minus the blocks below ``L`` (for ROME's layer 5 of 30, a sixth of the forward).

Whether that reproduces the model's own forward is checked once per optimisation (:meth:`BlockReplay.matches`);
an architecture that does something else between or after its blocks falls back to full forwards. The check runs
at ``δ = 0``, so it would not notice a model that passes block outputs to later blocks as extra arguments (none
of the supported families, llama, qwen2, gemma3 and gpt2, does; checked on tiny random models of each).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from models import ModelHandle


class BlockReplay:
    """Records and replays the calls of the blocks from the one that holds ``module`` up."""

    def __init__(self, handle: ModelHandle, module: str) -> None:
        self.arch = handle.arch
        self.config = handle.model.config
        self.first = block_of(handle, module)
        self._calls: dict[int, tuple[tuple, dict[str, Any]]] = {}  # block -> its arguments after the hidden states
        self._hidden: torch.Tensor | None = None  # what the first block received
        self._cache: Any = None

    @property
    def ready(self) -> bool:
        """A block holds the module, and every block from it up was recorded (hidden states passed positionally)."""
        blocks = range(self.first, self.arch.num_layers) if self.first is not None else ()
        return bool(blocks) and self._hidden is not None and all(i in self._calls for i in blocks)

    @contextmanager
    def recording(self, cache: Any) -> Iterator[None]:
        """Record the block calls of the forward run inside the block (on this thread only); ``cache`` is the KV
        cache that forward gets, to be swapped for the cache of each replay."""
        if self.first is None:
            yield
            return
        owner, handles = threading.get_ident(), []
        self._calls.clear()
        self._hidden, self._cache = None, cache

        def keep(i: int):
            def hook(module: torch.nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
                if threading.get_ident() != owner or not args:
                    return
                self._calls[i] = (args[1:], dict(kwargs))
                if i == self.first:  # independent of δ: it is computed below the change
                    self._hidden = args[0].detach()
            return hook

        try:
            for i in range(self.first, self.arch.num_layers):
                handles.append(self.arch.layer(i).register_forward_pre_hook(keep(i), with_kwargs=True))
            yield
        finally:
            for handle in handles:
                handle.remove()

    def logits(self, cache: Any, keep: torch.Tensor) -> torch.Tensor:
        """Logits at sequence positions ``keep`` (1-D), running the recorded blocks on ``cache`` (the prefix
        cache as it was for the recorded forward)."""
        hidden = self._hidden
        for i in range(self.first, self.arch.num_layers):
            args, kwargs = self._calls[i]
            args = tuple(self._swap(v, cache) for v in args)
            kwargs = {k: self._swap(v, cache) for k, v in kwargs.items()}
            out = self.arch.layer(i)(hidden, *args, **kwargs)
            hidden = out[0] if isinstance(out, tuple) else out
        logits = self.arch.lm_head()(self.arch.final_norm()(hidden)[:, keep])
        cap = getattr(self.config, "final_logit_softcapping", None)
        return torch.tanh(logits / cap) * cap if cap else logits

    def _swap(self, value: Any, cache: Any) -> Any:
        """``cache`` in place of the recorded forward's cache, anything else as recorded."""
        return cache if value is self._cache and value is not None else value

    def matches(self, cache: Any, keep: torch.Tensor, expected: torch.Tensor) -> bool:
        """Whether a replay now gives ``expected``, the recorded forward's logits (δ unchanged since)."""
        if not self.ready:
            return False
        with torch.no_grad():
            got = self.logits(cache, keep)
        return got.shape == expected.shape and torch.allclose(got, expected.detach(), rtol=1e-4, atol=1e-4)


def block_of(handle: ModelHandle, module: str) -> int | None:
    """Index of the transformer block that is or contains the module at path ``module`` (None: none does)."""
    for i in range(handle.arch.num_layers):
        path = handle.arch.layer_path(i)
        if module == path or module.startswith(path + "."):
            return i
    return None
