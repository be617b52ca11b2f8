"""A frame is a sentence shape ("the {R} of {S} is {O}") with an action saying what its slots mean.

Templates are written once per language with placeholders; :func:`compile_template` turns them into regular
expressions, filling relation slots either with the schema's alias alternation (``alias`` tier) or with a
generic phrase slot whose text is matched to the schema afterwards (``generic`` tier).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a frame's slots become. Slot letters: s subject, o object, x old object, r/r1/r2 relations."""

    EDIT = "edit"  # (s, r, o)
    REPLACE = "replace"  # (s, r, o), superseding (s, r, x)
    NEGATE = "negate"  # forget (s, r, x)
    NEGATE_THEN = "negate_then"  # (s, r, o), superseding (s, r, x): "x is no longer r of s; it is o"
    FORGET_ALL = "forget_all"  # forget (s, r, *)
    QUERY = "query"  # (s, r, ?a)
    QUERY_CHAIN = "query_chain"  # (s, r1, ?x), (?x, r2, ?a)
    QUERY_WHOSE = "query_whose"  # (?x, r1, o), (?x, r2, ?a)
    QUERY_INVERSE = "query_inverse"  # (?a, r, o)
    QUERY_CHECK = "query_check"  # (s, r, o)?


QUERY_ACTIONS = frozenset({Action.QUERY, Action.QUERY_CHAIN, Action.QUERY_WHOSE, Action.QUERY_INVERSE,
                           Action.QUERY_CHECK})


class Tier(StrEnum):
    """How a frame's relation is known; earlier tiers are more specific and are preferred."""

    TEMPLATE = "template"  # a schema template: the relation is fixed
    ALIAS = "alias"  # the relation slot only matches schema names and aliases
    GENERIC = "generic"  # the relation slot matches any short phrase, resolved afterwards


@dataclass(frozen=True)
class FrameSpec:
    """A frame as written in a language table. ``generic=False`` keeps its relation slots to schema phrases."""

    name: str
    action: Action
    template: str
    generic: bool = True


@dataclass(frozen=True)
class WrapperSpec:
    """A prefix (or prefix and suffix) around a clause: "forget that ...", "is it true that ...", "I think ...".

    The ``rest`` group is parsed with ``actions``; ``kind`` (an IntentKind value) replaces the reading's kind,
    or keeps it when None.
    """

    name: str
    pattern: str
    kind: str | None
    actions: tuple[Action, ...]


class Frame:
    """One sentence shape, compiled on first use: a schema has hundreds of templates and most messages only
    ever reach the few whose ``keywords`` (literal words, casefolded) they contain."""

    __slots__ = ("name", "action", "tier", "relation", "keywords", "source", "_regex")

    def __init__(self, name: str, action: Action, tier: Tier, source: str, *, relation: str | None = None,
                 keywords: tuple[str, ...] = ()):
        self.name = name
        self.action = action
        self.tier = tier
        self.relation = relation  # the fixed relation of a template frame
        self.keywords = keywords
        self.source = source
        self._regex: re.Pattern[str] | None = None

    def compile(self) -> re.Pattern[str]:
        """The compiled regex (compiled now if it was not yet)."""
        if self._regex is None:
            # A race here compiles the same pattern twice; both results are equal, so no lock is needed.
            self._regex = re.compile(self.source, re.IGNORECASE)
        return self._regex

    def match(self, text: str, folded: str) -> re.Match[str] | None:
        """Match the whole of ``text`` (``folded`` is its casefolded form, for the keyword check)."""
        if any(k not in folded for k in self.keywords):
            return None
        return self.compile().fullmatch(text)

    def __repr__(self) -> str:
        return f"Frame({self.name!r}, {self.action.value}, {self.tier.value})"


_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def compile_template(template: str, fragments: Mapping[str, str], *, spaced: bool) -> str:
    """Expand ``{NAME}`` placeholders from ``fragments`` into a regex source (matched case-insensitively).

    With ``spaced`` (English) each literal space becomes ``\\s+``; Chinese templates are written without
    spaces (the matcher's copy of the text has none next to CJK characters).

    Raises:
        KeyError: a placeholder has no fragment (a defect in a frame table).
    """
    body = template.replace(" ", r"\s+") if spaced else template
    expanded = _PLACEHOLDER.sub(lambda m: fragments[m.group(1)], body)
    return expanded + fragments.get("END", "")


def alternation(phrases: list[str], *, spaced: bool) -> str:
    """A regex matching any of ``phrases``, longest first (so 'head of state' wins over 'head')."""
    unique = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
    if spaced:
        return "|".join(r"\s+".join(re.escape(w) for w in re.split(r"[\s_]+", p.strip())) for p in unique)
    return "|".join(re.escape(p) for p in unique)
