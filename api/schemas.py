"""Request and response bodies shared by routes and the SDK client (``*Create`` in, ``*Public`` out)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from controller.journal import Intent
from controller.users import Role

_TEXT = Field(min_length=1, max_length=1000)

#: Versions are 64-bit integers in every store; larger numbers are refused as input (422), never sent on.
MAX_VERSION = 2**63 - 1


class TripleCreate(BaseModel):
    """A fact to add: names, not ids; the relation by name or alias."""

    model_config = ConfigDict(extra="forbid")

    subject: str = _TEXT
    relation: str = Field(min_length=1, max_length=200)
    object: str = _TEXT


class ForgetTriple(BaseModel):
    """A fact to retire; ``object`` null retires every value of the relation."""

    model_config = ConfigDict(extra="forbid")

    subject: str = _TEXT
    relation: str = Field(min_length=1, max_length=200)
    object: str | None = Field(default=None, min_length=1, max_length=1000)


class _TextOrTriples(BaseModel):
    text: str | None = Field(default=None, min_length=1, description="One natural-language request instead of "
                             "triples (read by the interpreter; messages with several requests go to /v1/submit).")
    expected_version: int | None = Field(default=None, ge=0, le=MAX_VERSION,
                                         description="Refuse (409) unless the KG is at this version.")

    @model_validator(mode="after")
    def _one_of(self) -> "_TextOrTriples":
        if bool(self.text) == bool(getattr(self, "triples")):
            raise ValueError("give either triples or text")
        return self


class EditCreate(_TextOrTriples):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"triples": [{"subject": "France", "relation": "capital", "object": "Lyon"}]}]})

    triples: list[TripleCreate] = Field(default_factory=list, max_length=100)
    method: str | None = Field(default=None, max_length=40, description="Editing method (default from settings).")


class ForgetCreate(_TextOrTriples):
    model_config = ConfigDict(extra="forbid")

    triples: list[ForgetTriple] = Field(default_factory=list, max_length=100)


class RollbackCreate(BaseModel):
    """Exactly one target: an edit, a version to return to, one KG commit, or a user's edits since a time."""

    model_config = ConfigDict(extra="forbid")

    edit_id: str | None = Field(default=None, min_length=1, max_length=64)
    to_version: int | None = Field(default=None, ge=0, le=MAX_VERSION)
    commit: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    of_user: str | None = Field(default=None, min_length=1, max_length=64)
    since: str | None = Field(default=None, max_length=40, description="ISO time, with of_user.")


class RejectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)


class InterpretCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)


class SubmitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "The capital of France is now Lyon"}]})

    text: str = Field(min_length=1)
    method: str | None = Field(default=None, max_length=40)


class AskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)


class AskPublic(BaseModel):
    answer: str


class EditsPublic(BaseModel):
    data: list[Intent]
    count: int


class QueryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cypher: str = Field(min_length=1, max_length=20_000)
    params: dict[str, Any] = Field(default_factory=dict)
    at: int | None = Field(default=None, ge=0, le=MAX_VERSION)
    write: bool = Field(default=False, description="Allow write clauses (administrators only).")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: str = Field(default="editor", description="viewer, editor, reviewer or admin")


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="viewer, editor, reviewer or admin")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=200)


class UserPublic(BaseModel):
    name: str
    role: str

    @classmethod
    def of(cls, user: Any) -> "UserPublic":
        return cls(name=user.name, role=Role(user.role).name.lower())


class TokenPublic(BaseModel):
    user: str
    token: str = Field(description="Shown once; send it as `Authorization: Bearer <token>`.")


class Revoked(BaseModel):
    user: str
    revoked: int
