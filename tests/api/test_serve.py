"""`kgedit serve --demo` (what `make serve` runs) starts a real HTTP server with the demo KG loaded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
        facts = httpx.get(f"{base}/v1/facts/France", params={"relation": "capital"}).json()
        assert [f["object_name"] for f in facts] == ["Paris"]
        missing = httpx.get(f"{base}/v1/facts/Atlantis")
        assert missing.status_code == 404 and "Atlantis" in missing.json()["detail"]
        refused = httpx.post(f"{base}/v1/query", json={"cypher": "CREATE (:Entity {id: 'x'})"})
        assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
        assert httpx.get(f"{base}/", follow_redirects=True).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
