"""kgedit interpreter: natural language (English and Chinese) to typed intents with triples.

It reads and never applies anything: the controller decides what to do with an :class:`Interpretation`.
"""

from interpreter.entities import EntityIndex, InMemoryEntityIndex
from interpreter.interpreter import Interpreter
from interpreter.readonly import is_read_only
from interpreter.settings import InterpreterSettings
from interpreter.types import Clarification, Intent, IntentKind, Interpretation, Triple

__all__ = [
    "Clarification",
    "EntityIndex",
    "InMemoryEntityIndex",
    "Intent",
    "IntentKind",
    "Interpretation",
    "Interpreter",
    "InterpreterSettings",
    "Triple",
    "is_read_only",
]
