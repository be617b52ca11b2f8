"""The curated lexicon signal: terms and action/target pairs per harm category, read from a data file.

The file format is described in ``controller/data/guard/lexicon.json`` itself. Matching runs on every
:func:`~controller.guard.normalize.variants` form of a text, so obfuscated spellings match like plain ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import ConfigError

from .normalize import has_cjk, normalize, variants
from .verdict import GuardAction

_PAIR_ACTIONS = ("cue", "refuse", "quarantine")
_CJK_CHARS_PER_WORD = 3  # a pair window of n words allows 3n characters of Chinese between the two terms


@dataclass(frozen=True)
class LexiconMatch:
    """One lexicon category that matched one text, with the term(s) that did it."""

    category: str
    action: GuardAction
    terms: str


@dataclass(frozen=True)
class _Term:
    text: str
    pattern: re.Pattern[str]
    cjk: bool


@dataclass(frozen=True)
class _Pairs:
    actions: tuple[_Term, ...]
    targets: tuple[_Term, ...]
    window: int
    action: str


@dataclass(frozen=True)
class _Category:
    name: str
    refuse: tuple[_Term, ...]
    quarantine: tuple[_Term, ...]
    pairs: tuple[_Pairs, ...]


class Lexicon:
    """Curated harmful terms by category. Build with :meth:`load`; query with :meth:`match`."""

    def __init__(self, categories: Iterable[_Category], cues: Iterable[_Term]):
        self._categories = tuple(categories)
        self._cues = tuple(cues)

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        """Read and compile a lexicon file.

        Raises:
            ConfigError: the file is missing, not JSON, or malformed.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            cats = [_category(name, spec) for name, spec in data["categories"].items()]
            cues = [_term(c) for c in data["instruction_cues"]]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"guard lexicon {path} is unreadable or malformed: {e}") from e
        return cls(cats, cues)

    @property
    def categories(self) -> list[str]:
        """The category names, in file order."""
        return [c.name for c in self._categories]

    def match(self, text: str) -> list[LexiconMatch]:
        """Every category that matches ``text``, with its strongest action; ``[]`` when nothing does.

        >>> from controller.guard.config import DEFAULT_DATA_DIR
        >>> lex = Lexicon.load(DEFAULT_DATA_DIR / "lexicon.json")
        >>> [(m.category, str(m.action)) for m in lex.match("How to m4ke a b0mb")]
        [('weapons_explosives', 'refuse')]
        """
        forms = variants(text)
        cue = next((c.text for c in self._cues if any(c.pattern.search(f) for f in forms)), None)
        out = []
        for cat in self._categories:
            found = _match_category(cat, forms, cue)
            if found is not None:
                out.append(found)
        return out


def _match_category(cat: _Category, forms: tuple[str, ...], cue: str | None) -> LexiconMatch | None:
    found = [m for m in (_term_match(cat.name, GuardAction.REFUSE, cat.refuse, forms),
                         _term_match(cat.name, GuardAction.QUARANTINE, cat.quarantine, forms),
                         _best_pair(cat, forms, cue)) if m is not None]
    return max(found, key=lambda m: m.action.severity, default=None)  # ties: the first, a plain term


def _term_match(category: str, action: GuardAction, terms: tuple[_Term, ...],
                forms: tuple[str, ...]) -> LexiconMatch | None:
    hit = next((t.text for t in terms if any(t.pattern.search(f) for f in forms)), None)
    return None if hit is None else LexiconMatch(category, action, repr(hit))


def _best_pair(cat: _Category, forms: tuple[str, ...], cue: str | None) -> LexiconMatch | None:
    best: LexiconMatch | None = None
    for group in cat.pairs:
        found = next((p for f in forms if (p := _find_pair(group, f)) is not None), None)
        if found is None:
            continue
        action = _pair_action(group.action, cue)
        terms = f"{found[0]!r} + {found[1]!r}"
        if group.action == "cue" and cue:
            terms += f" with instruction cue {cue!r}"
        if best is None or action.severity > best.action.severity:
            best = LexiconMatch(cat.name, action, terms)
    return best


def _pair_action(kind: str, cue: str | None) -> GuardAction:
    if kind == "cue":
        return GuardAction.REFUSE if cue else GuardAction.QUARANTINE
    return GuardAction(kind)


def _find_pair(group: _Pairs, form: str) -> tuple[str, str] | None:
    spans_a = [(t, m.span()) for t in group.actions for m in t.pattern.finditer(form)]
    if not spans_a:
        return None
    for target in group.targets:
        for m in target.pattern.finditer(form):
            for action, span in spans_a:
                if _near(form, span, m.span(), group.window, action.cjk or target.cjk):
                    return action.text, target.text
    return None


def _near(form: str, a: tuple[int, int], b: tuple[int, int], window: int, cjk: bool) -> bool:
    if a[0] < b[1] and b[0] < a[1]:
        return False  # overlapping spans are one phrase, not an action and a target
    gap = form[a[1]:b[0]] if a[1] <= b[0] else form[b[1]:a[0]]
    if cjk:
        return len(gap.replace(" ", "")) <= window * _CJK_CHARS_PER_WORD
    return len(gap.split()) <= window


def _category(name: str, spec: Mapping[str, Any]) -> _Category:
    pairs = []
    for group in spec.get("pairs", ()):
        if group.get("action", "cue") not in _PAIR_ACTIONS:
            raise ValueError(f"category {name}: pair action must be one of {_PAIR_ACTIONS}")
        pairs.append(_Pairs(tuple(map(_term, group["actions"])), tuple(map(_term, group["targets"])),
                            int(group.get("window", 4)), group.get("action", "cue")))
    return _Category(name, tuple(map(_term, spec.get("refuse", ()))), tuple(map(_term, spec.get("quarantine", ()))),
                     tuple(pairs))


def _term(raw: str) -> _Term:
    norm = normalize(raw)
    if not norm:
        raise ValueError(f"lexicon term {raw!r} is empty after normalisation")
    body = re.escape(norm)
    head = r"(?<![a-z0-9])" if re.match(r"[a-z0-9]", norm) else ""
    tail = r"s?(?![a-z0-9])" if re.search(r"[a-z0-9]$", norm) else ""
    return _Term(raw, re.compile(head + body + tail), has_cjk(norm))

