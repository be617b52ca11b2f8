"""Generation and the model registry: list, load, unload, memory (load/unload for administrators)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AdminUser, CurrentUser, KGEditDep
from api.generation import GenerateCreate, GeneratePublic

router = APIRouter(prefix="/v1", tags=["models"])


class ModelPublic(BaseModel):
    name: str
    source: str
    loaded: bool
    param_bytes: int | None = None
    state_id: str | None = None
    default: bool = False


class MemoryPublic(BaseModel):
    budget_bytes: int
    used_bytes: int
    models: dict[str, int]


class LedgerRecordPublic(BaseModel):
    id: str
    kind: str
    status: str
    created: float
    touched: list[str]
    meta: dict[str, Any]
    edit_id: str | None = None
    triples: list[list[str]] = []


class LineagePublic(BaseModel):
    model: str
    base_checksum: str
    state_id: str
    applied: list[str]
    states: list[str]
    records: list[LedgerRecordPublic]


class Unloaded(BaseModel):
    name: str
    unloaded: bool


@router.post("/generate")
def generate(kge: KGEditDep, user: CurrentUser, body: GenerateCreate) -> GeneratePublic:
    """Generate a continuation for each prompt with the chosen decoding (loads the model on first use)."""
    handle = kge.model(body.model)
    outputs = handle.generate(body.prompts, max_new_tokens=body.max_new_tokens, chat=body.chat,
                              decoding=body.strategy())
    return GeneratePublic(model=handle.name, outputs=outputs)


@router.get("/models")
def list_models(kge: KGEditDep, user: CurrentUser) -> list[ModelPublic]:
    """Registered models, loaded or not."""
    return [ModelPublic(**m) for m in kge.models()]


@router.get("/models/memory")
def memory(kge: KGEditDep, user: CurrentUser) -> MemoryPublic:
    return MemoryPublic(**dataclasses.asdict(kge.registry.memory()))


@router.post("/models/{name}/load")
def load(kge: KGEditDep, user: AdminUser, name: str) -> ModelPublic:
    """Load a registered model now (first use would load it anyway)."""
    return ModelPublic(**kge.load_model(name))


@router.post("/models/{name}/unload")
def unload(kge: KGEditDep, user: AdminUser, name: str) -> Unloaded:
    """Unload a model (waits for its readers); ``unloaded`` is false when it was not loaded."""
    return Unloaded(name=name, unloaded=kge.unload_model(name))


@router.get("/models/{name}/lineage")
def lineage(kge: KGEditDep, user: CurrentUser, name: str) -> LineagePublic:
    """How the model's weights came to be: base checksum, every ledger record with the edit that made it, and
    the state id after each applied record (loads the model on first use)."""
    return LineagePublic(**kge.lineage(name))
