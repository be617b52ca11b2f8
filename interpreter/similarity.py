"""Spelling similarity for typo-tolerant matching of relation phrases and entity names."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def phrase_key(text: str) -> str:
    """Fold a phrase for exact comparison: NFKC, casefold, punctuation/underscores to single spaces.

    >>> phrase_key("  Head-of_State ")
    'head of state'
    """
    folded = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return " ".join(_NON_WORD.sub(" ", folded).split())


def typo_similarity(a: str, b: str) -> float:
    """1 - (optimal string alignment distance / longer length): 1.0 for equal strings, ~0.86 for one typo
    in seven letters. Adjacent transpositions count as one edit, as typists make them.

    >>> round(typo_similarity("captial", "capital"), 3), typo_similarity("ceo", "ceo")
    (0.857, 1.0)
    """
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if longest == 0 or abs(len(a) - len(b)) > longest // 3:  # too different in length to be a typo
        return 0.0
    return 1.0 - _osa_distance(a, b) / longest


def _osa_distance(a: str, b: str) -> int:
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]
