"""The LLM path: any LangChain chat model, or :class:`LocalChatModel` over a plain ``generate`` callable."""

from interpreter.llm.local import LocalChatModel

__all__ = ["LocalChatModel"]
