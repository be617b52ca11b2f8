"""A LangChain chat model over a plain ``generate(messages) -> str`` callable.

The model registry supplies that callable for the local default model (SmolLM2); this module only adapts it to
LangChain's :class:`~langchain_core.language_models.BaseChatModel`, so the interpreter never imports model code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

GenerateFn = Callable[[list[dict[str, str]]], str]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "chat": "user"}


class LocalChatModel(BaseChatModel):
    """Wraps ``generate_fn(messages: list[{"role", "content"}]) -> str`` as a LangChain chat model.

    >>> model = LocalChatModel(generate_fn=lambda msgs: f"echo: {msgs[-1]['content']}")
    >>> model.invoke("hi").content
    'echo: hi'
    """

    generate_fn: GenerateFn
    model_name: str = "local"

    @property
    def _llm_type(self) -> str:
        return "kgedit-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.generate_fn([to_role_dict(m) for m in messages])
        if stop:  # the callable knows nothing of stop words: cut at the first one, as LangChain promises
            text = _cut_at_stop(text, stop)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def to_role_dict(message: BaseMessage) -> dict[str, str]:
    """A LangChain message as the ``{"role", "content"}`` dict chat templates expect."""
    content = message.content if isinstance(message.content, str) else str(message.content)
    return {"role": _ROLES.get(message.type, "user"), "content": content}


def _cut_at_stop(text: str, stop: list[str]) -> str:
    cuts = [i for i in (text.find(s) for s in stop) if i >= 0]
    return text[: min(cuts)] if cuts else text
