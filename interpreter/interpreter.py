"""The interpreter: a message in, typed intents out. It reads; it never applies anything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from interpreter.embedder import Embedder, MiniLMEmbedder
from interpreter.entities import EntityIndex
from interpreter.errors import TooManyClauses, UnsupportedLanguage
from interpreter.linking import EntityLinker
from interpreter.llm.convert import reply_to_outcomes
from interpreter.llm.extractor import LLMExtractor
from interpreter.patterns.build import FrameSet, build_frames
from interpreter.relations import RelationMatcher
from interpreter.resolve import Resolver
from interpreter.rules import Outcome, RuleParser, SoftAsk
from interpreter.segment import Clause, segment, sentence_pieces
from interpreter.settings import InterpreterSettings
from interpreter.text import CleanText, detect_lang
from interpreter.types import Clarification, Intent, IntentKind, Interpretation, Lang, Span
from interpreter.validation import check_message
from kg.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from kg.schema import RelationSchema

Mode = Literal["auto", "rules", "llm"]
_UNREAD_CONFIDENCE = 0.5  # nothing matched: a chat turn is the safe reading, since it changes nothing
_SOFT_ASK_CONFIDENCE = 0.6  # a question about a relation the KG does not model


class Interpreter:
    """Turns English and Chinese messages into intents (edit, forget, query, rollback, ask).

    The deterministic path (frames generated from ``schema``) reads what it can; with ``llm`` (any LangChain
    chat model, e.g. :class:`~interpreter.llm.local.LocalChatModel`) the rest goes to the model, otherwise it
    becomes an ``ask`` intent. ``embedder="auto"`` loads MiniLM on first need, once per interpreter; ``None``
    turns embedding matches off. Frames are built from ``schema`` as it is now: after adding relations to the
    schema, make a new interpreter.

    >>> from kg.schema import RelationSchema
    >>> interpreter = Interpreter(RelationSchema.default(), embedder=None)
    >>> [t.key for t in interpreter.interpret("The capital of France is now Paris").intents[0].triples]
    [('france', 'capital', 'paris')]
    """

    def __init__(self, schema: RelationSchema, *, entity_index: EntityIndex | None = None,
                 llm: BaseChatModel | None = None, embedder: Embedder | Literal["auto"] | None = "auto",
                 settings: InterpreterSettings | None = None):
        self.settings = settings or InterpreterSettings()
        self._embedder_choice = embedder
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()
        self._frames: dict[Lang, FrameSet] = {lang: build_frames(schema, lang) for lang in ("en", "zh")}
        self._matcher = RelationMatcher(schema, settings=self.settings, embedder=self.embedder,
                                        verbs=[f.verbs for f in self._frames.values()])
        self._resolver = Resolver(schema, self._matcher, EntityLinker(entity_index, self.settings),
                                  canonical=self.settings.canonical_direction)
        self._rules = RuleParser(self._frames.__getitem__, self._resolver)
        self._llm = LLMExtractor(llm, relations=schema.names(), retries=self.settings.llm_retries) if llm else None

    def embedder(self) -> Embedder | None:
        """The embedder (MiniLM for ``"auto"``, created on first call; its model loads on first encode);
        None when embeddings are off."""
        with self._lock:
            if self._embedder is None and self._embedder_choice is not None:
                choice = self._embedder_choice
                self._embedder = MiniLMEmbedder() if isinstance(choice, str) else choice
            return self._embedder

    def prepare(self) -> int:
        """Compile every frame now instead of on first use (a server calls this at start-up; a few seconds).

        Returns the number of frames.
        """
        frames = [f for fs in self._frames.values() for group in fs.by_action.values() for f in group]
        for frame in frames:
            frame.compile()
        return len(frames)

    def interpret(self, text: str | bytes, lang: str | None = None, *, mode: Mode = "auto") -> Interpretation:
        """Read ``text``: every intent in message order, and what needs clarifying.

        ``mode`` "rules" never calls the LLM, "llm" sends the whole message to it, "auto" (default) sends
        only what the rules could not read (when an LLM is configured).

        Raises:
            EmptyInput, InputTooLarge, BinaryInput: the message is not acceptable text.
            TooManyClauses: more sentences than ``settings.max_clauses``.
            UnsupportedLanguage: ``lang`` is neither English nor Chinese.
            LLMOutputError, LLMUnavailable: the LLM path was needed and failed (nothing is returned).
            ConfigError: ``mode="llm"`` without an ``llm``.
        """
        if mode == "llm" and self._llm is None:
            raise ConfigError("mode='llm' needs an interpreter built with llm=...")
        message = check_message(text, max_chars=self.settings.max_chars)
        clean = CleanText.of(message)
        language = _language(clean.text, lang)
        pieces = len(sentence_pieces(clean.text))
        if pieces > self.settings.max_clauses:
            raise TooManyClauses(pieces, self.settings.max_clauses)
        if mode == "llm" and self._llm is not None:  # (checked above; repeated so the type narrows)
            outcomes = self._from_llm(self._llm, clean.span(0, len(clean.text)))
        else:
            outcomes = self._read(clean, language, use_llm=mode == "auto")
        return _assemble(message, language, outcomes)

    def _read(self, clean: CleanText, lang: Lang, *, use_llm: bool) -> list[Outcome]:
        clauses = segment(clean.text, lang, lambda s, e: self._rules.parse(clean, s, e, lang))
        outcomes: list[Outcome] = []
        for unread, group in _runs(clauses):
            if not unread:
                outcomes += [c.reading for c in group]
                continue
            span = clean.span(group[0].start, group[-1].end)
            if not any(ch.isalnum() for ch in span.text):
                continue  # stray punctuation between sentences
            llm = self._llm if use_llm else None
            outcomes += self._from_llm(llm, span) if llm else [_ask(span, _UNREAD_CONFIDENCE)]
        return outcomes

    def _from_llm(self, llm: LLMExtractor, span: Span) -> list[Outcome]:
        return llm.extract(span.text, lambda reply: reply_to_outcomes(reply, self._resolver, span),
                           hints=self._matcher.mentioned(span.text))


def _language(message: str, lang: str | None) -> Lang:
    if lang is None:
        return detect_lang(message)
    primary = lang.replace("_", "-").split("-")[0].casefold()
    if primary == "en":
        return "en"
    if primary == "zh":
        return "zh"
    raise UnsupportedLanguage(lang)


def _runs(clauses: list[Clause[Outcome]]) -> Iterator[tuple[bool, list[Clause[Outcome]]]]:
    """Group consecutive clauses by whether they were read: (unread, clauses) in message order."""
    group: list[Clause[Outcome]] = []
    for clause in clauses:
        if group and (group[-1].reading is None) != (clause.reading is None):
            yield group[-1].reading is None, group
            group = []
        group.append(clause)
    if group:
        yield group[-1].reading is None, group


def _ask(span: Span, confidence: float) -> Intent:
    return Intent(kind=IntentKind.ASK, question=span.text.strip(), confidence=confidence, span=span)


def _assemble(message: str, lang: Lang, outcomes: list[Outcome]) -> Interpretation:
    intents: list[Intent] = []
    clarifications: list[Clarification] = []
    for outcome in outcomes:
        if isinstance(outcome, SoftAsk):
            intents.append(_ask(outcome.span, _SOFT_ASK_CONFIDENCE))
        elif isinstance(outcome, Clarification):
            clarifications.append(outcome)
        else:
            intents.append(outcome)
    return Interpretation(text=message, lang=lang, intents=intents, clarifications=clarifications)
