"""Generation and the model registry: list, load, unload, memory (load/unload for administrators)."""

from __future__ import annotations

import dataclasses

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


class MemoryPublic(BaseModel):
    budget_bytes: int
    used_bytes: int
    models: dict[str, int]


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
    return [ModelPublic(**dataclasses.asdict(m)) for m in kge.registry.list()]


@router.get("/models/memory")
def memory(kge: KGEditDep, user: CurrentUser) -> MemoryPublic:
    return MemoryPublic(**dataclasses.asdict(kge.registry.memory()))


@router.post("/models/{name}/load")
def load(kge: KGEditDep, user: AdminUser, name: str) -> ModelPublic:
    """Load a registered model now (first use would load it anyway)."""
    kge.registry.get(name)
    return next(ModelPublic(**dataclasses.asdict(m)) for m in kge.registry.list() if m.name == name)


@router.post("/models/{name}/unload")
def unload(kge: KGEditDep, user: AdminUser, name: str) -> Unloaded:
    """Unload a model (waits for its readers); ``unloaded`` is false when it was not loaded."""
    return Unloaded(name=name, unloaded=kge.registry.unload(name, timeout=30))
