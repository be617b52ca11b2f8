"""Context templates: short model-generated prefixes put before an edit prompt, so an edit holds in context.

As in ROME, a template is ``"<generated text>. {}"`` (the bare ``"{}"`` always comes first); prefixes start from
the seeds The / Therefore / Because / I / You and are sampled (top-k 5, fixed seed) from the model itself. They
depend on the weights, so :class:`TemplateCache` keys them by the model-state id; there is no module-level cache.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from models import ModelHandle, Sampling

SEEDS = ("The", "Therefore", "Because", "I", "You")


class TemplateCache:
    """Context templates per (model state, spec). Keep one per method instance."""

    def __init__(self, max_states: int = 8) -> None:
        self._cache: dict[tuple[str, tuple[tuple[int, int], ...]], tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._max_states = max_states

    def get(self, handle: ModelHandle, spec: Sequence[tuple[int, int]], seed: int = 0) -> tuple[str, ...]:
        """``("{}", ...)`` plus ``count`` generated prefixes of ``length`` tokens for each ``(length, count)``."""
        key = (handle.state_id, tuple((int(n), int(c)) for n, c in spec))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        templates = generate_templates(handle, key[1], seed)
        with self._lock:
            if len(self._cache) >= self._max_states:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = templates
        return templates


def generate_templates(handle: ModelHandle, spec: Sequence[tuple[int, int]], seed: int = 0) -> tuple[str, ...]:
    """Sample the prefixes (see the module docstring); ``spec`` is ``((length, count), ...)``."""
    templates = ["{}"]
    for length, count in spec:
        if count <= 0:
            continue
        seeds = [SEEDS[i % len(SEEDS)] for i in range(count)]
        texts = handle.generate(seeds, max_new_tokens=length, decoding=Sampling(top_k=5, seed=seed + length),
                                chat=False)
        for start, text in zip(seeds, texts):
            prefix = " ".join(f"{start}{text}".replace("{", " ").replace("}", " ").split())
            templates.append(prefix + ". {}")
    return tuple(templates)
