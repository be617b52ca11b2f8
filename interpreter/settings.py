"""The interpreter's knobs, one frozen object passed in (never read from the environment here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from kg.settings import Settings


class InterpreterSettings(BaseModel):
    """Limits and thresholds of :class:`interpreter.Interpreter`.

    Relation phrases resolve by exact alias first, then by spelling (``fuzzy_min``), then by embedding cosine:
    at or above ``relation_accept`` with a lead of ``relation_margin`` over the next relation they resolve;
    between ``relation_clarify`` and ``relation_accept`` (or without the lead) the user is asked; below, the
    relation is unknown. Entity mentions follow the same shape with the ``entity_*`` thresholds; below
    ``entity_clarify`` a mention is a new entity.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_chars: int = Field(default=20_000, ge=1)
    max_clauses: int = Field(default=200, ge=1, description="Pieces of one message parsed; the rest is refused.")
    fuzzy_min: float = Field(default=0.84, ge=0.0, le=1.0)
    relation_accept: float = Field(default=0.72, ge=0.0, le=1.0)
    relation_clarify: float = Field(default=0.5, ge=0.0, le=1.0)
    relation_margin: float = Field(default=0.04, ge=0.0, le=1.0)
    entity_accept: float = Field(default=0.9, ge=0.0, le=1.0)
    entity_clarify: float = Field(default=0.8, ge=0.0, le=1.0)
    max_candidates: int = Field(default=3, ge=1)
    llm_retries: int = Field(default=2, ge=0, description="Extra attempts after a malformed LLM reply.")
    canonical_direction: bool = Field(
        default=True, description="Write inverse-pair facts in the direction of the relation listed first.")

    @classmethod
    def from_settings(cls, settings: "Settings", **overrides: object) -> "InterpreterSettings":
        """Take the product-wide limits (``max_request_chars``) from kgedit's :class:`~kg.settings.Settings`."""
        return cls(max_chars=settings.max_request_chars, **overrides)
