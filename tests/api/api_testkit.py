"""Helpers for the API tests: a real kgedit HTTP service on a thread, with a seed KG and a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.client import Client
from api.options import ApiOptions
from api.server import serve_in_thread
from controller.facade import KGEdit
from kg.settings import Settings

SEED = """subject,relation,object
France,capital,Paris
France,official language,French
France,borders,Spain
France,borders,Germany
Germany,capital,Berlin
Japan,capital,Tokyo
United States,head of state,Joe Biden
"""


@dataclass
class Service:
    """The running service: its URL, the facade inside it, and a token per role."""

    url: str
    kge: KGEdit
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def call(self, method: str, path: str, role: str | None = "admin", **kw: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers={**self.headers(role), **kw.pop("headers", {})},
                             timeout=120, **kw)

    def client(self, role: str = "admin") -> Client:
        return Client(self.url, self.tokens[role])


def start_service(tmp_path_factory: pytest.TempPathFactory, **options: Any) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("service-home")
    # Model sync and the content guard off: these tests are about the HTTP layer, and stay fast and deterministic.
    settings = Settings.load(home=home, sync_model=False, content_guard=False)
    app = create_app(settings, options=ApiOptions(**options))
    with serve_in_thread(app) as url:
        kge: KGEdit = app.state.kgedit
        seed = home / "seed.csv"
        seed.write_text(SEED, encoding="utf-8")
        kge.import_file(seed)
        service = Service(url, kge, {"admin": kge.issue_token(kge.local_user.name)})
        for name, role in (("ed", "editor"), ("rita", "reviewer"), ("vic", "viewer")):
            kge.add_user(name, role)
            service.tokens[role] = kge.issue_token(name, user=name)
        yield service
