"""The LLM path: ask any LangChain chat model for intents, repair and validate the reply, retry with the error,
and give up with a typed error that keeps the raw replies. It returns the model's raw intents; turning them
into resolved :class:`~interpreter.types.Intent` objects is the interpreter's job, shared with the rules."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage

from interpreter.errors import LLMOutputError, LLMUnavailable
from interpreter.llm.prompt import build_messages, repair_request
from interpreter.llm.reply import LLMReply, parse_reply

log = logging.getLogger(__name__)
T = TypeVar("T")


class LLMExtractor:
    """Extracts intents with ``model``; ``retries`` extra attempts follow a malformed reply."""

    def __init__(self, model: BaseChatModel, *, relations: Sequence[str], retries: int = 2):
        self._model = model
        self._relations = list(relations)
        self._retries = retries

    def extract(self, text: str, convert: Callable[[LLMReply], T], *, hints: Sequence[str] = ()) -> T:
        """The model's intents for ``text``, passed through ``convert``.

        ``hints`` (relation names the text seems to mention) shorten the relation list in the prompt; without
        them the model sees every relation.

        ``convert`` runs inside the retry loop: a reply it rejects with ``ValueError`` (say, a triple whose
        subject is empty) is retried like malformed JSON, so nothing from a bad reply is ever used.

        Raises:
            LLMUnavailable: the model raised.
            LLMOutputError: every reply was malformed or invalid; ``raw``/``attempts`` keep the replies.
        """
        messages = build_messages(text, list(hints) or self._relations)
        attempts: list[str] = []
        error: ValueError | None = None
        for _ in range(self._retries + 1):
            raw = self._invoke(messages)
            attempts.append(raw)
            try:
                return convert(parse_reply(raw))
            except ValueError as e:  # pydantic's ValidationError is a ValueError too
                error = e
                log.info("LLM reply rejected (%s): %.200r", type(e).__name__, raw)
                messages = [*messages, AIMessage(raw), repair_request(str(e))]
        raise LLMOutputError(f"no valid intents after {len(attempts)} attempt(s)", raw=attempts[-1],
                             attempts=attempts) from error

    def _invoke(self, messages: list[BaseMessage]) -> str:
        try:
            reply = self._model.invoke(messages)
        except Exception as e:  # any provider failure, wrapped at this boundary
            raise LLMUnavailable(f"the chat model failed: {type(e).__name__}: {e}") from e
        content = reply.content
        return content if isinstance(content, str) else str(content)
