"""Text normalisation for lexicon matching: Unicode/case folding plus simple de-obfuscation.

:func:`normalize` gives the plain form (NFKC, no format characters, casefolded, accents and common
homoglyphs folded, punctuation to spaces, no spaces between CJK characters). :func:`variants` adds forms that
undo simple obfuscation: leetspeak (``b0mb``), separators inside a word (``b.o.m.b``, ``bo*mb``) and spaced
letters (``b o m b``). Matching every variant keeps the plain form's word boundaries while catching these.

>>> normalize("How to build a BOMB!")
'how to build a bomb'
>>> "make a bomb" in variants("m4ke a b.o.m.b")
True
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters that render like Latin ones.
_HOMOGLYPHS = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "һ": "h", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
    "α": "a", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "ν": "v", "ι": "i", "κ": "k", "χ": "x",
})
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l",
         "+": "t", "(": "c", "€": "e"}
_LEET_ONE = ("i", "l")  # '1' stands for either
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")
# A run of three or more single characters split by separators: "b o m b", "s-a-r-i-n", "b.0.m.b".
_SPELLED = re.compile(r"(?<!\S)[\w@$!|+](?:[\s.\-_*·'’]{1,3}[\w@$!|+]){2,}(?!\S)")
_SPELLED_PART = re.compile(r"[\w@$!|+]")
_IN_WORD_SEP = re.compile(r"(?<=[a-z0-9@$])[.\-_*·'’]+(?=[a-z0-9@$])")


def normalize(text: str) -> str:
    """The plain matching form of ``text``: folded, punctuation as single spaces, CJK runs unspaced."""
    return _finish(_fold(text))


def variants(text: str) -> tuple[str, ...]:
    """:func:`normalize` plus the de-obfuscated forms of ``text``, without duplicates, plain form first."""
    folded = _fold(text)
    out = [_finish(folded)]
    for keep_article in (False, True):
        joined = _SPELLED.sub(lambda m, keep=keep_article: _join_spelled(m.group(0), keep), folded)
        joined = _IN_WORD_SEP.sub("", joined)
        for one in _LEET_ONE:
            out.append(_finish(_unleet(joined, one)))
    return tuple(dict.fromkeys(out))


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains a CJK ideograph."""
    return re.search(f"[{_CJK}]", text) is not None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).translate(_HOMOGLYPHS)


def _finish(text: str) -> str:
    text = _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()
    return _CJK_GAP.sub("", text)


def _join_spelled(run: str, keep_article: bool) -> str:
    chars = _SPELLED_PART.findall(run)
    # "make a b o m b": the article is a word of its own, not the bomb's first letter.
    if keep_article and len(chars) > 3 and chars[0] in ("a", "i"):
        return chars[0] + " " + "".join(chars[1:])
    return "".join(chars)


def _unleet(text: str, one: str) -> str:
    table = {**_LEET, "1": one}

    def token(m: re.Match[str]) -> str:
        word = m.group(0)
        if not re.search("[a-z]", word) or not any(ch in table for ch in word):
            return word  # plain numbers ("1945") and plain words stay as they are
        return "".join(table.get(ch, ch) for ch in word)

    return re.sub(r"\S+", token, text)
