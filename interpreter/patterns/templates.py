"""Turn one of the schema's cloze or question templates into a frame regex.

The transformation is generic (articles optional, the copula widened to "is now / has changed to / 改为",
"what is" also as "what's"), so a template written once in the schema matches its everyday variants.
"""

from __future__ import annotations

import re
import unicodedata

from interpreter.patterns.frames import compile_template
from interpreter.types import Lang

_FLEXIBLE = frozenset({"the", "what", "who", "where", "which", "when", "was", "are", "is"})
_EN_COPULA_END = re.compile(r"\s+(?:is|was|are)$", re.IGNORECASE)
_EN_LEAD = re.compile(r"^(?:(?P<the>the)|(?P<wh>what|who|where|which|when)\s+is)\s+", re.IGNORECASE)


def template_regex(
    template: str, lang: Lang, fragments: dict[str, str], *, question: bool
) -> tuple[str, tuple[str, ...]] | None:
    """The regex source of ``template`` and the keywords a text must contain to match it; None when the
    template does not contain ``{subject}`` exactly once."""
    text = unicodedata.normalize("NFKC", template).strip().replace("’", "'")
    if text.count("{subject}") != 1:
        return None
    if question:
        text = text.rstrip("?").rstrip()
    before, after = text.split("{subject}")
    build = _english if lang == "en" else _chinese
    source = compile_template(build(before, after, question), fragments, spaced=False)
    return source, _keywords(before + " " + after, lang)


def _keywords(literal: str, lang: Lang) -> tuple[str, ...]:
    """Words of the template that appear verbatim in every match (articles and copulas are widened)."""
    if lang == "zh":
        return tuple(chunk.rstrip("是") for chunk in re.split(r"[\s?,]+", literal) if len(chunk.rstrip("是")) >= 2)
    words = re.findall(r"[a-z]{3,}", literal.casefold())
    return tuple(w for w in words if w not in _FLEXIBLE)


def _english(before: str, after: str, question: bool) -> str:
    head = _english_head(before)
    if question:
        return f"{head}{{S}}{_possessive(_literal(after))}" + r"\s*\??"
    copula = bool(_EN_COPULA_END.search(after))
    tail = _possessive(_literal(_EN_COPULA_END.sub("", after)))
    verb = r"\s+(?:{CHANGED}|{BE})" if copula else ""
    return f"{head}{{S}}{tail}{verb}" + r"\s+{NOW}{O}"


def _english_head(before: str) -> str:
    """Leading "the" becomes optional and "what is" also matches "what's"; the rest is literal."""
    parts: list[str] = []
    while match := _EN_LEAD.match(before):
        parts.append("{THE}" if match.group("the") else match.group("wh") + r"(?:\s+is|'s|s)\s+")
        before = before[match.end():]
    return "".join(parts) + _literal(before)


def _chinese(before: str, after: str, question: bool) -> str:
    if question:
        return "{ASK}" + _literal(before, spaced=False) + "{S}" + _literal(after, spaced=False) + "{QEND}"
    tail = after[:-1] if after.endswith("是") else after
    verb = "{NOW}(?:是|为|{CHANGE})" if after.endswith("是") else "{NOW}"
    return _literal(before, spaced=False) + "{S}" + _literal(tail, spaced=False) + verb + "{O}"


def _literal(text: str, *, spaced: bool = True) -> str:
    escaped = re.escape(text)
    return escaped.replace("\\ ", r"\s+") if spaced else escaped


def _possessive(tail: str) -> str:
    # "{subject}'s capital" also matches "Paris' mayor"; the escaped apostrophe is a plain "'".
    return re.sub(r"^'s", "(?:'s|')", tail)
