"""Entity keys: one normalised id per entity, while names keep their original form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s_\-]+", re.UNICODE)
_DROP = re.compile(r"[^\w]+", re.UNICODE)  # punctuation other than separators; \w keeps CJK and accents


@lru_cache(maxsize=1 << 18)  # bulk imports repeat names many times
def entity_id(name: str) -> str:
    """Return the normalised key of an entity name.

    NFKC-folds width and compatibility forms, casefolds, turns runs of spaces/underscores/hyphens into one
    underscore and drops other punctuation. CJK and accented letters are kept.

    Raises:
        ValueError: the name normalises to nothing.

    >>> entity_id("United Kingdom")
    'united_kingdom'
    >>> entity_id("  Côte d'Ivoire ")
    'côte_divoire'
    >>> entity_id("北京")
    '北京'
    """
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = _SEPARATORS.sub("_", text)
    text = "_".join(part for part in (_DROP.sub("", p) for p in text.split("_")) if part)
    if not text:
        raise ValueError(f"entity name {name!r} has no letters or digits")
    return text
