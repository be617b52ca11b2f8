"""kgedit interpreter: natural language (English and Chinese) to typed intents with triples.

It reads and never applies anything: the controller decides what to do with an :class:`Interpretation`.
Its names are imported on first use: ``interpreter.embedder`` (which the toxic-knowledge guard needs at every
start) then loads without the LLM adapter and LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.lazy import lazy_exports

if TYPE_CHECKING:
    from interpreter.entities import EntityIndex, InMemoryEntityIndex
    from interpreter.interpreter import Interpreter
    from interpreter.readonly import is_read_only
    from interpreter.settings import InterpreterSettings
    from interpreter.types import Clarification, Intent, IntentKind, Interpretation, Triple

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "interpreter.entities": ("EntityIndex", "InMemoryEntityIndex"),
    "interpreter.interpreter": ("Interpreter",),
    "interpreter.readonly": ("is_read_only",),
    "interpreter.settings": ("InterpreterSettings",),
    "interpreter.types": ("Clarification", "Intent", "IntentKind", "Interpretation", "Triple"),
})
