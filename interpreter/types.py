"""The interpreter's output types: what a message was understood to ask for. Nothing here applies anything.

Every offset (:class:`Span`) points into the caller's original text, so a UI can highlight what each intent,
triple and mention came from.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

Lang = Literal["en", "zh"]
Source = Literal["rules", "llm"]


class IntentKind(StrEnum):
    """What the user wants done."""

    EDIT = "edit"  # add or replace facts
    FORGET = "forget"  # remove a fact from the KG and unlearn it from the model
    QUERY = "query"  # a question answered from the KG
    ROLLBACK = "rollback"  # undo an edit, the last n edits, or go back to a version
    ASK = "ask"  # a chat turn the model answers (optionally grounded in KG facts)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """``text[start:end]`` of the original message."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class EntityRef(_Frozen):
    """An entity mention as written and as normalised, or a query variable (``var``, with ``id`` None).

    ``linked`` is True when ``id`` names an entity that already exists in the KG's entity index; otherwise
    ``id`` is :func:`kg.ids.entity_id` of the mention (a new entity, or no index was given).
    """

    text: str
    id: str | None = None
    var: str | None = None
    linked: bool = False
    score: float = Field(default=1.0, ge=0.0, le=1.0)
    span: Span | None = None

    @model_validator(mode="after")
    def _id_or_var(self) -> "EntityRef":
        if (self.id is None) == (self.var is None):
            raise ValueError("an entity reference has exactly one of id and var")
        return self

    @property
    def key(self) -> str:
        """The normalised id, or ``?var`` for a variable."""
        return self.id if self.id is not None else f"?{self.var}"


class RelationRef(_Frozen):
    """A relation phrase as written and the schema relation it was matched to."""

    text: str
    name: str
    score: float = Field(ge=0.0, le=1.0)
    method: Literal["template", "name", "alias", "fuzzy", "embedding"]
    span: Span | None = None


class Triple(_Frozen):
    """(subject, relation, object). ``object`` None means "every current object" (``forget X's capital``)."""

    subject: EntityRef
    relation: RelationRef
    object: EntityRef | None = None
    span: Span | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The normalised form: ``(subject id, relation name, object id)``; variables appear as ``?name``."""
        return (self.subject.key, self.relation.name, self.object.key if self.object else None)


class RollbackTarget(_Frozen):
    """Exactly one of: an edit id, a version to return to, or the number of most recent edits to undo."""

    edit_id: str | None = None
    version: int | None = Field(default=None, ge=0)
    last: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> "RollbackTarget":
        if sum(v is not None for v in (self.edit_id, self.version, self.last)) != 1:
            raise ValueError("a rollback names exactly one of edit_id, version, last")
        return self


class CypherQuery(_Frozen):
    """A parameterised, read-only Cypher query over the KG data model. Values travel only in ``params``."""

    cypher: str
    params: dict[str, Any]
    template: Literal["one_hop", "chain", "check", "pattern"]
    answer: str | None = None  # the variable the query returns; None for a yes/no check


class Intent(_Frozen):
    """One thing the user asked for, with the triples it concerns.

    ``supersedes`` lists facts the user said are no longer true as part of an edit ("Y replaced X as CEO").
    ``query`` is set for ``query`` intents, ``rollback`` for ``rollback`` ones, ``question`` for ``ask`` (and
    ``query``) ones.
    """

    kind: IntentKind
    triples: list[Triple] = Field(default_factory=list)
    supersedes: list[Triple] = Field(default_factory=list)
    rollback: RollbackTarget | None = None
    query: CypherQuery | None = None
    question: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    span: Span
    source: Source = "rules"


class Candidate(_Frozen):
    """One option offered in a clarification: a relation name or an entity id, with its score."""

    name: str
    label: str
    score: float = Field(ge=0.0, le=1.0)


class Clarification(_Frozen):
    """The interpreter would have to guess: ask the user to choose among ``candidates`` instead."""

    kind: Literal["relation", "entity"]
    reason: Literal["unknown", "ambiguous", "low_confidence"]
    mention: str
    question: str
    candidates: list[Candidate]
    intent: IntentKind
    span: Span


class Interpretation(BaseModel):
    """Everything understood from one message: intents in message order, and what needs clarifying.

    Serialised with ``needs_clarification``; reading one back ignores that (derived) key.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str
    lang: Lang
    intents: list[Intent] = Field(default_factory=list)
    clarifications: list[Clarification] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_clarification(self) -> bool:
        """True when some part of the message could not be understood without asking the user."""
        return bool(self.clarifications)
