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


# --- models: registry, loading, locks, ledger --------------------------------------------------------------


class ModelNotFound(NotFound):
    """No model is registered under ``name`` (or its files are gone). ``known`` lists the registered names."""

    def __init__(self, name: str, known: list[str], *, hint: str = ""):
        self.name = name
        self.known = known
        listing = ", ".join(sorted(known)) or "none"
        super().__init__(f"unknown model {name!r}; known models: {listing}" + (f". {hint}" if hint else ""))


class ModelLoadError(KGEditError):
    """A model's files exist but could not be loaded or converted."""


class UnsupportedArchitecture(ModelLoadError):
    """The model's architecture has no entry in kgedit's architecture tables (or transformers cannot load it)."""

    http_status = 422


class HubAccessBlocked(ModelLoadError):
    """Loading tried to reach a model hub; kgedit loads local files only."""


class ModelBusy(Conflict):
    """A model's read/write lock could not be taken within the timeout."""


class ModelUnloaded(Conflict):
    """A handle was used after its model was unloaded; get a fresh handle from the registry."""


class LedgerError(KGEditError):
    """The weight-delta ledger could not record, apply or revert a change; the weights were left as they were."""


class LedgerDrift(LedgerError):
    """A tensor's checksum is not what the ledger expects: the weights changed outside the ledger."""


class LedgerCorrupt(LedgerError):
    """A ledger file is missing or its checksum does not match."""


class RevertOrderError(LedgerError, Conflict):
    """A record cannot be reverted before later records that touch the same tensors. ``blocking`` lists them."""

    http_status = 409

    def __init__(self, record_id: str, blocking: list[str]):
        self.record_id = record_id
        self.blocking = blocking
        super().__init__(
            f"record {record_id} cannot be reverted while later records touching the same tensors are applied: "
            f"{', '.join(blocking)}; revert those first or pass cascade=True"
        )


class LedgerNotFound(NotFound):
    """A record id or model-state id is not in the ledger."""
