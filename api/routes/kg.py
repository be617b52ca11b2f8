"""Read routes over the versioned knowledge graph: health, facts, neighbourhood, Cypher, log, diff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import KGEditDep
from kg.records import Commit, Diff, Fact

router = APIRouter(tags=["kg"])


class QueryIn(BaseModel):
    cypher: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)
    at: int | None = None


class Health(BaseModel):
    status: str
    version: int


@router.get("/health")
def health(kge: KGEditDep) -> Health:
    return Health(status="ok", version=kge.version)


@router.get("/facts/{entity}")
def facts(kge: KGEditDep, entity: str, at: int | None = None, relation: str | None = None) -> list[Fact]:
    return kge.facts(entity, at=at, relation=relation)


@router.get("/neighbourhood/{entity}")
def neighbourhood(kge: KGEditDep, entity: str, depth: int = 1, at: int | None = None) -> list[Fact]:
    return kge.neighbourhood(entity, depth=depth, at=at)


@router.post("/query")
def query(kge: KGEditDep, body: QueryIn) -> list[dict[str, Any]]:
    """Read-only Cypher; ``visible(f)`` and ``$at`` time-travel."""
    return kge.query(body.cypher, body.params, at=body.at)


@router.get("/log")
def log(kge: KGEditDep, limit: int = 50) -> list[Commit]:
    return kge.log(limit=limit)


@router.get("/diff")
def diff(kge: KGEditDep, from_version: int, to_version: int) -> Diff:
    return kge.diff(from_version, to_version)
