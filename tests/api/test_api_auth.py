"""Auth, errors and limits over a real HTTP server: every protected route answers 401 without a valid token,
errors are typed JSON (never a traceback), bodies over the limit are 413, CORS follows the configuration."""

from __future__ import annotations

import re

import httpx
import pytest
from api_testkit import start_service

PUBLIC = {"/v1/health", "/v1/ready"}


def protected_routes(service):
    schema = httpx.get(service.url + "/openapi.json").json()
    for path, methods in schema["paths"].items():
        if path not in PUBLIC:
            for method in methods:
                yield method.upper(), re.sub(r"\{[^}]+\}", "x", path)


def test_every_protected_route_needs_a_token(service):
    routes = list(protected_routes(service))
    assert len(routes) >= 30
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer kge_not-a-token"}, {"Authorization": "Basic abc"}):
            response = httpx.request(method, service.url + path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            body = response.json()
            assert body["error"] == "Unauthorized" and body["detail"] in ("missing API token", "invalid API token")
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role,method,path,body", [
    ("viewer", "POST", "/v1/edits", {"triples": [{"subject": "Japan", "relation": "capital", "object": "Nara"}]}),
    ("viewer", "POST", "/v1/forget", {"triples": [{"subject": "Japan", "relation": "capital"}]}),
    ("editor", "POST", "/v1/rollback", {"to_version": 1}),
    ("editor", "POST", "/v1/query", {"cypher": "MATCH (e:Entity) SET e.lang = 'x'", "write": True}),
    ("reviewer", "GET", "/v1/users", None),
    ("reviewer", "POST", "/v1/models/smollm2-135m/unload", None),
])
def test_roles_are_enforced(service, role, method, path, body):
    response = service.call(method, path, role, json=body)
    assert response.status_code == 403, response.text
    assert response.json()["error"] in ("Forbidden", "ReadOnlyQuery") and "may not" in response.json()["detail"]


def test_errors_are_json_with_error_and_detail(service):
    for method, path, body in (("GET", "/v1/facts/Nowhere", None), ("POST", "/v1/query", {"cypher": ""}),
                               ("GET", "/v1/diff", None), ("PUT", "/v1/edits", None)):
        response = service.call(method, path, "viewer", json=body)
        payload = response.json()
        assert set(payload) >= {"error", "detail"} and "Traceback" not in response.text, response.text
        assert response.status_code in (404, 405, 422)


def test_request_size_limit(service):
    limit = service.kge.settings.max_request_chars
    huge = {"cypher": "RETURN 1 AS x //" + "x" * (4 * limit)}
    response = service.call("POST", "/v1/query", "viewer", json=huge)
    assert response.status_code == 413 and response.json()["error"] == "RequestTooLarge"
    chunked = service.call("POST", "/v1/query", "viewer", content=iter([b'{"cypher": "', b"x" * (4 * limit + 10),
                                                                        b'"}']),
                           headers={"content-type": "application/json"})
    assert chunked.status_code == 413 and str(limit) in chunked.json()["detail"]


def test_cors_allows_only_configured_origins(service):
    preflight = {"Origin": "http://allowed.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = httpx.options(service.url + "/v1/edits", headers=preflight)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://allowed.example"
    other = httpx.options(service.url + "/v1/edits", headers={**preflight, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_revoked_token_stops_working(service):
    token = service.kge.issue_token("vic")
    assert httpx.get(service.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    service.kge.revoke_tokens("vic")
    assert httpx.get(service.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    service.tokens["viewer"] = service.kge.issue_token("vic")


@pytest.fixture(scope="module")
def small_uploads(tmp_path_factory):
    yield from start_service(tmp_path_factory, max_upload_bytes=200)


def test_upload_size_limit(small_uploads):
    big = "subject,relation,object\n" + "Italy,borders,France\n" * 20
    refused = small_uploads.call("POST", "/v1/jobs/import", "admin", files={"file": ("big.csv", big)})
    assert refused.status_code == 413 and "200 bytes" in refused.json()["detail"]
    small = small_uploads.call("POST", "/v1/jobs/import", "admin", files={"file": ("s.csv", "Italy,capital,Rome\n")})
    assert small.status_code == 202
