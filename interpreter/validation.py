"""Refuse input that is not a message: empty, too large, or binary. Runs before any parsing."""

from __future__ import annotations

import unicodedata

from interpreter.errors import BinaryInput, EmptyInput, InputTooLarge

# Tab, newline and carriage return are text; every other C0/C1 control character (NUL included) is not.
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Characters that carry no visible content: a message of only these is empty.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc"})


def check_message(text: str | bytes, *, max_chars: int) -> str:
    """Return ``text`` as a ``str`` if it is an acceptable message.

    Bytes are decoded as strict UTF-8. The size limit is checked before the character scan, so a huge input
    costs nothing to refuse.

    Raises:
        BinaryInput: undecodable bytes, lone surrogates, NUL or another control character.
        InputTooLarge: more than ``max_chars`` characters.
        EmptyInput: nothing but whitespace or invisible characters.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = _decode(bytes(text), max_chars=max_chars)
    if not isinstance(text, str):
        raise BinaryInput(f"expected text, got {type(text).__name__}")
    if len(text) > max_chars:
        raise InputTooLarge(len(text), max_chars)
    _refuse_binary(text)
    if all(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in text):
        raise EmptyInput()
    return text


def _decode(data: bytes, *, max_chars: int) -> str:
    # A UTF-8 character is at most 4 bytes: anything longer than that cannot fit the limit.
    if len(data) > 4 * max_chars:
        raise InputTooLarge(len(data), max_chars)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BinaryInput("invalid UTF-8", position=e.start) from e


def _refuse_binary(text: str) -> None:
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cc" and ch not in _ALLOWED_CONTROLS:
            raise BinaryInput(f"control character U+{ord(ch):04X}", position=i)
        if category == "Cs":  # lone surrogates come from surrogateescape-decoded bytes
            raise BinaryInput(f"lone surrogate U+{ord(ch):04X} (undecodable bytes)", position=i)
