"""``KGEdit``: the library surface. Everything is reachable from one object; the API, SDK and CLI are shells.

This first slice covers the versioned knowledge graph. Model edits, forgetting and users arrive with the
controller issue and are added here method by method.
"""

from __future__ import annotations

import getpass
import logging
from pathlib import Path
from typing import Any

from kg.errors import InvalidInput
from kg.io import read_triples, write_facts
from kg.records import Commit, CommitKind, CommitResult, Diff, Entity, Fact, TripleIn
from kg.settings import Settings
from kg.store import GraphStore

log = logging.getLogger(__name__)


class KGEdit:
    """One kgedit instance over a data directory. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, settings: Settings, store: GraphStore):
        self.settings = settings
        self.store = store

    @classmethod
    def open(cls, home: str | Path | None = None, *, settings: Settings | None = None, **overrides: Any) -> "KGEdit":
        """Open kgedit on a data directory (default ``KGEDIT_HOME`` or ``~/.kgedit``)."""
        settings = settings or Settings.load(home=home, **overrides)
        settings.home.mkdir(parents=True, exist_ok=True)
        store = GraphStore.open(settings.resolved_store_uri, user=settings.store_user,
                                password=settings.store_password, database=settings.store_database)
        return cls(settings, store)

    def __enter__(self) -> "KGEdit":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- reading -------------------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.store.head

    def facts(self, entity: str, *, at: int | None = None, relation: str | None = None) -> list[Fact]:
        return self.store.facts(entity, at=at, relation=relation)

    def entity(self, name: str) -> Entity:
        return self.store.entity(name)

    def neighbourhood(self, entity: str, *, depth: int = 1, at: int | None = None) -> list[Fact]:
        return self.store.neighbourhood(entity, depth=depth, at=at)

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, at: int | None = None,
              write: bool = False) -> list[dict[str, Any]]:
        return self.store.query(cypher, params, at=at, write=write)

    def log(self, *, limit: int | None = None) -> list[Commit]:
        return self.store.log(limit=limit)

    def diff(self, from_version: int, to_version: int) -> Diff:
        return self.store.diff(from_version, to_version)

    # -- writing -------------------------------------------------------------------------------------------

    def add_facts(self, triples: list[TripleIn], *, author: str | None = None, message: str = "",
                  expected_version: int | None = None) -> CommitResult:
        """Add facts to the KG only (no model edit) as one commit."""
        return self.store.commit(add=triples, author=_author(author), kind=CommitKind.EDIT, message=message,
                                 expected_version=expected_version)

    def import_file(self, path: str | Path, *, fmt: str | None = None, author: str | None = None,
                    add_unknown_relations: bool = False, progress: bool = False) -> CommitResult:
        """Import a CSV/N-Triples/Turtle/JSON-LD file as one commit; nothing is applied if any line is bad."""
        triples = list(read_triples(path, fmt))
        return self.store.import_triples(triples, author=_author(author), message=f"import {Path(path).name}",
                                         source=Path(path).name, add_unknown_relations=add_unknown_relations,
                                         progress=progress)

    def export_file(self, path: str | Path, *, fmt: str | None = None, at: int | None = None) -> int:
        return write_facts(self.store.all_facts(at=at), path, fmt)

    def rollback(self, *, commit: int | None = None, to_version: int | None = None,
                 author: str | None = None) -> CommitResult:
        """Undo one commit or return to a version, as a new rollback commit."""
        if (commit is None) == (to_version is None):
            raise InvalidInput("give exactly one of commit or to_version")
        if commit is not None:
            return self.store.rollback_commit(commit, author=_author(author))
        return self.store.rollback_to(to_version, author=_author(author))

    def load_demo(self, *, progress: bool = False) -> CommitResult | None:
        """Import the shipped demo KG (countries, capitals, languages, currencies, borders) if the KG is empty."""
        from kg.demo import demo_csv_path

        if self.store.head:
            return None
        return self.import_file(demo_csv_path(), author="kgedit-demo", progress=progress)


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"
