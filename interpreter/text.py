"""Text plumbing: a matching-friendly copy of the message that still maps back to the original offsets,
language detection, and small-number parsing (English words and Chinese numerals)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from interpreter.types import Lang, Span

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
_CJK_PUNCT = (0x3000, 0x303F)  # 、。《》「」 and friends
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3,
}
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph or CJK punctuation character."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES) or _CJK_PUNCT[0] <= code <= _CJK_PUNCT[1]


def detect_lang(text: str) -> Lang:
    """The dominant language: ``zh`` when there are more CJK ideographs than Latin words.

    >>> detect_lang("法国的首都是巴黎"), detect_lang("The capital of 中国 is 北京"), detect_lang("苹果公司的CEO是库克")
    ('zh', 'en', 'zh')
    """
    ideographs = sum(1 for ch in text if is_cjk(ch) and not _is_punct(ch))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if ideographs > words else "en"


def other_lang(lang: Lang) -> Lang:
    """The other supported language."""
    return "en" if lang == "zh" else "zh"


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


@dataclass(frozen=True)
class CleanText:
    """A copy of ``original`` for matching: NFKC per character (full-width forms become ASCII), curly quotes
    straightened, whitespace runs collapsed, whitespace next to CJK dropped. ``offsets[i]`` is the original
    index of ``text[i]``, so every match maps back exactly."""

    original: str
    text: str
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> "CleanText":
        """Build the matching copy of ``original``."""
        chars, offsets = _fold(original)
        chars, offsets = _squeeze_spaces(chars, offsets)
        return cls(original, "".join(chars), tuple(offsets))

    def span(self, start: int, end: int) -> Span:
        """The :class:`Span` of the original text that ``text[start:end]`` came from."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return Span(start=pos, end=pos, text="")
        lo, hi = self.offsets[start], self.offsets[end - 1] + 1
        return Span(start=lo, end=hi, text=self.original[lo:hi])


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'"})


def _fold(original: str) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(original):
        folded = unicodedata.normalize("NFKC", ch).translate(_QUOTES)
        # Keep the offset map one-to-one: a character that NFKC expands (a ligature) stays as written.
        chars.append(folded if len(folded) == 1 else ch)
        offsets.append(i)
    return chars, offsets


def _squeeze_spaces(chars: list[str], offsets: list[int]) -> tuple[list[str], list[int]]:
    following = _next_non_space(chars)
    out: list[str] = []
    out_offsets: list[int] = []
    for i, ch in enumerate(chars):
        if not ch.isspace():
            out.append(ch)
            out_offsets.append(offsets[i])
            continue
        nxt = following[i]
        # Chinese is written without spaces: a space beside a CJK character is noise, not a word boundary.
        if not out or out[-1] == " " or nxt is None or is_cjk(out[-1]) or is_cjk(nxt):
            continue
        out.append(" ")
        out_offsets.append(offsets[i])
    return out, out_offsets


def _next_non_space(chars: list[str]) -> list[str | None]:
    following: list[str | None] = [None] * len(chars)
    nxt: str | None = None
    for i in range(len(chars) - 1, -1, -1):
        following[i] = nxt
        if not chars[i].isspace():
            nxt = chars[i]
    return following


def parse_count(word: str) -> int | None:
    """Parse a small count: digits, an English number word, or a Chinese numeral up to 99.

    >>> parse_count("12"), parse_count("two"), parse_count("十二"), parse_count("两"), parse_count("lots")
    (12, 2, 12, 2, None)
    """
    word = word.strip().casefold()
    if word.isdigit():
        return int(word)
    if word in _EN_NUMBERS:
        return _EN_NUMBERS[word]
    return _parse_zh_number(word)


def _parse_zh_number(word: str) -> int | None:
    match = re.fullmatch(r"([一二两三四五六七八九])?(十)?([一二三四五六七八九])?", word)
    if not word or match is None:
        return None
    tens, ten, ones = match.groups()
    if ten is None:
        return _ZH_DIGITS[tens] if tens and not ones else None
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
