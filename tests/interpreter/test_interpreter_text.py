"""Text plumbing: the matching copy and its offsets, language detection, numbers, sentence splitting."""

from __future__ import annotations

import doctest
import importlib

import pytest

from interpreter.segment import Clause, segment, sentence_pieces
from interpreter.text import CleanText, detect_lang, parse_count


class TestCleanText:
    """The matching copy maps back to the original exactly."""

    @pytest.mark.parametrize("original", ["  The  capital of\tＦｒａｎｃｅ ’s  ", "法国 的 首都 是 巴黎 ！", "a\u00a0b  c", ""])
    def test_offsets_round_trip(self, original: str) -> None:
        clean = CleanText.of(original)
        assert len(clean.offsets) == len(clean.text)
        for i, ch in enumerate(clean.text):
            source = original[clean.offsets[i]]
            assert ch == " " and source.isspace() or ch == source or ch in "'?!" or ch.isascii()

    def test_folding(self) -> None:
        assert CleanText.of("  The  capital of\tＦｒａｎｃｅ’s  ").text == "The capital of France's"
        assert CleanText.of("法国 的 首都 是 巴黎 ！").text == "法国的首都是巴黎!"
        assert CleanText.of("Apple 的 CEO").text == "Apple的CEO"

    def test_span(self) -> None:
        original = "x  Ｆｒａｎｃｅ  y"
        clean = CleanText.of(original)
        start = clean.text.index("France")
        span = clean.span(start, start + 6)
        assert span.text == "Ｆｒａｎｃｅ" and original[span.start:span.end] == span.text


class TestLanguageAndNumbers:
    """Language detection and small numbers."""

    @pytest.mark.parametrize("text,lang", [("hello", "en"), ("你好", "zh"), ("The capital of 中国 is 北京", "en"),
                                           ("苹果公司的CEO是库克", "zh"), ("12345", "en"), ("？！", "en")])
    def test_detect(self, text: str, lang: str) -> None:
        assert detect_lang(text) == lang

    @pytest.mark.parametrize("word,value", [("3", 3), ("three", 3), ("a", 1), ("十", 10), ("二十一", 21),
                                            ("两", 2), ("九十九", 99), ("lots", None), ("十十", None), ("", None)])
    def test_counts(self, word: str, value: int | None) -> None:
        assert parse_count(word) == value


class TestSegment:
    """Sentence pieces and clause segmentation."""

    def test_pieces_respect_initials_and_abbreviations(self) -> None:
        text = "J. K. Rowling wrote it. Dr. Who is here! 法国的首都是巴黎。日本的首都是东京"
        pieces = [text[s:e] for s, e in sentence_pieces(text)]
        assert pieces == ["J. K. Rowling wrote it.", "Dr. Who is here!", "法国的首都是巴黎。", "日本的首都是东京"]

    def test_merge_and_conjunction_split(self) -> None:
        text = "Aa; Bb. Cc and Dd"
        readable = {"Aa; Bb.", "Cc", "Dd"}
        clauses = segment(text, "en", lambda s, e: text[s:e] if text[s:e] in readable else None)
        assert [(text[c.start:c.end], c.reading) for c in clauses] == [("Aa; Bb.", "Aa; Bb."), ("Cc", "Cc"),
                                                                         ("Dd", "Dd")]

    def test_lower_case_after_a_period_is_not_a_new_sentence(self) -> None:
        assert sentence_pieces("Washington, D.C. is big. ok") == [(0, 27)]

    def test_unreadable_piece_stays_whole(self) -> None:
        text = "x and y"
        clauses = segment(text, "en", lambda s, e: "ok" if text[s:e] == "x" else None)
        assert clauses == [Clause(0, 7, None)]


@pytest.mark.parametrize("module", ["interpreter.text", "interpreter.similarity", "interpreter.readonly",
                                    "interpreter.cypher", "interpreter.linking", "interpreter.entities",
                                    "interpreter.patterns.rollback", "interpreter.llm.reply", "interpreter.llm.local",
                                    "interpreter.interpreter"])
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
