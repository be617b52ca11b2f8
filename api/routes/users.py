"""Users, roles and API tokens. Administrators manage everyone; any user may see themselves and manage their own
tokens. The first token comes from the command line: ``kgedit users token $(whoami)``."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentUser, KGEditDep
from api.schemas import Revoked, RoleUpdate, TokenCreate, TokenPublic, UserCreate, UserPublic

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return UserPublic.of(user)


@router.get("/users")
def list_users(kge: KGEditDep, user: CurrentUser) -> list[UserPublic]:
    return [UserPublic.of(u) for u in kge.list_users(user=user)]


@router.post("/users", status_code=status.HTTP_201_CREATED, responses={409: {"description": "Name taken."}})
def add_user(kge: KGEditDep, user: CurrentUser, body: UserCreate) -> UserPublic:
    return UserPublic.of(kge.add_user(body.name, body.role, user=user))


@router.patch("/users/{name}")
def set_role(kge: KGEditDep, user: CurrentUser, name: str, body: RoleUpdate) -> UserPublic:
    return UserPublic.of(kge.set_role(name, body.role, user=user))


@router.post("/users/{name}/tokens", status_code=status.HTTP_201_CREATED)
def issue_token(kge: KGEditDep, user: CurrentUser, name: str, body: TokenCreate | None = None) -> TokenPublic:
    """A new token for ``name`` (shown once)."""
    return TokenPublic(user=name, token=kge.issue_token(name, label=body.label if body else "", user=user))


@router.delete("/users/{name}/tokens")
def revoke_tokens(kge: KGEditDep, user: CurrentUser, name: str) -> Revoked:
    """Revoke every token of ``name``."""
    return Revoked(user=name, revoked=kge.revoke_tokens(name, user=user))
