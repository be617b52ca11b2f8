"""Scoring an interpretation against the expected intents of a labelled request (used by the bench and the
tests). A request is right only if every intent matches exactly: kind, normalised triples (in any order within
an intent; query variables compared by order of appearance), superseded triples and rollback target."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from interpreter.types import Intent, IntentKind, Interpretation

TripleKey = tuple[str, str, str | None]


class LabelledRequest(BaseModel):
    """One line of the request set. ``expect`` is a list of intents, or ``"clarify"``."""

    model_config = ConfigDict(extra="ignore")

    id: str
    text: str
    lang: str
    split: str = "dev"
    tags: list[str] = Field(default_factory=list)
    expect: list[dict[str, Any]] | str


def load_requests(path: str | Path) -> list[LabelledRequest]:
    """Read a JSONL request set."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [LabelledRequest.model_validate(json.loads(line)) for line in lines if line.strip()]


def expected_kind(request: LabelledRequest) -> str:
    """The first expected intent kind, or ``clarify``."""
    return request.expect if isinstance(request.expect, str) else str(request.expect[0]["kind"])


def is_correct(request: LabelledRequest, result: Interpretation) -> bool:
    """Whether ``result`` is exactly what ``request`` expects.

    An expected clarification is met by any clarification, provided no edit or forget was read alongside.
    """
    if request.expect == "clarify":
        return bool(result.clarifications) and not any(
            i.kind in (IntentKind.EDIT, IntentKind.FORGET) for i in result.intents)
    if result.clarifications:
        return False
    return [normalise_intent(i) for i in result.intents] == [_expected(e) for e in request.expect]


def normalise_intent(intent: Intent) -> tuple[Any, ...]:
    """A comparable form of an intent."""
    rollback = intent.rollback.model_dump(exclude_none=True) if intent.rollback else None
    if intent.kind in (IntentKind.ASK, IntentKind.ROLLBACK):
        return (intent.kind.value, (), (), rollback)
    return (intent.kind.value, _canon([t.key for t in intent.triples]),
            _canon([t.key for t in intent.supersedes]), rollback)


def _expected(item: dict[str, Any]) -> tuple[Any, ...]:
    kind = item["kind"]
    rollback = dict(item.get("rollback", {})) or None
    if kind in ("ask", "rollback"):
        return (kind, (), (), rollback)
    return (kind, _canon(_keys(item.get("triples", []))), _canon(_keys(item.get("supersedes", []))), rollback)


def _keys(rows: list[list[str | None]]) -> list[TripleKey]:
    return [(str(s), str(r), o) for s, r, o in rows]


def _canon(triples: Iterable[TripleKey]) -> tuple[TripleKey, ...]:
    """Sort the triples with variables masked, then rename variables by first appearance (?v0, ?v1, ...),
    so neither the order of triples nor the model's variable names matter."""
    def mask(term: str | None) -> str:
        return "?" if term is None or term.startswith("?") else term

    ordered = sorted(triples, key=lambda t: (mask(t[0]), t[1], mask(t[2]), t[2] is None))
    names: dict[str, str] = {}

    def rename(term: str | None) -> str | None:
        if term is not None and term.startswith("?"):
            return names.setdefault(term, f"?v{len(names)}")
        return term

    return tuple((rename(s) or s, r, rename(o)) for s, r, o in ordered)


def describe(result: Interpretation) -> list[Any]:
    """A short, JSON-friendly summary of what was read (for failure listings)."""
    out: list[Any] = [list(normalise_intent(i)) for i in result.intents]
    out += [{"clarify": c.kind, "reason": c.reason, "mention": c.mention} for c in result.clarifications]
    return out
