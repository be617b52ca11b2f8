"""The deterministic parser: one clause in, the best intent (or clarification) its frames support out.

Actions are tried in a fixed order, most specific first: a negation ("x is no longer ...") or a replacement
("y replaced x as ...") would otherwise also read as a plain statement, and questions must not read as edits.
Within one action every template and alias frame that matches is resolved and the most confident reading wins,
so a schema template does not beat an alias reading that links both entities; generic frames (relation found
by similarity) are only tried when those found nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from interpreter.intents import Slots, build_intent
from interpreter.linking import trim_mention
from interpreter.patterns.build import FrameSet
from interpreter.patterns.frames import Action, Frame, Tier
from interpreter.patterns.rollback import parse_rollback
from interpreter.resolve import InvalidSlot, Resolver, SlotText, Unresolved
from interpreter.text import CleanText, other_lang
from interpreter.types import Clarification, Intent, IntentKind, Lang, Span

ORDER = (Action.NEGATE_THEN, Action.NEGATE, Action.REPLACE, Action.QUERY_CHECK, Action.QUERY_CHAIN,
         Action.QUERY_WHOSE, Action.QUERY, Action.QUERY_INVERSE, Action.EDIT)
_STATEMENTS = frozenset({Action.EDIT, Action.REPLACE, Action.NEGATE, Action.NEGATE_THEN})
_ENTITY_SLOTS = ("s", "o", "x")
_TIER_RANK = {Tier.TEMPLATE: 2, Tier.ALIAS: 1, Tier.GENERIC: 0}
_QUESTION_END = re.compile(r"(?:\?|吗|呢)[\s?.!。]*$")
MAX_CLAUSE_CHARS = 400  # longer pieces are not sentences a frame describes; they go to the LLM or chat


@dataclass(frozen=True)
class SoftAsk:
    """A question about a relation the schema does not have: answered as a chat turn, not from the KG."""

    span: Span


Outcome = Intent | Clarification | SoftAsk


class RuleParser:
    """Parses clauses with the frames of their language (built lazily, once per language)."""

    def __init__(self, frames: Callable[[Lang], FrameSet], resolver: Resolver, *, bilingual: bool = True):
        self._frames = frames
        self._resolver = resolver
        self._bilingual = bilingual

    def parse(self, clean: CleanText, start: int, end: int, lang: Lang) -> Outcome | None:
        """The reading of ``clean.text[start:end]``, or None when no frame matches it.

        ``lang`` is tried first; with ``bilingual`` the other language's frames get a second chance.
        """
        text = clean.text[start:end]
        if not text.strip() or len(text) > MAX_CLAUSE_CHARS:
            return None
        clause = clean.span(start, end)
        target = parse_rollback(text)
        if target is not None:
            return Intent(kind=IntentKind.ROLLBACK, rollback=target, confidence=1.0, span=clause)
        first = self._parse_in(clean, start, end, lang, clause)
        if isinstance(first, Intent) or not self._bilingual:
            return first
        # Mixed messages: a Chinese clause in an English message (or "Apple的CEO是Tim Cook") reads with the
        # other language's frames.
        second = self._parse_in(clean, start, end, other_lang(lang), clause)
        return second if isinstance(second, Intent) or first is None else first

    def _parse_in(self, clean: CleanText, start: int, end: int, lang: Lang, clause: Span) -> Outcome | None:
        text = clean.text[start:end]
        for wrapper in self._frames(lang).wrappers:
            match = wrapper.regex.fullmatch(text)
            if match and match.group("rest"):
                rest = (start + match.start("rest"), start + match.end("rest"))
                outcome = self._best(clean, rest, lang, wrapper.actions, clause=clause, kind=wrapper.kind)
                if isinstance(outcome, Intent):
                    return outcome
        return self._best(clean, (start, end), lang, ORDER, clause=clause)

    def _best(self, clean: CleanText, bounds: tuple[int, int], lang: Lang, actions: Iterable[Action], *,
              clause: Span, kind: IntentKind | None = None) -> Outcome | None:
        text = clean.text[bounds[0]:bounds[1]]
        question = bool(_QUESTION_END.search(text))
        pending: Outcome | None = None
        for action in actions:
            if question and action in _STATEMENTS:
                continue  # "The capital of France is Paris?" asks; it does not tell
            outcome = self._best_of(clean, bounds, lang, action, clause, kind)
            if isinstance(outcome, Intent):
                return outcome
            if outcome is not None and (pending is None or _rank(outcome) > _rank(pending)):
                pending = outcome
        return pending

    def _best_of(self, clean: CleanText, bounds: tuple[int, int], lang: Lang, action: Action, clause: Span,
                 kind: IntentKind | None) -> Outcome | None:
        text = clean.text[bounds[0]:bounds[1]]
        folded = text.casefold()
        best: tuple[tuple[float, ...], Outcome] | None = None
        for index, frame in enumerate(self._frames(lang).frames(action)):
            if frame.tier is Tier.GENERIC and best is not None and isinstance(best[1], Intent):
                break  # a schema phrase already reads this clause; similarity matches would only cost time
            match = frame.match(text, folded)
            slots = _slots(frame, match, clean, bounds[0], clause, lang) if match else None
            outcome = self._resolve(slots, kind) if slots else None
            if outcome is not None:
                key = (*_rank(outcome), _TIER_RANK[frame.tier], -index)
                if best is None or key > best[0]:
                    best = (key, outcome)
        return best[1] if best else None

    def _resolve(self, slots: Slots, kind: IntentKind | None) -> Outcome | None:
        try:
            return build_intent(slots, self._resolver, kind=kind)
        except InvalidSlot:
            return None
        except Unresolved as e:
            return e.clarification if e.clarification is not None else SoftAsk(slots.clause)


def _rank(outcome: Outcome) -> tuple[float, float]:
    if isinstance(outcome, Intent):
        return (2.0, outcome.confidence)
    if isinstance(outcome, Clarification):
        return (1.0, outcome.candidates[0].score if outcome.candidates else 0.0)
    return (0.0, 0.0)


def _slots(frame: Frame, match: re.Match[str], clean: CleanText, offset: int, clause: Span,
           lang: Lang) -> Slots | None:
    texts: dict[str, SlotText] = {}
    for letter, value in match.groupdict().items():
        if value is None:
            continue
        start, end = offset + match.start(letter), offset + match.end(letter)
        if letter in _ENTITY_SLOTS:
            trimmed = trim_mention(clean.text, start, end, lang)
            if trimmed is None:
                return None
            start, end = trimmed
            texts[letter] = SlotText(clean.span(start, end).text, clean.span(start, end))
        else:
            texts[letter] = SlotText(clean.text[start:end], clean.span(start, end))
    return Slots(action=frame.action, texts=texts, clause=clause, relation=frame.relation, tier=frame.tier)
