"""Relation and entity normalisation in isolation."""

from __future__ import annotations

import numpy as np
import pytest

from interpreter import InMemoryEntityIndex, InterpreterSettings
from interpreter.entities import EntityIndex
from interpreter.linking import EntityLinker, trim_mention
from interpreter.relations import RelationMatcher
from interpreter.similarity import phrase_key, typo_similarity


@pytest.fixture(scope="module")
def matcher(schema, embedder) -> RelationMatcher:
    return RelationMatcher(schema, settings=InterpreterSettings(), embedder=lambda: embedder)


class TestRelationMatcher:
    """Aliases first, then spelling, then embeddings."""

    @pytest.mark.parametrize("phrase,name,method", [
        ("capital", "capital", "name"), ("Capital City", "capital", "alias"), ("the new CEO", "ceo", "name"),
        ("prime minister", "head_of_government", "alias"), ("首相", "head_of_government", "alias"),
        ("head-of-state", "head_of_state", "name"), ("plays for", "member_of_sports_team", "alias"),
        ("captial", "capital", "fuzzy"), ("prime minster", "head_of_government", "fuzzy"),
        ("national currency", "currency", "embedding"), ("wife or husband", "spouse", "embedding"),
    ])
    def test_resolves(self, matcher: RelationMatcher, phrase: str, name: str, method: str) -> None:
        match = matcher.match(phrase)
        assert match.status == "resolved" and match.ref.name == name and match.ref.method == method
        assert match.ref.text == phrase and (match.ref.score == 1.0) == (method in ("name", "alias"))

    def test_inverse_pair_prefers_the_forward_relation(self, matcher: RelationMatcher) -> None:
        """"top executive" embeds nearest to ceo_of, a hair above ceo; a noun slot means ceo."""
        assert matcher.match("top executive").ref.name == "ceo"

    @pytest.mark.parametrize("phrase", ["vibe", "favourite colour", "老板"])
    def test_unknown(self, matcher: RelationMatcher, phrase: str) -> None:
        match = matcher.match(phrase)
        assert match.status == "unknown" and match.ref is None

    def test_chinese_never_uses_the_english_embedder(self, schema) -> None:
        def refuse():
            raise AssertionError("embedder requested for Chinese text")

        lazy = RelationMatcher(schema, settings=InterpreterSettings(), embedder=refuse)
        assert lazy.match("气质").status == "unknown"
        assert lazy.match("首都").status == "resolved"

    def test_embedder_is_not_loaded_for_aliases(self, schema) -> None:
        calls = []
        lazy = RelationMatcher(schema, settings=InterpreterSettings(), embedder=lambda: calls.append(1))
        lazy.match("capital city")
        lazy.match("captial")
        assert calls == []

    def test_mentioned(self, matcher: RelationMatcher) -> None:
        assert matcher.mentioned("Who is Apple's CEO and where is its head office?") == ["ceo", "headquarters"]


@pytest.fixture(scope="module")
def small_index(embedder) -> InMemoryEntityIndex:
    return InMemoryEntityIndex([("united_kingdom", "United Kingdom", ["UK", "Britain", "英国"]),
                                ("united_states", "United States", ["USA", "美国"]),
                                ("tim_cook", "Tim Cook", ["库克"])], embedder=embedder)


class TestEntityIndex:
    """The in-memory EntityIndex."""

    def test_protocol(self, small_index: InMemoryEntityIndex) -> None:
        assert isinstance(small_index, EntityIndex) and len(small_index) == 3

    @pytest.mark.parametrize("name,expected,method", [
        ("UK", "united_kingdom", "exact"), ("united  kingdom", "united_kingdom", "exact"), ("英国", "united_kingdom", "exact"),
        ("United Kingdon", "united_kingdom", "fuzzy"), ("the U.K.", "united_kingdom", "embedding"),
    ])
    def test_lookup(self, small_index: InMemoryEntityIndex, name: str, expected: str, method: str) -> None:
        best = small_index.lookup(name)[0]
        assert (best.id, best.method) == (expected, method)

    def test_no_match(self, small_index: InMemoryEntityIndex) -> None:
        assert small_index.lookup("Zanzibar pancakes") == [] and small_index.lookup("...") == []

    def test_chinese_skips_embeddings(self) -> None:
        class Refusing:
            def encode(self, texts):
                raise AssertionError("no embedding for Chinese")

        idx = InMemoryEntityIndex([("uk", "United Kingdom", ["英国"])], embedder=Refusing())
        assert idx.lookup("德国") == []


class TestLinker:
    """Linking decisions and mention trimming."""

    def test_without_index_every_mention_is_new(self) -> None:
        linker = EntityLinker(None, InterpreterSettings())
        match = linker.link("the United Kingdom", None)
        assert match.ref.id == "united_kingdom" and not match.ref.linked

    def test_article_dropped_only_when_needed(self) -> None:
        index = InMemoryEntityIndex([("the_hague", "The Hague", []), ("uk", "United Kingdom", [])])
        linker = EntityLinker(index, InterpreterSettings())
        assert linker.link("The Hague", None).ref.id == "the_hague"
        assert linker.link("the United Kingdom", None).ref.id == "uk"

    @pytest.mark.parametrize("text,expected", [
        ("  Paris now!", "Paris"), ("《1984》", "1984"), ("斯塔默了", "斯塔默"), ("Tim Cook anymore.", "Tim Cook"),
        ("it", None), ("what", None), ("the country that borders Spain", None), ("X is Y", None), ("!!!", None),
    ])
    def test_trim(self, text: str, expected: str | None) -> None:
        lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
        got = trim_mention(text, 0, len(text), lang)
        assert (text[got[0]:got[1]] if got else None) == expected


class TestSimilarity:
    """Spelling similarity."""

    def test_values(self) -> None:
        assert typo_similarity("capital", "capital") == 1.0
        assert typo_similarity("capitl", "capital") == pytest.approx(6 / 7)
        assert typo_similarity("ab", "abcdefgh") == 0.0
        assert phrase_key("Head-of_State!") == "head of state"


def test_embedder_returns_unit_vectors(embedder) -> None:
    vectors = embedder.encode(["capital", "chief executive"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.encode([]).shape == (0, 384)
