"""Knowledge locating on the served model: causal tracing and the logit lens (``editors.locate``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUser, KGEditDep
from editors.locate.results import CausalTrace, LogitLens

router = APIRouter(prefix="/v1/locate", tags=["locate"])

Kind = Literal["mlp", "attn", "hidden"]


class TraceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"prompt": "The capital of France is", "subject": "France", "samples": 3}]})

    prompt: str = Field(min_length=1, max_length=2000)
    subject: str = Field(min_length=1, max_length=500, description="The part of the prompt to corrupt.")
    answer: str | None = Field(default=None, max_length=200, description="Traced answer (default: the model's own).")
    samples: int = Field(default=10, ge=1, le=100, description="Noise samples per corrupted run.")
    kinds: list[Kind] = Field(default=["hidden", "mlp", "attn"], min_length=1)
    all_tokens: bool = Field(default=False, description="Trace every position, not only the last subject token "
                                                        "and the last token.")
    model: str | None = Field(default=None, max_length=64)


class LensCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"prompt": "The capital of France is", "answer": " Paris"}]})

    prompt: str = Field(min_length=1, max_length=2000)
    answer: str | None = Field(default=None, max_length=200)
    top_k: int = Field(default=5, ge=1, le=50)
    model: str | None = Field(default=None, max_length=64)


@router.post("/trace")
def trace(kge: KGEditDep, user: CurrentUser, body: TraceCreate) -> CausalTrace:
    """Causal tracing: the indirect effect of restoring each layer's hidden state, MLP or attention output while
    the subject is corrupted with noise (422 when the subject is not in the prompt)."""
    return kge.trace(body.prompt, body.subject, answer=body.answer, samples=body.samples, kinds=list(body.kinds),
                     tokens="all" if body.all_tokens else "key", model=body.model)


@router.post("/lens")
def lens(kge: KGEditDep, user: CurrentUser, body: LensCreate) -> LogitLens:
    """The logit lens at the prompt's last token: each layer's top tokens and the answer's probability and rank."""
    return kge.lens(body.prompt, answer=body.answer, top_k=body.top_k, model=body.model)
