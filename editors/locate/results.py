"""The results of knowledge locating as plain data (no torch): what the HTTP API and CLI return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

KINDS = ("hidden", "mlp", "attn")


class CausalTrace(BaseModel):
    """The result of :func:`causal_trace`, JSON-friendly (``trace.model_dump()``).

    ``effects[kind][i][l]`` is the indirect effect of restoring ``kind`` at token ``i`` and layer ``l`` (only the
    traced tokens have rows; ``traced_tokens`` lists them). ``subject_effect[kind][l]`` is the row of the last
    subject token, ``last_effect[kind][l]`` the row of the last token; ``peak[kind]`` the layer where the subject
    row is largest.
    """

    model_config = ConfigDict(frozen=True)

    prompt: str
    tokens: list[str]
    subject: str
    subject_range: tuple[int, int]
    answer: str
    answer_id: int
    p_clean: float
    p_corrupt: float
    noise: float
    samples: int
    window: int
    num_layers: int
    traced_tokens: list[int]
    effects: dict[str, list[list[float]]]
    subject_effect: dict[str, list[float]]
    last_effect: dict[str, list[float]]
    peak: dict[str, int]


class LensLayer(BaseModel):
    """One layer's reading: top tokens with probabilities, and the answer's probability and rank (0 = top)."""

    model_config = ConfigDict(frozen=True)

    layer: int
    top: list[tuple[str, float]]
    answer_prob: float | None = None
    answer_rank: int | None = None


class LogitLens(BaseModel):
    """The result of :func:`logit_lens`, JSON-friendly (``lens.model_dump()``)."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    position: int
    token: str
    answer: str | None
    layers: list[LensLayer]
