"""A loaded model as callers see it: weights behind a readers-writer lock, tokenizer, arch table, ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from kg.errors import ModelUnloaded
from models.arch import Arch
from models.generation import DecodingStrategy, TextGenerator
from models.ledger import Ledger
from models.loading import LoadedModel
from models.locks import RWLock


class ModelHandle:
    """One loaded model. Get it from :meth:`ModelRegistry.get`; never construct it yourself.

    Read the weights (forward passes, gradients for computing an edit) inside ``with handle.reading():``;
    change them only through ``handle.ledger``, which takes ``handle.writing()`` itself.
    """

    def __init__(self, name: str, loaded: LoadedModel, *, ledger: Ledger, lock: RWLock, dtype: torch.dtype) -> None:
        self.name = name
        self.tokenizer = loaded.tokenizer
        self.ledger = ledger
        self.dtype = dtype
        self._model: nn.Module | None = loaded.model
        self._lock = lock
        self._generator = TextGenerator(loaded.model, loaded.tokenizer)
        self.arch = Arch(loaded.facts, loaded.model)

    @property
    def model(self) -> nn.Module:
        """The torch model.

        Raises:
            ModelUnloaded: the registry unloaded it.
        """
        if self._model is None:
            raise ModelUnloaded(f"model {self.name!r} was unloaded; get it from the registry again")
        return self._model

    @property
    def closed(self) -> bool:
        return self._model is None

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def state_id(self) -> str:
        """Id of the current weights: base checksum plus the applied ledger records, in order."""
        return self.ledger.state_id

    @property
    def param_bytes(self) -> int:
        """Bytes held by the model's parameters and buffers (tied tensors counted once)."""
        if self._model is None:
            return 0
        seen: dict[int, int] = {}
        for t in (*self._model.parameters(), *self._model.buffers()):
            seen[id(t)] = t.numel() * t.element_size()
        return sum(seen.values())

    @contextmanager
    def reading(self, timeout: float | None = None) -> Iterator[nn.Module]:
        """Shared access to the weights for the block; yields the model.

        Raises:
            ModelBusy: not acquired within ``timeout`` seconds.
            ModelUnloaded: the model was unloaded.
        """
        with self._lock.reading(timeout):
            yield self.model

    @contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[nn.Module]:
        """Exclusive access for the block (the ledger's apply/revert use it); yields the model.

        Raises:
            ModelBusy: not acquired within ``timeout`` seconds.
            ModelUnloaded: the model was unloaded.
        """
        with self._lock.writing(timeout):
            yield self.model

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 32,
        decoding: DecodingStrategy | None = None,
        chat: bool = True,
        batch_size: int = 16,
        timeout: float | None = None,
    ) -> list[str]:
        """Generate under a read lock, so the weights cannot change mid-generation. See
        :meth:`models.generation.TextGenerator.generate`.

        Raises:
            InvalidInput: bad prompts or limits.
            ModelBusy: the read lock was not acquired within ``timeout`` seconds.
            ModelUnloaded: the model was unloaded.
        """
        with self.reading(timeout):
            return self._generator.generate(
                prompts, max_new_tokens=max_new_tokens, decoding=decoding, chat=chat, batch_size=batch_size
            )

    def close(self, timeout: float | None = None) -> None:
        """Drop the model (waits for readers and writers to finish). Later use raises ModelUnloaded."""
        with self._lock.writing(timeout):
            self.ledger.close()
            self._model = None
            self._generator = None  # type: ignore[assignment]
            self.arch = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        state = "unloaded" if self.closed else f"{self.arch.family}, {self.device}, {self.state_id}"
        return f"<ModelHandle {self.name!r} ({state})>"
