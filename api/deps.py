"""Dependencies shared by routes: the facade, the job runner, and the authenticated user (bearer tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.jobs import JobRunner
from api.options import ApiOptions
from controller.facade import KGEdit
from controller.users import Role, User

_bearer = HTTPBearer(auto_error=False, description="A token from `kgedit users token NAME`.")


def get_kgedit(request: Request) -> KGEdit:
    return request.app.state.kgedit


def get_jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


def get_options(request: Request) -> ApiOptions:
    return request.app.state.options


KGEditDep = Annotated[KGEdit, Depends(get_kgedit)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
OptionsDep = Annotated[ApiOptions, Depends(get_options)]


def current_user(kge: KGEditDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    """The user the bearer token belongs to. Raises Unauthorized (401) for a missing or unknown token."""
    return kge.users.authenticate(credentials.credentials if credentials else None)


CurrentUser = Annotated[User, Depends(current_user)]


def _require(role: Role, action: str):
    def check(user: CurrentUser) -> User:
        user.require(role, action)
        return user
    return check


AdminUser = Annotated[User, Depends(_require(Role.ADMIN, "do this (administrators only)"))]
