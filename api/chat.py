"""OpenAI-compatible chat completions over a registered model, optionally grounded in the KG.

Grounding (on by default, ``kg_grounding: false`` turns it off): the entities named in the last user message
are found by :meth:`KGEdit.mentioned_entities` (runs of up to five words matched against entity names and
aliases), and their current facts (each relation once before repeats) are given to the model as a system message, so the answer can follow the KG even
before an edit has reached the weights. The facts used come back in the answer's ``kg_context`` field.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.generation import DecodingOptions
from kg.records import Fact


class ContentPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer"]
    content: str | list[ContentPart]

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class ChatCompletionCreate(BaseModel):
    """The subset of OpenAI's request that a local model can honour; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(default=None, max_length=64, description="Registered model; default from settings.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    max_tokens: int | None = Field(default=None, ge=1, le=512)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=512)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="0 or absent: greedy decoding.")
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2**62)
    n: int = Field(default=1, ge=1, le=1, description="One choice per request.")
    stream: bool = Field(default=False, description="Streaming is not supported; must be false.")
    kg_grounding: bool = Field(default=True, description="Give the model the KG's facts about entities named in "
                               "the last user message (kgedit extension).")

    @field_validator("stream")
    @classmethod
    def _no_stream(cls, value: bool) -> bool:
        if value:
            raise ValueError("streaming is not supported; send stream: false")
        return value

    @property
    def limit(self) -> int:
        return self.max_completion_tokens or self.max_tokens or 128

    def decoding(self) -> DecodingOptions:
        if not self.temperature:
            return DecodingOptions()
        return DecodingOptions(decoding="sampling", temperature=self.temperature, top_p=self.top_p or 1.0,
                               seed=self.seed)

    def last_user_text(self) -> str:
        return next((m.text for m in reversed(self.messages) if m.role == "user"), "")


class KGContext(BaseModel):
    version: int
    entities: list[str]
    facts: list[Fact]


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int
    message: ChoiceMessage
    finish_reason: Literal["stop", "length"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    kg_context: KGContext | None = None


def grounding(kge: Any, text: str, *, entities: int, facts: int) -> KGContext | None:
    """The KG facts about entities named in ``text`` (None when none is named)."""
    found = kge.mentioned_entities(text, limit=entities) if text and entities else []
    if not found:
        return None
    chosen = [f for e in found for f in _spread(kge.facts(e.id), e.id)[:facts]]
    return KGContext(version=kge.version, entities=[e.name for e in found], facts=chosen)


def _spread(facts: list[Fact], entity: str) -> list[Fact]:
    """Facts ordered so that each relation appears once before any repeats, outgoing before incoming: a
    country's capital is not crowded out by its ten borders."""
    seen: dict[tuple[bool, str], int] = {}
    ranked = []
    for f in facts:
        key = (f.subject != entity, f.pred)
        seen[key] = seen.get(key, -1) + 1
        ranked.append((seen[key], key[0], f))
    return [f for _, _, f in sorted(ranked, key=lambda r: (r[0], r[1]))]


def system_note(context: KGContext) -> str:
    lines = [f"- {f.subject_name} | {f.pred.replace('_', ' ')} | {f.object_name}" for f in context.facts]
    return ("Current facts from the knowledge graph (they override anything you remember):\n" + "\n".join(lines))


def render(tokenizer: Any, messages: list[ChatMessage], context: KGContext | None) -> str:
    """The conversation in the model's chat template, ready for generation (``chat=False``)."""
    turns = [{"role": "system" if m.role == "developer" else m.role, "content": m.text} for m in messages]
    if context is not None:
        turns.insert(0, {"role": "system", "content": system_note(context)})
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    return "\n".join(f"{t['role']}: {t['content']}" for t in turns) + "\nassistant:"


def completion(model: str, text: str, prompt_tokens: int, completion_tokens: int, limit: int,
               context: KGContext | None) -> ChatCompletion:
    return ChatCompletion(
        id="chatcmpl-" + uuid.uuid4().hex[:24], created=int(time.time()), model=model,
        choices=[Choice(index=0, message=ChoiceMessage(content=text),
                        finish_reason="length" if completion_tokens >= limit else "stop")],
        usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                    total_tokens=prompt_tokens + completion_tokens),
        kg_context=context)
