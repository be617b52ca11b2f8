"""Bad input is refused with a typed error before any parsing; good input in any form is accepted."""

from __future__ import annotations

import pytest

from interpreter import Interpreter, InterpreterSettings
from interpreter.errors import BinaryInput, EmptyInput, InputTooLarge, TooManyClauses, UnsupportedLanguage
from interpreter.validation import check_message
from kg.errors import InvalidInput


class TestEmpty:
    """Empty and blank messages."""

    @pytest.mark.parametrize("text", ["", "   ", "\n\t\r\n", "\u3000\u200b", b"", b"  \n"])
    def test_blank_is_empty_input(self, bare: Interpreter, text: str | bytes) -> None:
        with pytest.raises(EmptyInput):
            bare.interpret(text)

    def test_errors_are_invalid_input(self) -> None:
        with pytest.raises(InvalidInput) as info:
            check_message("", max_chars=10)
        assert info.value.http_status == 422


class TestSize:
    """The configured maximum size."""

    def test_default_limit_is_20000(self) -> None:
        assert InterpreterSettings().max_chars == 20_000

    def test_over_limit_names_sizes(self, schema) -> None:
        small = Interpreter(schema, embedder=None, settings=InterpreterSettings(max_chars=50))
        with pytest.raises(InputTooLarge) as info:
            small.interpret("The capital of France is Paris. " * 3)
        assert info.value.max_chars == 50 and info.value.length == 96

    def test_at_limit_is_accepted(self, schema) -> None:
        text = "The capital of France is Paris"
        small = Interpreter(schema, embedder=None, settings=InterpreterSettings(max_chars=len(text)))
        assert small.interpret(text).intents[0].kind == "edit"

    def test_huge_bytes_refused_before_decoding(self) -> None:
        with pytest.raises(InputTooLarge):
            check_message(b"a" * 100_001, max_chars=20_000)

    def test_too_many_sentences(self, schema) -> None:
        limited = Interpreter(schema, embedder=None, settings=InterpreterSettings(max_clauses=3))
        with pytest.raises(TooManyClauses):
            limited.interpret("Hi. " * 5)

    def test_from_product_settings(self) -> None:
        from kg.settings import Settings

        assert InterpreterSettings.from_settings(Settings(max_request_chars=123)).max_chars == 123


class TestBinary:
    """Binary data is not a message."""

    @pytest.mark.parametrize("text", ["The capital\x00 of France", "abc\x07def", "x\x1by", "\x7f", "a\x85b"])
    def test_control_characters(self, bare: Interpreter, text: str) -> None:
        with pytest.raises(BinaryInput) as info:
            bare.interpret(text)
        assert info.value.position is not None

    def test_invalid_utf8_bytes(self, bare: Interpreter) -> None:
        with pytest.raises(BinaryInput) as info:
            bare.interpret(b"The capital of \xff\xfe France")
        assert info.value.position == 15

    def test_png_header(self, bare: Interpreter) -> None:
        with pytest.raises(BinaryInput):
            bare.interpret(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    def test_lone_surrogate(self, bare: Interpreter) -> None:
        with pytest.raises(BinaryInput):
            bare.interpret(b"abc\xff".decode("utf-8", "surrogateescape"))

    def test_non_text_type(self) -> None:
        with pytest.raises(BinaryInput):
            check_message(12345, max_chars=10)  # type: ignore[arg-type]


class TestAccepted:
    """Ordinary text in its usual forms."""

    def test_utf8_bytes_decode(self, bare: Interpreter) -> None:
        result = bare.interpret("法国的首都是巴黎".encode())
        assert result.lang == "zh" and result.intents[0].triples[0].relation.name == "capital"

    def test_newlines_and_tabs_are_text(self, bare: Interpreter) -> None:
        result = bare.interpret("The capital of France is Paris.\n\tThe capital of Japan is Tokyo.")
        assert [i.kind for i in result.intents] == ["edit", "edit"]

    @pytest.mark.parametrize("lang", ["en", "EN", "en-GB", "zh_CN", "zh-Hans"])
    def test_language_tags(self, bare: Interpreter, lang: str) -> None:
        assert bare.interpret("hello", lang=lang).lang == lang[:2].lower()

    def test_unsupported_language(self, bare: Interpreter) -> None:
        with pytest.raises(UnsupportedLanguage):
            bare.interpret("Bonjour", lang="fr")
