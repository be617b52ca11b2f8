"""The Python SDK over HTTP: :class:`Client` mirrors the embedded facade (:class:`controller.facade.KGEdit`)
method for method, returns the same pydantic models, and raises the same ``KGEditError`` subclasses.

>>> client = Client("http://127.0.0.1:8321", token)       # doctest: +SKIP
>>> client.edit(("France", "capital", "Lyon")).status     # doctest: +SKIP
'committed'

The user is the token's owner, so the facade's ``user=`` arguments have no counterpart here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from api import errors as api_errors
from controller.journal import Intent
from controller.outcomes import EditOutcome, EditRefused
from controller.queue import QueueTimeout
from controller.users import Role, Unauthorized, User
from kg import errors as kg_errors
from kg.errors import Conflict, Forbidden, InvalidInput, KGEditError, NotFound
from kg.records import Commit, CommitResult, Diff, Entity, Fact

Triple = tuple[str, str, str]

_BY_STATUS: dict[int, type[KGEditError]] = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
                                            413: api_errors.RequestTooLarge, 422: InvalidInput,
                                            501: api_errors.NotImplementedYet, 503: QueueTimeout}


def _error_types() -> dict[str, type[KGEditError]]:
    found: dict[str, type[KGEditError]] = {}
    todo: list[type[KGEditError]] = [KGEditError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo += cls.__subclasses__()
    return found


def error_from_response(response: httpx.Response) -> KGEditError:
    """The typed error an ``{error, detail}`` answer stands for (by name; else by status code)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    name, detail = str(body.get("error", "")), str(body.get("detail") or response.text or response.reason_phrase)
    _ = (kg_errors, EditRefused)  # imported so their subclasses are known by name
    cls = _error_types().get(name) or _BY_STATUS.get(response.status_code, KGEditError)
    exc = cls.__new__(cls)
    Exception.__init__(exc, detail)
    for key in api_errors.EXTRA_FIELDS:
        if key in body:
            setattr(exc, key, body[key])
    return exc


