"""Typed errors of the interpreter, each a subclass of a :mod:`kg.errors` class so the API maps it unchanged."""

from __future__ import annotations

from kg.errors import InvalidInput, KGEditError, ReadOnlyQuery


class EmptyInput(InvalidInput):
    """The message is empty or only whitespace."""

    def __init__(self) -> None:
        super().__init__("the message is empty")


class InputTooLarge(InvalidInput):
    """The message is longer than the configured maximum (``max_chars``)."""

    def __init__(self, length: int, max_chars: int):
        self.length = length
        self.max_chars = max_chars
        super().__init__(f"the message has {length} characters; the maximum is {max_chars}")


class TooManyClauses(InvalidInput):
    """The message has more sentences than the configured maximum (``max_clauses``)."""

    def __init__(self, count: int, max_clauses: int):
        self.count = count
        self.max_clauses = max_clauses
        super().__init__(f"the message has {count} sentences; the maximum is {max_clauses}")


class UnsupportedLanguage(InvalidInput):
    """The caller asked for a language the interpreter does not read (it reads ``en`` and ``zh``)."""

    def __init__(self, lang: str):
        self.lang = lang
        super().__init__(f"unsupported language {lang!r}; supported: en, zh")


class BinaryInput(InvalidInput):
    """The message is not text: invalid UTF-8 bytes, NUL or other control characters.

    ``position`` is the offset (in bytes for undecodable input, in characters otherwise) of the first bad one.
    """

    def __init__(self, reason: str, *, position: int | None = None):
        self.reason = reason
        self.position = position
        where = f" at offset {position}" if position is not None else ""
        super().__init__(f"the message is not plain text: {reason}{where}")


class LLMOutputError(KGEditError):
    """The chat model's reply could not be turned into valid intents after every retry.

    ``raw`` keeps the last reply verbatim and ``attempts`` every reply, so a caller can log or show them.
    Nothing from these replies was used.
    """

    http_status = 502

    def __init__(self, message: str, *, raw: str, attempts: list[str] | None = None):
        self.raw = raw
        self.attempts = attempts or [raw]
        super().__init__(f"{message}; last reply: {raw[:200]!r}")


class LLMUnavailable(KGEditError):
    """The chat model raised while generating (it is down, misconfigured or out of memory)."""

    http_status = 503


class UnsafeQuery(ReadOnlyQuery):
    """A generated Cypher query contains a write clause; it was refused before anything ran."""

    def __init__(self, cypher: str, keywords: list[str]):
        self.cypher = cypher
        self.keywords = keywords
        super().__init__(f"query is not read-only (uses {', '.join(keywords)}): {cypher[:200]!r}")
