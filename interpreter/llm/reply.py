"""What the chat model is asked to produce, as pydantic models, and the repair that turns a sloppy reply into
one: code fences, prose around the JSON, trailing commas, single quotes, Python literals, truncated brackets."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interpreter.types import IntentKind

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}


class LLMTriple(BaseModel):
    """A raw (subject, relation, object) as the model wrote it. ``?x`` or null marks an unknown."""

    model_config = ConfigDict(frozen=True)

    subject: str
    relation: str
    object: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_list_or_aliases(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) not in (2, 3):
                raise ValueError("a triple has three parts: subject, relation, object")
            return dict(zip(("subject", "relation", "object"), value))
        if isinstance(value, dict):
            return {_KEYS.get(k, k): v for k, v in value.items()}
        return value

    @field_validator("subject", "relation", "object", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value.strip() if isinstance(value, str) else value
        if isinstance(value, (int, float)):
            return str(value)
        raise ValueError("triple parts are strings")


_KEYS = {"s": "subject", "head": "subject", "h": "subject", "r": "relation", "predicate": "relation",
         "p": "relation", "o": "object", "tail": "object", "t": "object"}


class LLMRollback(BaseModel):
    """Which edit(s) to undo."""

    edit_id: str | None = None
    version: int | None = Field(default=None, ge=0)
    last: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one(self) -> "LLMRollback":
        if sum(v is not None for v in (self.edit_id, self.version, self.last)) != 1:
            raise ValueError("rollback needs exactly one of edit_id, version, last")
        return self


_KIND_SYNONYMS = {"update": "edit", "add": "edit", "set": "edit", "change": "edit", "replace": "edit",
                  "delete": "forget", "remove": "forget", "unlearn": "forget", "question": "query",
                  "lookup": "query", "undo": "rollback", "revert": "rollback", "chat": "ask", "answer": "ask",
                  "other": "ask"}


class LLMIntent(BaseModel):
    """One intent as the model wrote it, checked for the fields its kind needs."""

    kind: IntentKind

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_synonym(cls, value: Any) -> Any:
        # Small models paraphrase the label ("question", "update"); the meaning is unambiguous, so map it.
        return _KIND_SYNONYMS.get(value.strip().casefold(), value.strip().casefold()) if isinstance(value, str) else value

    triples: list[LLMTriple] = Field(default_factory=list)
    supersedes: list[LLMTriple] = Field(default_factory=list)
    rollback: LLMRollback | None = None
    question: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "LLMIntent":
        needs_triples = self.kind in (IntentKind.EDIT, IntentKind.FORGET, IntentKind.QUERY)
        if needs_triples and not self.triples:
            raise ValueError(f"a {self.kind.value} intent needs at least one triple")
        if self.kind is IntentKind.EDIT and any(t.object is None for t in self.triples):
            raise ValueError("an edit triple needs an object")
        if self.kind is IntentKind.ROLLBACK and self.rollback is None:
            raise ValueError("a rollback intent needs a rollback target")
        return self


class LLMReply(BaseModel):
    """The whole reply: one or more intents."""

    intents: list[LLMIntent] = Field(min_length=1)


def parse_reply(raw: str) -> LLMReply:
    """Repair and validate a chat model's reply.

    Raises:
        ValueError: no JSON could be recovered, or it does not describe valid intents (pydantic's
            ``ValidationError`` is a ``ValueError``).

    >>> parse_reply('Sure! ```json\\n{"kind": "edit", "triples": [["France", "capital", "Paris"],]}\\n```').intents[0].kind
    <IntentKind.EDIT: 'edit'>
    """
    data = extract_json(raw)
    if isinstance(data, list):
        data = {"intents": data}
    elif isinstance(data, dict) and "intents" not in data:
        data = {"intents": [data]}
    return LLMReply.model_validate(data)


def extract_json(raw: str) -> Any:
    """The first JSON object or array in ``raw``, repaired.

    Raises:
        ValueError: nothing JSON-like is in the text.
    """
    fenced = _FENCE.search(raw)
    text = fenced.group(1) if fenced else raw
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("the reply contains no JSON object")
    candidate = _balanced(text[start:])
    for attempt in (candidate, _repaired(candidate)):
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            pass
    try:
        return ast.literal_eval(_repaired(candidate, python=True))
    except (ValueError, SyntaxError, MemoryError, RecursionError) as e:
        raise ValueError(f"the reply's JSON is malformed beyond repair: {e}") from e


def _balanced(text: str) -> str:
    """Cut ``text`` after the bracket closing its first one; close any left open (a truncated reply)."""
    stack: list[str] = []
    in_string, escaped = False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
            if not stack:
                return text[: i + 1]
    return text + ('"' if in_string else "") + "".join(reversed(stack))


def _repaired(text: str, *, python: bool = False) -> str:
    text = _TRAILING_COMMA.sub(r"\1", text.replace("“", '"').replace("”", '"'))
    if python:
        return re.sub(r"\b(true|false|null)\b", lambda m: {"true": "True", "false": "False", "null": "None"}[m.group(1)], text)
    if '"' not in text:
        text = text.replace("'", '"')
    return re.sub(r"\b(True|False|None)\b", lambda m: _PY_LITERALS[m.group(1)], text)
