"""Typed errors for the whole product.

Every failure a caller can act on has its own subclass of :class:`KGEditError`. The API maps these to HTTP
status codes in one table (see ``api``); the CLI turns them into a one-line message and a non-zero exit.
They live in ``kg`` because ``kg`` is the bottom of the dependency graph: every other package may import it.
"""

from __future__ import annotations


class KGEditError(Exception):
    """Root of every error kgedit raises on purpose."""

    #: HTTP status the API answers with; subclasses override.
    http_status = 500


class InvalidInput(KGEditError, ValueError):
    """The caller's input is malformed (bad triple, bad file, bad parameter)."""

    http_status = 422


class NotFound(KGEditError, LookupError):
    """A named thing (entity, version, commit, model, relation) does not exist."""

    http_status = 404


class Conflict(KGEditError):
    """The request is valid but conflicts with the current state (e.g. the KG moved past expected_version)."""

    http_status = 409


class Forbidden(KGEditError, PermissionError):
    """The caller is not allowed to do this (role, read-only query, protected relation)."""

    http_status = 403


class StoreError(KGEditError):
    """The graph store failed or returned something inconsistent; the transaction was rolled back."""

    http_status = 500


class ConfigError(KGEditError):
    """Settings are invalid or incomplete."""

    http_status = 500


class UnknownRelation(NotFound):
    """A relation name is not in the schema. ``suggestions`` lists the nearest known relations."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown relation {name!r}{hint}")


class ReadOnlyQuery(Forbidden):
    """A write clause appeared in a query that was run read-only."""


class ImportFailed(InvalidInput):
    """A file could not be imported; ``line`` is the 1-based line (or record) that failed, if known."""

    def __init__(self, message: str, *, line: int | None = None, path: str | None = None):
        self.line = line
        self.path = path
        where = f"{path or 'input'}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


class RowCountMismatch(StoreError):
    """A batched write affected fewer rows than it was given (the store lost rows); nothing was committed."""
