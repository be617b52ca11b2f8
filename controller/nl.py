"""Natural-language requests: the interpreter reads a message, the controller carries out what it understood.

The interpreter never applies anything; this module turns its intents into controller calls (edit, forget,
rollback), KG queries and model answers. Entity mentions are linked against the KG through
:class:`KGEntityIndex`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from controller.outcomes import EditOutcome
from controller.users import User
from kg.errors import InvalidInput, NotFound
from kg.store import GraphStore

if TYPE_CHECKING:
    from controller.service import Controller
    from interpreter import Interpretation, Intent, Triple


class NeedsClarification(InvalidInput):
    """The message was ambiguous; ``interpretation.clarifications`` lists the candidates to choose from."""

    def __init__(self, interpretation: "Interpretation"):
        self.interpretation = interpretation
        questions = "; ".join(c.question for c in interpretation.clarifications)
        self.suggestions = [c.name for cl in interpretation.clarifications for c in cl.candidates]
        super().__init__(f"please clarify: {questions}")


class KGEntityIndex:
    """The interpreter's entity index over the KG's entities, rebuilt when the KG's version changes."""

    def __init__(self, store: GraphStore, embedder: Any = None):
        self._store = store
        self._embedder = embedder
        self._built_at: int | None = None
        self._index: Any = None
        self._lock = threading.Lock()

    def lookup(self, name: str, *, limit: int = 5) -> list[Any]:
        from interpreter import InMemoryEntityIndex

        with self._lock:
            if self._built_at != self._store.head:
                entities = [(e.id, e.name, e.aliases) for e in self._store.entities()]
                self._index = InMemoryEntityIndex(entities, embedder=self._embedder)
                self._built_at = self._store.head
            return self._index.lookup(name, limit=limit)


class Answer(BaseModel):
    """The result of one intent of a message."""

    model_config = ConfigDict(frozen=True)

    intent: str
    outcome: EditOutcome | None = None
    outcomes: list[EditOutcome] = Field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    text: str | None = None


class NaturalLanguage:
    """Carries out messages: ``submit(text, user)`` -> one :class:`Answer` per intent, in message order."""

    def __init__(self, store: GraphStore, controller: "Controller", *, answer: Any = None, llm: Any = None):
        self._store = store
        self._controller = controller
        self._answer = answer  # callable(question, facts) -> str, for ask intents (the model)
        self._llm = llm
        self._interpreter: Any = None
        self._lock = threading.Lock()

    @property
    def interpreter(self) -> Any:
        with self._lock:
            if self._interpreter is None:
                from interpreter import Interpreter

                self._interpreter = Interpreter(self._store.schema, entity_index=KGEntityIndex(self._store),
                                                llm=self._llm)
            return self._interpreter

    def interpret(self, text: str | bytes, lang: str | None = None) -> "Interpretation":
        return self.interpreter.interpret(text, lang)

    def submit(self, text: str, *, user: User, method: str | None = None) -> list[Answer]:
        """Interpret and carry out a message. Raises NeedsClarification instead of guessing."""
        reading = self.interpret(text)
        if reading.needs_clarification:
            raise NeedsClarification(reading)
        if not reading.intents:
            raise InvalidInput("nothing in the message could be understood as a request")
        return [self._carry_out(intent, user, method, text) for intent in reading.intents]

    def _carry_out(self, intent: "Intent", user: User, method: str | None, text: str) -> Answer:
        kind = str(intent.kind)
        if kind == "edit":
            retire = [self._names(t) for t in intent.supersedes]
            if retire:
                self._controller.forget([(s, r, o) for s, r, o in retire], user=user, text=text)
            triples = [self._names(t) for t in intent.triples]
            return Answer(intent=kind, outcome=self._controller.edit(triples, user=user, method=method, text=text))
        if kind == "forget":
            triples = [self._names(t) for t in intent.triples]
            return Answer(intent=kind, outcome=self._controller.forget(triples, user=user, text=text))
        if kind == "rollback":
            return self._rollback(intent, user)
        if kind == "query" and intent.query is not None:
            return Answer(intent=kind, rows=self._store.query(intent.query.cypher, intent.query.params))
        return Answer(intent="ask", text=self._ask(intent.question or text))

    def _rollback(self, intent: "Intent", user: User) -> Answer:
        target = intent.rollback
        if target.edit_id is not None:
            return Answer(intent="rollback", outcome=self._controller.rollback_edit(target.edit_id, user=user))
        if target.version is not None:
            return Answer(intent="rollback", outcome=self._controller.rollback_to(target.version, user=user))
        mine = [i for i in self._controller.journal.list(user=user.name, status="committed")
                if i.kind in ("edit", "forget") and not (i.result or {}).get("rolled_back_by")][:target.last]
        if not mine:
            raise NotFound(f"{user.name} has no edits to undo")
        return Answer(intent="rollback",
                      outcomes=[self._controller.rollback_edit(i.edit_id, user=user) for i in mine])

    def _ask(self, question: str) -> str:
        if self._answer is None:
            raise InvalidInput("no model is configured to answer questions")
        return self._answer(question)

    def _names(self, triple: "Triple") -> tuple[str, str, str | None]:
        """Entity names for a triple: the KG's name for linked mentions, the mention as written otherwise."""
        return (self._name(triple.subject), triple.relation.name,
                None if triple.object is None else self._name(triple.object))

    def _name(self, ref: Any) -> str:
        if ref.linked and ref.id:
            try:
                return self._store.entity(ref.id).name
            except NotFound:
                pass
        return ref.text
