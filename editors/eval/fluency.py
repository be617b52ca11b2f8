"""Fluency: weighted bi-/tri-gram entropy of generated text, as ROME's ``compute_n_gram_entropy`` (EasyEdit
copies it): for n in (2, 3), H_n = -Σ f log₂ f over the n-gram frequencies of one text, weighted 2/3 and 4/3,
then averaged (arithmetic mean of the two weighted terms). Tables usually show it ×100 (≈ 550-630 for fluent
100-token text); repetitive text scores low.

Words are ``\\w+`` runs and single punctuation marks (ROME uses NLTK's ``word_tokenize``, not installed here);
every CJK character counts as one word, since Chinese has no spaces.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

ORDERS = (2, 3)
WEIGHTS = (2 / 3, 4 / 3)
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\u3400-\u9fff\uf900-\ufaff]+|[^\w\s]", re.UNICODE)


def words(text: str) -> list[str]:
    """The tokens n-grams are built from.

    >>> words("Paris, the capital 法国")
    ['Paris', ',', 'the', 'capital', '法', '国']
    """
    return _WORD.findall(text)


def ngram_entropy(text: str, n: int) -> float:
    """Shannon entropy (bits) of the n-gram frequency distribution of ``text`` (0.0 with no n-gram).

    >>> ngram_entropy("a b a b", 2)  # bigrams: (a b) twice, (b a) once
    0.9182958340544896
    """
    tokens = words(text)
    counts = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


def fluency(text: str) -> float:
    """Weighted n-gram entropy of one text: mean of (2/3)·H₂ and (4/3)·H₃.

    >>> round(fluency("one two three four"), 4)  # 3 distinct bigrams, 2 distinct trigrams
    1.195
    """
    terms = [w * ngram_entropy(text, n) for n, w in zip(ORDERS, WEIGHTS)]
    return sum(terms) / len(terms)


def mean_fluency(texts: Sequence[str]) -> float | None:
    """Mean :func:`fluency` over texts (None for none)."""
    return sum(fluency(t) for t in texts) / len(texts) if texts else None
