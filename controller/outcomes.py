"""What the controller hands back to callers (SDK, API, CLI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from controller.plan import PlannedFact
from kg.errors import Forbidden, KGEditError
from kg.records import Fact


class EditOutcome(BaseModel):
    """The result of an edit, forget or rollback request."""

    model_config = ConfigDict(frozen=True)

    edit_id: str
    status: str  # committed | quarantined | unchanged
    kind: str
    version: int | None = None
    added: list[PlannedFact] = Field(default_factory=list)
    retired: list[Fact] = Field(default_factory=list)
    unchanged: list[PlannedFact] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    model: dict[str, Any] | None = None  # records applied/reverted, verification, model state


class EditRefused(Forbidden):
    """The toxic-knowledge guard or the policy refused the edit. ``reasons`` says why; it is logged."""

    def __init__(self, edit_id: str, reasons: list[str]):
        self.edit_id = edit_id
        self.reasons = reasons
        super().__init__(f"edit {edit_id} refused: {'; '.join(reasons)}")


class EditFailed(KGEditError):
    """The model did not take the edit (verification failed); nothing was committed."""

    http_status = 422
