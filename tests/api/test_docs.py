"""The README's examples run as written, and every CLI command it shows exists."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def test_readme_python_examples_run():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README has no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_cli_commands_exist():
    from api.cli import main
    shown = set(re.findall(r"^kgedit (\w+)", README.read_text(encoding="utf-8"), re.MULTILINE))
    assert shown and shown <= set(main.commands), shown - set(main.commands)
