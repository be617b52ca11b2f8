"""``KGEdit``: the library surface. Everything is reachable from one object; the API, SDK and CLI are shells.

Open it on a data directory; it opens the graph store, the controller database (users, edit journal), and,
lazily on the first model edit, the model registry. Interrupted edits are finished or undone on open.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import re
from pathlib import Path
from typing import Any

from controller.db import ControllerDB
from controller.journal import Intent, Journal, Status
from controller.nl import Answer, NaturalLanguage
from controller.outcomes import EditOutcome
from controller.policy import EditPolicy
from controller.service import Controller
from controller.users import Role, User, UserStore
from kg.errors import InvalidInput, KGEditError
from kg.ids import entity_id
from kg.io import read_triples, write_facts
from kg.records import Commit, CommitKind, CommitResult, Diff, Entity, Fact, TripleIn
from kg.settings import Settings
from kg.store import GraphStore

log = logging.getLogger(__name__)

Triple = tuple[str, str, str]


class KGEdit:
    """One kgedit instance over a data directory. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, settings: Settings, store: GraphStore, db: ControllerDB, *, content_guard: Any = None):
        self.settings = settings
        self.store = store
        self.db = db
        self.users = UserStore(db)
        self.journal = Journal(db)
        self._registry: Any = None
        self._editors: dict[str, Any] = {}
        #: Methods per planned-fact role (primary / inverse / derived), tried in order until the model answers
        #: the fact; None = ``controller.modelsync.DEFAULT_CHAINS``. "" stands for the edit's method.
        self.edit_chains: dict[str, tuple[str, ...]] | None = None
        policy = EditPolicy(store.schema, self.journal, content_guard=content_guard)
        self.controller = Controller(store=store, journal=self.journal, policy=policy,
                                     model_sync=self._model_sync if settings.sync_model else None)
        self.local_user = self.users.ensure(_login_name(), Role.ADMIN)
        self.nl = NaturalLanguage(store, self.controller, answer=self._answer_question)

    @classmethod
    def open(cls, home: str | Path | None = None, *, settings: Settings | None = None, content_guard: Any = None,
             **overrides: Any) -> "KGEdit":
        """Open kgedit on a data directory (default ``KGEDIT_HOME`` or ``~/.kgedit``) and recover interrupted
        edits. ``overrides`` set any :class:`Settings` field (e.g. ``sync_model=False`` for the KG alone)."""
        settings = settings or Settings.load(home=home, **overrides)
        settings.home.mkdir(parents=True, exist_ok=True)
        store = GraphStore.open(settings.resolved_store_uri, user=settings.store_user,
                                password=settings.store_password, database=settings.store_database)
        if content_guard is None and settings.content_guard:
            from controller.guard import ContentGuard

            content_guard = ContentGuard()
        kge = cls(settings, store, ControllerDB(settings.home / "controller.db"), content_guard=content_guard)
        recovered = kge.controller.recover() if kge.journal.unfinished() else []
        if recovered:
            log.warning("recovered interrupted edits: %s", ", ".join(recovered))
        return kge

    def __enter__(self) -> "KGEdit":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
        self.store.close()
        self.db.close()

    # -- models ------------------------------------------------------------------------------------------------

    @property
    def registry(self) -> Any:
        """The model registry, created on first use (loading torch and the model takes seconds)."""
        if self._registry is None:
            from models import ModelRegistry

            self._registry = ModelRegistry(self.settings)
        return self._registry

    def model(self, name: str | None = None) -> Any:
        """The handle of a registered model (default: ``settings.default_model``)."""
        return self.registry.get(name or self.settings.default_model)

    def _model_sync(self, method: str | None) -> Any:
        from controller.modelsync import ModelSync  # imports torch: only when the model is needed

        return ModelSync(self.model(), self.journal, self.store.schema, method=method or self.settings.edit_method,
                         editor=self.editor, lang=self.settings.edit_lang, chains=self.edit_chains)

    def editor(self, name: str) -> Any:
        """One instance per editing method for this instance's lifetime, so statistics are computed once (and
        cached on disk under ``<home>/stats`` by the methods that need them)."""
        if name not in self._editors:
            from editors import get_method
            from editors.base import method_class

            needs_stats = getattr(method_class(name), "needs_stats", False)
            stats_home = self.settings.resolved_cache_dir
            self._editors[name] = get_method(name, home=stats_home) if needs_stats else get_method(name)
        return self._editors[name]

    def models(self) -> list[dict[str, Any]]:
        """Registered models, loaded or not (name, source, loaded, param_bytes, state_id, default).

        Before the registry exists (nothing loaded or registered in this process) the registrations are read
        from disk, without importing model code: ``kgedit models list`` answers at once.
        """
        if self._registry is None:
            from models.registrations import unloaded_infos

            infos = unloaded_infos(self.settings)
        else:
            infos = self.registry.list()
        return [{**dataclasses.asdict(m), "default": m.name == self.settings.default_model} for m in infos]

    def load_model(self, name: str) -> dict[str, Any]:
        """Load a registered model now (first use would load it anyway); its entry as :meth:`models` gives it."""
        self.registry.get(name)
        return next(m for m in self.models() if m["name"] == name)

    def unload_model(self, name: str) -> bool:
        """Unload a model (waits up to 30 s for its readers); False when it was not loaded."""
        return self.registry.unload(name, timeout=30)

    def lineage(self, name: str | None = None) -> dict[str, Any]:
        """How a model's weights came to be: the base checksum, every ledger record (applied or reverted, oldest
        first, with the edit that made it) and the state id after each applied record."""
        handle = self.model(name)
        ledger = handle.ledger
        made_by = {ref.record_id: (intent.edit_id, ref.triples) for intent in self.journal.list(limit=None)
                   for ref in intent.records if ref.model == handle.name}
        records = [{"id": e.id, "kind": e.kind, "status": e.status, "created": e.created,
                    "touched": list(e.touched), "meta": dict(e.meta),
                    "edit_id": made_by.get(e.id, (None, []))[0],
                    "triples": [list(t) for t in made_by.get(e.id, (None, []))[1]]} for e in ledger.entries()]
        return {"model": handle.name, "base_checksum": ledger.base_checksum, "state_id": ledger.state_id,
                "applied": list(ledger.applied), "states": ledger.lineage(), "records": records}

    def prepare_editor(self, method: str | None = None) -> dict[str, Any]:
        """Compute (or load from the cache) an editing method's statistics and context templates on the default
        model now, so the first edit does not wait for them (minutes for ROME/MEMIT/AlphaEdit on a CPU)."""
        from editors.base import prepare_method

        return prepare_method(self.editor(method or self.settings.edit_method), self.model())

    def generate(self, prompts: list[str], *, max_new_tokens: int = 32, chat: bool = True, **kw: Any) -> list[str]:
        return self.model().generate(prompts, max_new_tokens=max_new_tokens, chat=chat, **kw)

    # -- knowledge locating (editors.locate) ---------------------------------------------------------------

    def trace(self, prompt: str, subject: str, *, answer: str | None = None, samples: int = 10,
              kinds: list[str] | None = None, tokens: str = "key", model: str | None = None) -> Any:
        """Causal tracing of ``prompt`` with ``subject`` corrupted: the indirect effect per layer and module kind
        (``editors.locate.CausalTrace``). Raises InvalidInput for a subject not in the prompt or bad counts."""
        from editors.locate import KINDS, causal_trace

        return causal_trace(self.model(model), prompt, subject, answer=answer, samples=samples,
                            kinds=kinds or KINDS, tokens=tokens)

    def lens(self, prompt: str, *, answer: str | None = None, top_k: int = 5, model: str | None = None) -> Any:
        """The logit lens at the prompt's last token: every layer's top tokens and the answer's rank
        (``editors.locate.LogitLens``)."""
        from editors.locate import logit_lens

        return logit_lens(self.model(model), prompt, answer=answer, top_k=top_k)

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
              write: bool = False, user: User | str | None = None) -> list[dict[str, Any]]:
        if write:
            self._user(user).require(Role.ADMIN, "run write queries")
        return self.store.query(cypher, params, at=at, write=write)

    def log(self, *, limit: int | None = None) -> list[Commit]:
        return self.store.log(limit=limit)

    def diff(self, from_version: int, to_version: int) -> Diff:
        return self.store.diff(from_version, to_version)

    def edits(self, *, status: str | None = None, user: str | None = None, limit: int | None = 50) -> list[Intent]:
        """The edit journal, newest first."""
        return self.journal.list(status=Status(status) if status else None, user=user, limit=limit)

    def get_edit(self, edit_id: str) -> Intent:
        """One edit's journal record. Raises NotFound."""
        return self.journal.get(edit_id)

    def version_info(self, version: int) -> Commit:
        """The commit that made ``version``. Raises NotFound."""
        return self.store.commit_info(version)

    def relations(self) -> list[dict[str, Any]]:
        """The relation schema: name, cardinality, inverse, aliases, prompt and question templates."""
        return [r.to_dict() for r in self.store.schema]

    def entities(self, *, contains: str | None = None, limit: int | None = 100) -> list[Entity]:
        """Entities in id order; ``contains`` keeps those whose name contains it (case-insensitive)."""
        found = self.store.entities()
        if contains:
            needle = contains.casefold()
            found = [e for e in found if needle in e.name.casefold() or needle in e.id]
        return found[:limit] if limit else found

    def mentioned_entities(self, text: str, *, limit: int = 3, max_words: int = 5) -> list[Entity]:
        """Entities named in ``text`` (by name or alias, any case; "France's" counts), longest mention first,
        without overlaps ("United Kingdom" wins over "Kingdom"). Runs of up to ``max_words`` words are looked
        up by entity key in one query, so the cost follows the text, not the graph. Space-separated scripts."""
        words = [re.sub(r"['’]s?$", "", w) for w in re.findall(r"[\w'’.-]+", text)][:400]
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for n in range(max_words, 0, -1):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i:i + n]).rstrip(".")
                try:
                    spans.setdefault(entity_id(phrase), []).append((n, i, phrase.casefold()))
                except ValueError:
                    continue
        if not spans or limit < 1:
            return []
        found = {e.id: e for e in (self.store.entity(r["id"]) for r in self.store.query(
            "MATCH (e:Entity) WHERE e.id IN $ids RETURN e.id AS id", {"ids": list(spans)}))}
        hits = sorted((n, i, key) for key, entity in found.items() for n, i, phrase in spans[key]
                      if phrase in {entity.name.casefold(), *(a.casefold() for a in entity.aliases)})
        taken: set[int] = set()
        out: list[Entity] = []
        for n, i, key in sorted(hits, key=lambda h: (-h[0], h[1])):
            if taken.isdisjoint(range(i, i + n)) and found[key] not in out and len(out) < limit:
                taken.update(range(i, i + n))
                out.append(found[key])
        return out

    # -- editing -------------------------------------------------------------------------------------------

    def edit(self, triples: list[Triple] | Triple, *, method: str | None = None, user: User | str | None = None,
             expected_version: int | None = None) -> EditOutcome:
        """Add or replace facts in the KG and the model (see :meth:`Controller.edit`).

        >>> kge.edit(("France", "capital", "Rome"))  # doctest: +SKIP
        """
        return self.controller.edit(_triples(triples), user=self._user(user), method=method,
                                    expected_version=expected_version)

    def forget(self, triples: list[tuple[str, str, str | None]] | tuple[str, str, str | None], *,
               user: User | str | None = None, expected_version: int | None = None) -> EditOutcome:
        return self.controller.forget(_triples(triples, allow_none=True), user=self._user(user),
                                      expected_version=expected_version)

    def rollback(self, *, edit_id: str | None = None, to_version: int | None = None, commit: int | None = None,
                 of_user: str | None = None, since: str | None = None,
                 user: User | str | None = None) -> EditOutcome | list[EditOutcome] | CommitResult:
        """Roll back one edit (model and KG), everything since a version, or a user's edits since a time.

        ``commit`` rolls back one KG commit in the KG only (for imports and KG-only changes).
        """
        chosen = [x is not None for x in (edit_id, to_version, commit, of_user)]
        if sum(chosen) != 1:
            raise InvalidInput("give exactly one of edit_id, to_version, commit or of_user")
        actor = self._user(user)
        if edit_id is not None:
            return self.controller.rollback_edit(edit_id, user=actor)
        if to_version is not None:
            return self.controller.rollback_to(to_version, user=actor)
        if of_user is not None:
            return self.controller.rollback_user(of_user, since=since or "", user=actor)
        actor.require(Role.ADMIN, "roll back KG commits directly")
        return self.store.rollback_commit(commit, author=actor.name)

    def approve(self, edit_id: str, *, user: User | str | None = None) -> EditOutcome:
        return self.controller.approve(edit_id, reviewer=self._user(user))

    def reject(self, edit_id: str, *, reason: str = "", user: User | str | None = None) -> Intent:
        return self.controller.reject(edit_id, reviewer=self._user(user), reason=reason)

    # -- natural language ----------------------------------------------------------------------------------

    def interpret(self, text: str | bytes, lang: str | None = None) -> Any:
        """What the interpreter understands in a message (intents, triples, clarifications); applies nothing."""
        return self.nl.interpret(text, lang)

    def submit(self, text: str, *, user: User | str | None = None, method: str | None = None) -> list[Answer]:
        """Carry out a natural-language message: edits, forgets, rollbacks, questions.

        >>> kge.submit("The capital of France is now Rome")  # doctest: +SKIP
        """
        return self.nl.submit(text, user=self._user(user), method=method)

    def ask(self, question: str) -> str:
        """Answer a question with the model, grounded in current KG facts about the entities it mentions."""
        return self._answer_question(question)

    def _answer_question(self, question: str) -> str:
        facts = self._facts_mentioned(question)
        context = "\n".join(f"{f.subject_name} {f.pred.replace('_', ' ')} {f.object_name}." for f in facts[:20])
        messages = question if not context else f"Known facts:\n{context}\n\nQuestion: {question}"
        return self.generate([messages], max_new_tokens=64)[0]

    def _facts_mentioned(self, text: str) -> list[Fact]:
        found: list[Fact] = []
        for candidate in self.nl.interpreter.interpret(text).intents[:1]:
            for triple in candidate.triples:
                if triple.subject.id:
                    try:
                        found += self.store.facts(triple.subject.id)
                    except KGEditError:
                        continue
        return found

    # -- users and tokens (administrators manage everyone; a user may manage their own tokens) -------------

    def list_users(self, *, user: User | str | None = None) -> list[User]:
        self._user(user).require(Role.ADMIN, "list users")
        return self.users.list()

    def add_user(self, name: str, role: Role | str = Role.EDITOR, *, user: User | str | None = None) -> User:
        """Create a user. Raises Forbidden (not an admin), Conflict (name taken), InvalidInput (bad name/role)."""
        self._user(user).require(Role.ADMIN, "add users")
        return self.users.create(name, role)

    def set_role(self, name: str, role: Role | str, *, user: User | str | None = None) -> User:
        self._user(user).require(Role.ADMIN, "change roles")
        return self.users.set_role(name, role)

    def issue_token(self, name: str, *, label: str = "", user: User | str | None = None) -> str:
        """A new API token for ``name`` (returned once, stored only as a digest)."""
        actor = self._user(user)
        if actor.name != name:
            actor.require(Role.ADMIN, "issue tokens for other users")
        return self.users.issue_token(name, label)

    def revoke_tokens(self, name: str, *, user: User | str | None = None) -> int:
        """Revoke every token of ``name``; returns how many."""
        actor = self._user(user)
        if actor.name != name:
            actor.require(Role.ADMIN, "revoke other users' tokens")
        return self.users.revoke_tokens(name)

    # -- KG-only maintenance -------------------------------------------------------------------------------

    def add_facts(self, triples: list[TripleIn], *, author: str | None = None, message: str = "",
                  expected_version: int | None = None) -> CommitResult:
        """Add facts to the KG only (no model edit, no conflict handling) as one commit."""
        return self.store.commit(add=triples, author=author or self.local_user.name, kind=CommitKind.EDIT,
                                 message=message, expected_version=expected_version)

    def import_file(self, path: str | Path, *, fmt: str | None = None, author: str | None = None,
                    add_unknown_relations: bool = False, progress: bool = False) -> CommitResult:
        """Import a CSV/N-Triples/Turtle/JSON-LD file as one commit; nothing is applied if any line is bad."""
        triples = list(read_triples(path, fmt))
        return self.store.import_triples(triples, author=author or self.local_user.name,
                                         message=f"import {Path(path).name}", source=Path(path).name,
                                         add_unknown_relations=add_unknown_relations, progress=progress)

    def export_file(self, path: str | Path, *, fmt: str | None = None, at: int | None = None) -> int:
        return write_facts(self.store.all_facts(at=at), path, fmt)

    def load_demo(self, *, progress: bool = False) -> CommitResult | None:
        """Import the shipped demo KG (countries, capitals, languages, currencies, borders) if the KG is empty."""
        from kg.demo import demo_csv_path

        if self.store.head:
            return None
        return self.import_file(demo_csv_path(), author="kgedit-demo", progress=progress)

    def _user(self, user: User | str | None) -> User:
        if user is None:
            return self.local_user
        return user if isinstance(user, User) else self.users.get(user)


def _triples(value: Any, *, allow_none: bool = False) -> list[tuple]:
    if isinstance(value, tuple):
        value = [value]
    out = []
    for t in value:
        t = tuple(t)
        if len(t) != 3 or not (allow_none and t[2] is None or all(isinstance(p, str) for p in t)):
            raise InvalidInput(f"a triple is (subject, relation, object) text: {t!r}")
        out.append(t)
    return out


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