class Client:
    """kgedit over HTTP. ``base_url`` like ``http://127.0.0.1:8321``; ``token`` from ``kgedit users token``.

    ``Client.from_env()`` reads ``KGEDIT_URL`` and ``KGEDIT_TOKEN``.
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 300.0,
                 transport: httpx.BaseTransport | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)

    @classmethod
    def from_env(cls) -> "Client":
        return cls(os.environ.get("KGEDIT_URL", "http://127.0.0.1:8321"), os.environ.get("KGEDIT_TOKEN"))

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reading -------------------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._call("GET", "/v1/health")["version"]

    def facts(self, entity: str, *, at: int | None = None, relation: str | None = None) -> list[Fact]:
        return _as(list[Fact], self._call("GET", f"/v1/facts/{_seg(entity)}", params={"at": at, "relation": relation}))

    def entity(self, name: str) -> Entity:
        return Entity.model_validate(self._call("GET", f"/v1/entities/{_seg(name)}"))

    def entities(self, *, contains: str | None = None, limit: int | None = 100) -> list[Entity]:
        return _as(list[Entity], self._call("GET", "/v1/entities", params={"q": contains, "limit": limit}))

    def relations(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/relations")

    def neighbourhood(self, entity: str, *, depth: int = 1, at: int | None = None) -> list[Fact]:
        return _as(list[Fact], self._call("GET", f"/v1/neighbourhood/{_seg(entity)}",
                                          params={"depth": depth, "at": at}))

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, at: int | None = None,
              write: bool = False) -> list[dict[str, Any]]:
        return self._call("POST", "/v1/query", json={"cypher": cypher, "params": params or {}, "at": at,
                                                      "write": write})

    def log(self, *, limit: int | None = None) -> list[Commit]:
        return _as(list[Commit], self._call("GET", "/v1/log", params={"limit": limit or 10_000}))

    def version_info(self, version: int) -> Commit:
        return Commit.model_validate(self._call("GET", f"/v1/versions/{version}"))

    def diff(self, from_version: int, to_version: int) -> Diff:
        return Diff.model_validate(self._call("GET", "/v1/diff", params={"from_version": from_version,
                                                                         "to_version": to_version}))

    def edits(self, *, status: str | None = None, user: str | None = None, limit: int | None = 50) -> list[Intent]:
        body = self._call("GET", "/v1/edits", params={"status": status, "user": user, "limit": limit or 1000})
        return _as(list[Intent], body["data"])

    def get_edit(self, edit_id: str) -> Intent:
        return Intent.model_validate(self._call("GET", f"/v1/edits/{_seg(edit_id)}"))

    # -- editing -------------------------------------------------------------------------------------------

    def edit(self, triples: list[Triple] | Triple, *, method: str | None = None,
             expected_version: int | None = None) -> EditOutcome:
        body = {"triples": _triples(triples), "method": method, "expected_version": expected_version}
        return EditOutcome.model_validate(self._call("POST", "/v1/edits", json=body))

    def forget(self, triples: list[tuple[str, str, str | None]] | tuple[str, str, str | None], *,
               expected_version: int | None = None) -> EditOutcome:
        body = {"triples": _triples(triples), "expected_version": expected_version}
        return EditOutcome.model_validate(self._call("POST", "/v1/forget", json=body))

    def rollback(self, *, edit_id: str | None = None, to_version: int | None = None, commit: int | None = None,
                 of_user: str | None = None, since: str | None = None
                 ) -> EditOutcome | list[EditOutcome] | CommitResult:
        body = self._call("POST", "/v1/rollback", json={"edit_id": edit_id, "to_version": to_version,
                                                         "commit": commit, "of_user": of_user, "since": since})
        if isinstance(body, list):
            return _as(list[EditOutcome], body)
        return CommitResult.model_validate(body) if "commit" in body else EditOutcome.model_validate(body)

    def approve(self, edit_id: str) -> EditOutcome:
        return EditOutcome.model_validate(self._call("POST", f"/v1/edits/{_seg(edit_id)}/approve"))

    def reject(self, edit_id: str, *, reason: str = "") -> Intent:
        return Intent.model_validate(self._call("POST", f"/v1/edits/{_seg(edit_id)}/reject",
                                                json={"reason": reason}))

    def interpret(self, text: str) -> Any:
        """What the interpreter understood (an ``interpreter.Interpretation``); applies nothing."""
        from interpreter.types import Interpretation  # the interpreter's types, only when asked for

        return Interpretation.model_validate(self._call("POST", "/v1/interpret", json={"text": text}))

    def submit(self, text: str, *, method: str | None = None) -> list[Any]:
        """Carry out a natural-language message; one ``controller.nl.Answer`` per request in it."""
        from controller.nl import Answer

        return _as(list[Answer], self._call("POST", "/v1/submit", json={"text": text, "method": method}))

    def ask(self, question: str) -> str:
        return self._call("POST", "/v1/ask", json={"question": question})["answer"]

    # -- KG maintenance (jobs) -------------------------------------------------------------------------------

    def import_file(self, path: str | Path, *, fmt: str | None = None, add_unknown_relations: bool = False,
                    wait: float = 600.0) -> CommitResult:
        """Upload a file as an import job and wait for it; the result has the commit (facts are not listed)."""
        path = Path(path)
        with path.open("rb") as f:
            job = self._call("POST", "/v1/jobs/import", files={"file": (path.name, f)},
                             data={k: v for k, v in (("format", fmt),
                                                     ("add_relations", str(add_unknown_relations).lower())) if v})
        job = self.wait_job(job["id"], timeout=wait)
        return CommitResult(commit=Commit.model_validate(job["result"]["commit"]), added=[], retired=[])

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/jobs/{_seg(job_id)}")

    def wait_job(self, job_id: str, *, timeout: float = 600.0, poll: float = 0.2) -> dict[str, Any]:
        """Poll a job until it ends; raises the job's typed error if it failed."""
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id))["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise Conflict(f"job {job_id} still {job['status']} after {timeout} s")
            time.sleep(poll)
        if job["status"] == "failed":
            raise error_from_response(httpx.Response(422, json=job["error"]))
        return job

    def export_file(self, path: str | Path, *, fmt: str | None = None, at: int | None = None) -> int:
        """Download the facts into ``path``; returns the number of facts (lines/triples) written."""
        fmt = fmt or Path(path).suffix.lstrip(".") or "csv"
        response = self._request("GET", "/v1/export", params={"format": fmt, "at": at})
        Path(path).write_bytes(response.content)
        return int(response.headers["X-Kgedit-Facts"])

    # -- models ------------------------------------------------------------------------------------------------

    def generate(self, prompts: list[str], *, max_new_tokens: int = 32, chat: bool = True,
                 decoding: str = "greedy", model: str | None = None, **options: Any) -> list[str]:
        body = {"prompts": prompts, "max_new_tokens": max_new_tokens, "chat": chat, "decoding": decoding,
                "model": model, **options}
        return self._call("POST", "/v1/generate", json=body)["outputs"]

    def chat(self, messages: list[dict[str, str]], **options: Any) -> dict[str, Any]:
        """OpenAI-style chat completion (``kg_grounding`` on by default)."""
        return self._call("POST", "/v1/chat/completions", json={"messages": messages, **options})

    def models(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v1/models")

    def load_model(self, name: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/models/{_seg(name)}/load")

    def unload_model(self, name: str) -> bool:
        return self._call("POST", f"/v1/models/{_seg(name)}/unload")["unloaded"]

    def lineage(self, name: str | None = None) -> dict[str, Any]:
        """The model's ledger: base checksum, records with their edits, state ids (default model when None)."""
        name = name or next(m["name"] for m in self.models() if m["default"])
        return self._call("GET", f"/v1/models/{_seg(name)}/lineage")

    # -- users -------------------------------------------------------------------------------------------------

    def me(self) -> User:
        return _user(self._call("GET", "/v1/me"))

    def list_users(self) -> list[User]:
        return [_user(u) for u in self._call("GET", "/v1/users")]

    def add_user(self, name: str, role: Role | str = Role.EDITOR) -> User:
        return _user(self._call("POST", "/v1/users", json={"name": name, "role": _role(role)}))

    def set_role(self, name: str, role: Role | str) -> User:
        return _user(self._call("PATCH", f"/v1/users/{_seg(name)}", json={"role": _role(role)}))

    def issue_token(self, name: str, *, label: str = "") -> str:
        return self._call("POST", f"/v1/users/{_seg(name)}/tokens", json={"label": label})["token"]

    def revoke_tokens(self, name: str) -> int:
        return self._call("DELETE", f"/v1/users/{_seg(name)}/tokens")["revoked"]

    # -- transport ---------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        return self._request(method, path, **kw).json()

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        if isinstance(kw.get("json"), dict):
            kw["json"] = {k: v for k, v in kw["json"].items() if v is not None}
        response = self._http.request(method, path, params=params, **kw)
        if response.is_error:
            raise error_from_response(response)
        return response


def _as(kind: Any, data: Any) -> Any:
    return TypeAdapter(kind).validate_python(data)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _triples(value: Any) -> list[dict[str, Any]]:
    items = [value] if isinstance(value, tuple) else list(value)
    if not all(isinstance(t, (tuple, list)) and len(t) == 3 for t in items):
        raise InvalidInput("a triple is (subject, relation, object)")
    return [{"subject": s, "relation": r, "object": o} for s, r, o in items]


def _role(role: Role | str) -> str:
    return Role.parse(role).name.lower()


def _user(body: dict[str, Any]) -> User:
    return User(name=body["name"], role=Role.parse(body["role"]))
