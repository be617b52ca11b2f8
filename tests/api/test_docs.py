"""The README's examples run as written, and every CLI command it shows exists.

Blocks preceded by ``<!-- docs-test: needs-server -->`` talk to a running service: the test starts
``kgedit serve --demo --kg-only`` and gets a token with ``kgedit users token $(whoami)``, exactly as a reader
would, and hands them to the block as ``KGEDIT_URL`` and ``KGEDIT_TOKEN``.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SERVER_MARK = "<!-- docs-test: needs-server -->"
_BLOCK = re.compile(r"(" + re.escape(SERVER_MARK) + r"\n)?```python\n(.*?)```", re.DOTALL)


def python_blocks(text: str) -> list[str]:
    """Blocks that run on their own."""
    return [code for mark, code in _BLOCK.findall(text) if not mark]


def server_blocks(text: str) -> list[str]:
    """Blocks that need a running service."""
    return [code for mark, code in _BLOCK.findall(text) if mark]


def test_readme_python_examples_run():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README has no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_http_sdk_example_runs_against_a_server(tmp_path, monkeypatch, capsys):
    blocks = server_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README has no HTTP SDK example"
    from api.server import free_port

    port = free_port()
    env = {**os.environ, "KGEDIT_HOME": str(tmp_path), "PYTHONPATH": os.getcwd()}
    cli = [sys.executable, "-m", "api.cli"]
    server = subprocess.Popen([*cli, "serve", "--demo", "--kg-only", "--no-token", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server)
        token = json.loads(subprocess.run([*cli, "users", "token", getpass.getuser(), "--json"], env=env,
                                          capture_output=True, text=True, check=True).stdout)["token"]
        monkeypatch.setenv("KGEDIT_URL", url)
        monkeypatch.setenv("KGEDIT_TOKEN", token)
        for block in blocks:
            exec(compile(block, str(README), "exec"), {})
    finally:
        server.terminate()
        server.wait(timeout=30)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "['Paris']" and printed[1].startswith("committed ") and printed[-1] == "['Paris']"


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"kgedit serve did not start (exit code {server.poll()})")
        time.sleep(0.5)


def test_readme_cli_commands_exist():
    from api.cli import main
    shown = set(re.findall(r"^kgedit (\w+)", README.read_text(encoding="utf-8"), re.MULTILINE))
    shown |= set(re.findall(r"`kgedit (\w+)", README.read_text(encoding="utf-8")))
    assert shown and shown <= set(main.commands), shown - set(main.commands)
