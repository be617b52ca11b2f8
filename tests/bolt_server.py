"""A real Bolt server for tests and benchmarks: ArcadeDB (``arcadedb-embedded``) in its own process.

ArcadeDB speaks Neo4j's Cypher dialect over Bolt (reference/platform.md §7.9); it is a stand-in for Neo4j, not
Neo4j. The server runs in a child process (its JVM must not share the test process, and a crash there must not
take pytest down), listens on free localhost ports and is stopped with SIGTERM. Databases are created and dropped
through ArcadeDB's HTTP admin API, which takes a few tens of milliseconds: cheaper than wiping one database.

    with ArcadeBoltServer(tmp_dir) as server:
        uri = server.uri                      # bolt://127.0.0.1:<port>
        server.create_database("t1")          # then GraphStore.open(uri, user=..., password=..., database="t1")

Run as a script (``python tests/bolt_server.py ROOT BOLT_PORT HTTP_PORT``) it is the child process itself.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

log = logging.getLogger(__name__)

USER = "root"
PASSWORD = "kgedit-test-password"  # a throwaway server on loopback; ArcadeDB wants at least 8 characters
READY = "ARCADEDB-READY"
START_TIMEOUT_S = 180.0  # a cold JVM on a busy 2-core machine has taken 10 s; leave a wide margin


class BoltServerError(RuntimeError):
    """The Bolt test server could not be started or did not answer."""


class ArcadeBoltServer:
    """An ArcadeDB server with its Bolt plugin, in a child process under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.bolt_port = 0
        self.http_port = 0
        self._proc: subprocess.Popen[str] | None = None
        self._output: deque[str] = deque(maxlen=60)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def __enter__(self) -> "ArcadeBoltServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the server and wait until its Bolt port accepts connections.

        Raises:
            BoltServerError: arcadedb-embedded is missing, the JVM failed, or the server did not come up in time;
                the message carries the end of the server's output.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self.bolt_port, self.http_port = _free_port(), _free_port()
        # ArcadeDB writes ./log relative to its working directory: keep it inside root.
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(self.root), str(self.bolt_port),
             str(self.http_port)],
            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        ready = threading.Event()
        threading.Thread(target=self._pump, args=(ready,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.1):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                why = "exited" if self._proc.poll() is not None else f"did not start in {timeout:.0f} s"
                self.stop()
                raise BoltServerError(f"ArcadeDB Bolt server {why}; its last output:\n" + "\n".join(self._output))
        log.info("ArcadeDB Bolt server ready at %s", self.uri)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def create_database(self, name: str) -> None:
        """Create an empty database. Raises BoltServerError."""
        self._command(f"create database {name}")

    def drop_database(self, name: str) -> None:
        """Drop a database and its files. Raises BoltServerError."""
        self._command(f"drop database {name}")

    def _command(self, command: str) -> None:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1/server", data=json.dumps({"command": command}).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except (urllib.error.URLError, OSError) as e:
            detail = e.read().decode(errors="replace") if isinstance(e, urllib.error.HTTPError) else str(e)
            raise BoltServerError(f"ArcadeDB refused {command!r}: {detail}") from e

    def _pump(self, ready: threading.Event) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._output.append(line.rstrip())
            if READY in line:  # ArcadeDB may leave its last log line unterminated
                ready.set()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(root: str, bolt_port: int, http_port: int) -> None:
    """The child process: start ArcadeDB with Bolt, print READY, run until SIGTERM."""
    import arcadedb_embedded

    server = arcadedb_embedded.create_server(root, root_password=PASSWORD, config={
        "host": "127.0.0.1", "http_port": http_port, "bolt_port": bolt_port,
        "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"})
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()
    print(f"\n{READY}", flush=True)
    # Also stop when the parent dies without stopping us (pytest killed): never leave a JVM behind.
    while not stop.wait(0.5) and os.getppid() == parent:
        pass
    server.stop()
    os._exit(0)  # the JVM's non-daemon threads would keep the process alive


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
