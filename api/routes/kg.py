"""Read routes over the versioned knowledge graph: facts, entities, neighbourhood, Cypher, versions, diff,
export. Any authenticated user (viewer and up) may read; Cypher writes are for administrators."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import CurrentUser, KGEditDep, current_user
from api.errors import InvalidQuery
from api.schemas import MAX_VERSION, QueryCreate
from kg.errors import StoreError
from kg.records import Commit, Diff, Entity, Fact

router = APIRouter(prefix="/v1", tags=["kg"], dependencies=[Depends(current_user)])

_MEDIA = {"csv": "text/csv", "nt": "application/n-triples", "ttl": "text/turtle", "jsonld": "application/ld+json"}


class VersionsPublic(BaseModel):
    head: int
    data: list[Commit]
    count: int


@router.get("/facts/{entity}")
def facts(kge: KGEditDep, entity: str, at: int | None = Query(None, ge=0, le=MAX_VERSION),
          relation: str | None = None) -> list[Fact]:
    """Facts about an entity (name or id), outgoing and incoming, visible at version ``at`` (default head)."""
    return kge.facts(entity, at=at, relation=relation)


@router.get("/entities")
def entities(kge: KGEditDep, q: str | None = Query(None, max_length=200),
             limit: int = Query(50, ge=1, le=1000)) -> list[Entity]:
    """Entities whose name contains ``q`` (all if omitted), in id order."""
    return kge.entities(contains=q, limit=limit)


@router.get("/entities/{name}")
def entity(kge: KGEditDep, name: str) -> Entity:
    return kge.entity(name)


@router.get("/relations")
def relations(kge: KGEditDep) -> list[dict[str, Any]]:
    """The relation schema, with the prompt templates edits are rendered with."""
    return kge.relations()


@router.get("/neighbourhood/{entity}")
def neighbourhood(kge: KGEditDep, entity: str, depth: int = Query(1, ge=1, le=4),
                  at: int | None = Query(None, ge=0, le=MAX_VERSION)) -> list[Fact]:
    return kge.neighbourhood(entity, depth=depth, at=at)


@router.post("/query")
def query(kge: KGEditDep, user: CurrentUser, body: QueryCreate) -> list[dict[str, Any]]:
    """Cypher; read-only unless ``write`` (administrators). ``visible(f)`` and ``$at`` time-travel."""
    try:
        return kge.query(body.cypher, body.params, at=body.at, write=body.write, user=user)
    except StoreError as e:  # the store rejected the caller's query text: the caller's error, not the server's
        raise InvalidQuery(f"the query failed: {e}") from e


@router.get("/log")
def log(kge: KGEditDep, limit: int = Query(50, ge=1, le=10_000)) -> list[Commit]:
    """Commits, newest first."""
    return kge.log(limit=limit)


@router.get("/versions")
def versions(kge: KGEditDep, limit: int = Query(50, ge=1, le=10_000)) -> VersionsPublic:
    """The head version and the newest commits."""
    commits = kge.log(limit=limit)
    return VersionsPublic(head=kge.version, data=commits, count=len(commits))


@router.get("/versions/{version}")
def version(kge: KGEditDep, version: int = PathParam(ge=0, le=MAX_VERSION)) -> Commit:
    return kge.version_info(version)


@router.get("/diff")
def diff(kge: KGEditDep, from_version: int = Query(ge=0, le=MAX_VERSION),
         to_version: int = Query(ge=0, le=MAX_VERSION)) -> Diff:
    """Facts added and removed going from one version to another."""
    return kge.diff(from_version, to_version)


@router.get("/export", response_class=Response,
            responses={200: {"content": {m: {} for m in _MEDIA.values()}, "description": "The facts as a file."}})
def export(kge: KGEditDep, format: Literal["csv", "nt", "ttl", "jsonld"] = "csv",
           at: int | None = Query(None, ge=0, le=MAX_VERSION)) -> Response:
    """The visible facts (at a version) as CSV, N-Triples, Turtle or JSON-LD."""
    with tempfile.TemporaryDirectory(prefix="kgedit-export-") as folder:
        path = Path(folder) / f"kg.{format}"
        count = kge.export_file(path, fmt=format, at=at)
        data = path.read_bytes()
    name = f"kg-v{kge.version if at is None else at}.{format}"
    return Response(data, media_type=_MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                         "X-Kgedit-Facts": str(count)})
