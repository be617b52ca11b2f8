"""Edits through the controller's transaction: submit, forget, list, review (approve/reject), roll back, and
interpret text. Roles are checked by the controller (editor to edit, reviewer to review, admin for versions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, KGEditDep
from api.errors import NotImplementedYet
from api.schemas import (AskCreate, AskPublic, EditCreate, EditsPublic, ForgetCreate, InterpretCreate, RejectCreate,
                         RollbackCreate, SubmitCreate)
from controller.journal import Intent, Status
from controller.outcomes import EditOutcome
from kg.errors import InvalidInput
from kg.records import CommitResult

router = APIRouter(prefix="/v1", tags=["edits"])

_CONFLICT = {409: {"description": "The KG is not at expected_version, or the edit is not in a state for this."}}
_NO_TEXT = ("natural-language requests need the interpreter, which is not wired into this service's facade; "
            "send structured triples instead")


@router.post("/edits", responses={**_CONFLICT, 501: {"description": "Text requests are not available yet."}})
def submit_edit(kge: KGEditDep, user: CurrentUser, body: EditCreate) -> EditOutcome:
    """Add or replace facts in the KG and the model (editor). A quarantined edit waits for a reviewer."""
    if body.text:
        return _one_outcome(_submit(kge, body.text, user=user, method=body.method), "edit")
    triples = [(t.subject, t.relation, t.object) for t in body.triples]
    return kge.edit(triples, method=body.method, user=user, expected_version=body.expected_version)


@router.post("/forget", responses={**_CONFLICT, 501: {"description": "Text requests are not available yet."}})
def forget(kge: KGEditDep, user: CurrentUser, body: ForgetCreate) -> EditOutcome:
    """Retire facts (``object`` null: every value) and unlearn them from the model (editor)."""
    if body.text:
        return _one_outcome(_submit(kge, body.text, user=user), "forget")
    triples = [(t.subject, t.relation, t.object) for t in body.triples]
    return kge.forget(triples, user=user, expected_version=body.expected_version)


@router.get("/edits")
def list_edits(kge: KGEditDep, user: CurrentUser, status_: Status | None = Query(None, alias="status"),
               by: str | None = Query(None, alias="user", max_length=64),
               limit: int = Query(50, ge=1, le=1000)) -> EditsPublic:
    """The edit journal, newest first, filtered by status and user."""
    data = kge.edits(status=status_, user=by, limit=limit)
    return EditsPublic(data=data, count=len(data))


@router.get("/edits/{edit_id}")
def get_edit(kge: KGEditDep, user: CurrentUser, edit_id: str) -> Intent:
    return kge.get_edit(edit_id)


@router.post("/edits/{edit_id}/approve", responses=_CONFLICT)
def approve(kge: KGEditDep, user: CurrentUser, edit_id: str) -> EditOutcome:
    """Apply a quarantined edit (reviewer)."""
    return kge.approve(edit_id, user=user)


@router.post("/edits/{edit_id}/reject", responses=_CONFLICT)
def reject(kge: KGEditDep, user: CurrentUser, edit_id: str, body: RejectCreate | None = None) -> Intent:
    """Reject a quarantined edit (reviewer)."""
    return kge.reject(edit_id, reason=body.reason if body else "", user=user)


@router.post("/edits/{edit_id}/rollback", responses=_CONFLICT)
def rollback_edit(kge: KGEditDep, user: CurrentUser, edit_id: str) -> EditOutcome:
    """Undo one committed edit in the model and the KG (the author, or a reviewer)."""
    return kge.rollback(edit_id=edit_id, user=user)  # type: ignore[return-value]


@router.post("/rollback", responses=_CONFLICT)
def rollback(kge: KGEditDep, user: CurrentUser, body: RollbackCreate) -> EditOutcome | list[EditOutcome] | CommitResult:
    """Roll back one edit, everything after a version (admin), one KG commit (admin), or a user's edits since
    a time. Answers an outcome, a list of outcomes (``of_user``), or a KG commit result (``commit``)."""
    return kge.rollback(edit_id=body.edit_id, to_version=body.to_version, commit=body.commit,
                        of_user=body.of_user, since=body.since, user=user)


@router.post("/interpret", responses={501: {"description": "The interpreter is not wired in yet."}})
def interpret(kge: KGEditDep, user: CurrentUser, body: InterpretCreate) -> dict[str, Any]:
    """What the interpreter understood from a message (intents, triples, clarifications); applies nothing."""
    if not hasattr(kge, "interpret"):
        raise NotImplementedYet(_NO_TEXT.replace("requests need", "interpretation needs"))
    return kge.interpret(body.text).model_dump(mode="json")


@router.post("/submit", responses={501: {"description": "The interpreter is not wired in yet."}})
def submit(kge: KGEditDep, user: CurrentUser, body: SubmitCreate) -> list[dict[str, Any]]:
    """Carry out a natural-language message: one answer per request in it (edit, forget, rollback, query,
    question). An ambiguous message is answered 422 with the clarification questions and ``suggestions``."""
    return [a.model_dump(mode="json") for a in _submit(kge, body.text, user=user, method=body.method)]


@router.post("/ask", responses={501: {"description": "The interpreter is not wired in yet."}})
def ask(kge: KGEditDep, user: CurrentUser, body: AskCreate) -> AskPublic:
    """Answer a question with the model, grounded in the KG's current facts about what it mentions."""
    if not hasattr(kge, "ask"):
        raise NotImplementedYet(_NO_TEXT.replace("requests need", "questions need"))
    return AskPublic(answer=kge.ask(body.question))


def _submit(kge: Any, text: str, **kw: Any) -> list[Any]:
    if not hasattr(kge, "submit"):
        raise NotImplementedYet(_NO_TEXT)
    return kge.submit(text, **kw)


def _one_outcome(answers: list[Any], kind: str) -> EditOutcome:
    outcomes = [a.outcome for a in answers if a.outcome is not None]
    if len(answers) != 1 or len(outcomes) != 1 or answers[0].intent != kind:
        read = ", ".join(a.intent for a in answers) or "nothing"
        raise InvalidInput(f"the message was read as: {read}; POST /v1/{kind}{'s' if kind == 'edit' else ''} "
                           f"takes one {kind} request; send other messages to /v1/submit")
    return outcomes[0]
