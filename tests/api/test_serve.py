"""`kgedit serve --demo` (what `make serve` runs) starts a real HTTP server with the demo KG loaded; the first
token comes from `kgedit users token $(whoami)` while it runs, as the README says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import getpass
import json
import re
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_demo_answers_over_http(tmp_path):
    port = free_port()
    env = {**os.environ, "KGEDIT_HOME": str(tmp_path), "PYTHONPATH": os.getcwd()}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{base}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, f"server exited: {server.stdout.read()}"
                assert time.monotonic() < deadline, "server did not start within 120 s"
                time.sleep(0.5)
        assert health.json() == {"status": "ok", "version": 1}
        assert httpx.get(f"{base}/v1/facts/France").status_code == 401
        token = json.loads(subprocess.run([sys.executable, "-m", "api.cli", "users", "token", getpass.getuser(),
                                           "--json"], env=env, capture_output=True, text=True, check=True).stdout)
        auth = {"Authorization": f"Bearer {token['token']}"}
        facts = httpx.get(f"{base}/v1/facts/France", params={"relation": "capital"}, headers=auth).json()
        assert [f["object_name"] for f in facts] == ["Paris"]
        missing = httpx.get(f"{base}/v1/facts/Atlantis", headers=auth)
        assert missing.status_code == 404 and "Atlantis" in missing.json()["detail"]
        refused = httpx.post(f"{base}/v1/query", json={"cypher": "CREATE (:Entity {id: 'x'})"}, headers=auth)
        assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and "kgedit" in page.text and "/static/app.js" in page.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    # `kgedit serve` also prints the page's address with a fresh admin token in it (the page stores it).
    assert re.search(r"serving http://127\.0\.0\.1:\d+/#token=kge_\S+", server.stdout.read())
