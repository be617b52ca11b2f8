"""A tiny Prometheus exporter (text format 0.0.4): request counts and latencies per route, plus gauges the app
reads at scrape time (KG version, jobs by status). No dependency: the format is a few lines of text."""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters and a latency histogram keyed by (method, route template, status)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, list[int]] = {}
        self._latency_sum: dict[str, float] = defaultdict(float)
        self.gauges: dict[str, tuple[str, Callable[[], dict[str, float] | float]]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            counts = self._latency.setdefault(route, [0] * (len(BUCKETS) + 1))
            counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self._latency_sum[route] += seconds

    def gauge(self, name: str, help_text: str, read: Callable[[], dict[str, float] | float]) -> None:
        """Register a gauge read at scrape time; ``read`` returns a value or {label value: value}."""
        self.gauges[name] = (help_text, read)

    def render(self) -> str:
        lines = ["# HELP kgedit_http_requests_total HTTP requests answered.",
                 "# TYPE kgedit_http_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self._requests.items()):
                lines.append(f'kgedit_http_requests_total{{method="{method}",route="{_esc(route)}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP kgedit_http_request_duration_seconds Time to answer a request.",
                      "# TYPE kgedit_http_request_duration_seconds histogram"]
            for route, counts in sorted(self._latency.items()):
                lines += _histogram("kgedit_http_request_duration_seconds", f'route="{_esc(route)}"', counts,
                                    self._latency_sum[route])
        for name, (help_text, read) in sorted(self.gauges.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            value = read()
            if isinstance(value, dict):
                lines += [f'{name}{{{k}}} {v}' for k, v in sorted(value.items())]
            else:
                lines.append(f"{name} {value}")
        return "\n".join(lines) + "\n"


def _histogram(name: str, labels: str, counts: list[int], total: float) -> list[str]:
    lines, cumulative = [], 0
    for bound, n in zip((*BUCKETS, float("inf")), counts):
        cumulative += n
        le = "+Inf" if bound == float("inf") else repr(bound)
        lines.append(f'{name}_bucket{{{labels},le="{le}"}} {cumulative}')
    lines += [f"{name}_sum{{{labels}}} {total:.6f}", f"{name}_count{{{labels}}} {cumulative}"]
    return lines


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """Times every HTTP request and records it under its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)
