"""Who may change what: protected relations, per-user bursts of conflicting edits, content screening.

Returns a verdict; the controller logs and applies it. Content screening is delegated to the content guard
(``controller.guard``) when it is available.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from controller.journal import Journal, Status
from controller.plan import EditPlan
from controller.users import Role, User
from kg.schema import RelationSchema

Action = Literal["allow", "quarantine", "refuse"]
_SEVERITY = {"allow": 0, "quarantine": 1, "refuse": 2}


class PolicyVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: Action = "allow"
    reasons: list[str] = Field(default_factory=list)

    def merge(self, other: "PolicyVerdict") -> "PolicyVerdict":
        action = max(self.action, other.action, key=_SEVERITY.__getitem__)
        return PolicyVerdict(action=action, reasons=[*self.reasons, *other.reasons])


class EditPolicy:
    """The rules an edit must pass before anything changes."""

    def __init__(self, schema: RelationSchema, journal: Journal, *, content_guard: object | None = None,
                 burst_limit: int = 5, burst_window: timedelta = timedelta(minutes=10)):
        self.schema = schema
        self.journal = journal
        self.content_guard = content_guard
        self.burst_limit = burst_limit
        self.burst_window = burst_window

    def check(self, user: User, triples: Sequence[tuple[str, str, str | None]], plan: EditPlan | None,
              text: str | None = None) -> PolicyVerdict:
        verdict = self._content(text, triples)
        verdict = verdict.merge(self._protected(user, triples))
        if plan is not None and plan.retire:
            verdict = verdict.merge(self._burst(user))
        return verdict

    def _content(self, text: str | None, triples: Sequence[tuple[str, str, str | None]]) -> PolicyVerdict:
        if self.content_guard is None:
            return PolicyVerdict()
        result = self.content_guard.check(text=text, triples=[(s, r, o or "") for s, r, o in triples])
        action = str(result.action)
        return PolicyVerdict(action=action, reasons=list(result.reasons) if action != "allow" else [])

    def _protected(self, user: User, triples: Sequence[tuple[str, str, str | None]]) -> PolicyVerdict:
        if user.role >= Role.REVIEWER:
            return PolicyVerdict()
        names = sorted({self.schema.get(r).name for _, r, _ in triples if self.schema.get(r).protected})
        if not names:
            return PolicyVerdict()
        return PolicyVerdict(action="quarantine", reasons=[
            f"relation {', '.join(names)} is protected: a reviewer must approve edits by {user.name}"])

    def _burst(self, user: User) -> PolicyVerdict:
        since = (datetime.now(UTC) - self.burst_window).isoformat(timespec="microseconds")
        recent = [i for i in self.journal.list(user=user.name, since=since, status=Status.COMMITTED)
                  if i.plan and i.plan.get("retire")]
        if len(recent) < self.burst_limit:
            return PolicyVerdict()
        minutes = int(self.burst_window.total_seconds() // 60)
        return PolicyVerdict(action="quarantine", reasons=[
            f"{user.name} made {len(recent)} conflicting edits in {minutes} minutes (limit {self.burst_limit}): "
            f"held for review"])
