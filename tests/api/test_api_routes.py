"""Every /v1 route over a real HTTP server on localhost (KG only: model sync off; the model routes that need
weights are in test_api_model.py)."""

from __future__ import annotations

import time

import pytest

from kg.records import TripleIn


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def wait_job(service, job_id, role="admin", timeout=60):
    deadline = time.monotonic() + timeout
    while (job := ok(service.call("GET", f"/v1/jobs/{job_id}", role)))["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


class TestSystem:
    def test_health_and_ready_need_no_token(self, service):
        assert ok(service.call("GET", "/v1/health", None)) == {"status": "ok", "version": service.kge.version}
        ready = ok(service.call("GET", "/v1/ready", None))
        assert ready["ready"] is True and ready["checks"] == {"store": "ok", "controller_db": "ok"}

    def test_metrics_prometheus_text(self, service):
        service.call("GET", "/v1/facts/France", "viewer")
        text = service.call("GET", "/metrics", None).text
        assert "# TYPE kgedit_http_requests_total counter" in text
        assert 'kgedit_http_requests_total{method="GET",route="/v1/facts/{entity}",status="200"}' in text
        assert 'kgedit_http_request_duration_seconds_bucket{route="/v1/facts/{entity}",le="+Inf"}' in text
        assert f"kgedit_kg_version {service.kge.version}" in text

    def test_page_and_docs(self, service):
        page = service.call("GET", "/", None)
        assert page.status_code == 200 and "<svg id=\"graph\"" in page.text and "/static/app.js" in page.text
        assert "fetch(" in service.call("GET", "/static/app.js", None).text
        assert "http" not in service.call("GET", "/static/style.css", None).text  # nothing from outside
        schema = ok(service.call("GET", "/openapi.json", None))
        assert "/v1/chat/completions" in schema["paths"] and "HTTPBearer" in schema["components"]["securitySchemes"]


class TestReads:
    def test_facts_entities_relations(self, service):
        facts = ok(service.call("GET", "/v1/facts/France", "viewer", params={"relation": "capital"}))
        assert [f["object_name"] for f in facts] == ["Paris"]
        assert ok(service.call("GET", "/v1/entities/united states", "viewer"))["name"] == "United States"
        found = ok(service.call("GET", "/v1/entities", "viewer", params={"q": "ran"}))
        assert [e["name"] for e in found] == ["France"]
        relations = {r["name"]: r for r in ok(service.call("GET", "/v1/relations", "viewer"))}
        assert relations["capital"]["prompts"]["en"][0] == "The capital of {subject} is"

    def test_neighbourhood(self, service):
        facts = ok(service.call("GET", "/v1/neighbourhood/Spain", "viewer", params={"depth": 2}))
        assert {"Paris", "Spain", "Germany"} <= {f["object_name"] for f in facts}
        bad = service.call("GET", "/v1/neighbourhood/Spain", "viewer", params={"depth": 9})
        assert bad.status_code == 422 and bad.json()["error"] == "ValidationError" and "depth" in bad.json()["detail"]

    def test_query_read_and_time_travel(self, service):
        body = {"cypher": "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.id = $s AND visible(f) "
                          "RETURN b.name AS name ORDER BY name", "params": {"s": "japan"}, "at": 1}
        assert ok(service.call("POST", "/v1/query", "viewer", json=body)) == [{"name": "Tokyo"}]

    def test_query_errors_are_typed(self, service):
        refused = service.call("POST", "/v1/query", "viewer", json={"cypher": "CREATE (:Entity {id: 'x'})"})
        assert refused.status_code == 403 and refused.json()["error"] == "ReadOnlyQuery"
        writes = service.call("POST", "/v1/query", "editor", json={"cypher": "CREATE (:Entity {id: 'x'})",
                                                                   "write": True})
        assert writes.status_code == 403 and "admin" in writes.json()["detail"]
        broken = service.call("POST", "/v1/query", "viewer", json={"cypher": "MATCH (n) RETURN"})
        assert broken.status_code == 422 and broken.json()["error"] == "InvalidQuery"

    def test_admin_write_query(self, service):
        rows = ok(service.call("POST", "/v1/query", "admin", json={
            "cypher": "MATCH (e:Entity) WHERE e.id = 'japan' SET e.lang = 'en' RETURN e.lang AS lang",
            "write": True}))
        assert rows == [{"lang": "en"}]

    def test_versions_log_diff_export(self, service):
        head = service.kge.version
        versions = ok(service.call("GET", "/v1/versions", "viewer"))
        assert versions["head"] == head and versions["data"][0]["version"] == head
        assert ok(service.call("GET", "/v1/versions/1", "viewer"))["kind"] == "import"
        assert service.call("GET", "/v1/versions/999", "viewer").status_code == 404
        assert ok(service.call("GET", "/v1/log", "viewer", params={"limit": 1}))[0]["version"] == head
        diff = ok(service.call("GET", "/v1/diff", "viewer", params={"from_version": 0, "to_version": 1}))
        assert len(diff["added"]) >= 7 and diff["removed"] == []
        exported = service.call("GET", "/v1/export", "viewer", params={"format": "nt", "at": 1})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/n-triples")
        assert "Tokyo" in exported.text and int(exported.headers["x-kgedit-facts"]) >= 7

    def test_missing_things_are_404(self, service):
        missing = service.call("GET", "/v1/facts/Atlantis", "viewer")
        assert missing.status_code == 404 and missing.json() == {"error": "NotFound",
                                                                 "detail": "no entity named 'Atlantis'"}
        assert service.call("GET", "/v1/no-such-route", "viewer").json()["error"] == "NotFound"


class TestEdits:
    def test_edit_list_get_and_rollback_edit(self, service):
        out = ok(service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "Japan", "relation": "capital", "object": "Kyoto"}]}))
        assert out["status"] == "committed" and out["retired"][0]["object_name"] == "Tokyo"
        listed = ok(service.call("GET", "/v1/edits", "viewer", params={"user": "ed", "status": "committed"}))
        assert listed["count"] >= 1 and listed["data"][0]["edit_id"] == out["edit_id"]
        assert ok(service.call("GET", f"/v1/edits/{out['edit_id']}", "viewer"))["kg_version"] == out["version"]
        back = ok(service.call("POST", f"/v1/edits/{out['edit_id']}/rollback", "editor"))
        assert back["kind"] == "rollback" and {f["object"] for f in back["added"]} >= {"Tokyo"}
        again = service.call("POST", f"/v1/edits/{out['edit_id']}/rollback", "editor")
        assert again.status_code == 409 and "already rolled back" in again.json()["detail"]

    def test_expected_version_conflict(self, service):
        stale = service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "Japan", "relation": "capital", "object": "Osaka"}], "expected_version": 0})
        assert stale.status_code == 409 and stale.json()["error"] == "Conflict"

    def test_bad_edits_are_422_or_404_with_a_message(self, service):
        empty = service.call("POST", "/v1/edits", "editor", json={})
        assert empty.status_code == 422 and "give either triples or text" in empty.json()["detail"]
        partial = service.call("POST", "/v1/edits", "editor", json={"triples": [{"subject": "Japan"}]})
        assert partial.status_code == 422 and "triples.0.relation: Field required" in partial.json()["detail"]
        unknown = service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "Japan", "relation": "capitol of", "object": "Kyoto"}]})
        assert unknown.status_code == 404 and "capital" in unknown.json()["suggestions"]
        not_json = service.call("POST", "/v1/edits", "editor", content=b"{",
                                headers={"content-type": "application/json"})
        assert not_json.status_code == 422 and not_json.json()["error"] == "ValidationError"

    def test_forget_and_rollback_by_body(self, service):
        out = ok(service.call("POST", "/v1/forget", "editor", json={
            "triples": [{"subject": "France", "relation": "official language", "object": None}]}))
        assert out["kind"] == "forget" and [f["object_name"] for f in out["retired"]] == ["French"]
        back = ok(service.call("POST", "/v1/rollback", "editor", json={"edit_id": out["edit_id"]}))
        assert back["kind"] == "rollback"
        assert [f.object_name for f in service.kge.facts("France", relation="official_language")] == ["French"]
        none = service.call("POST", "/v1/rollback", "editor", json={})
        assert none.status_code == 422 and "exactly one" in none.json()["detail"]

    def test_rollback_to_version_and_commit_need_admin(self, service):
        head = service.kge.version
        out = ok(service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "Germany", "relation": "capital", "object": "Bonn"}]}))
        assert service.call("POST", "/v1/rollback", "editor", json={"to_version": head}).status_code == 403
        back = ok(service.call("POST", "/v1/rollback", "admin", json={"to_version": head}))
        assert back["kind"] == "rollback"
        assert service.kge.facts("Germany", relation="capital")[0].object_name == "Berlin"
        assert out["version"] == head + 1
        extra = service.kge.add_facts([TripleIn(subject="Atlantis", relation="capital", object="Poseidonia")])
        assert service.call("POST", "/v1/rollback", "editor", json={"commit": extra.commit.version}).status_code == 403
        result = ok(service.call("POST", "/v1/rollback", "admin", json={"commit": extra.commit.version}))
        assert result["commit"]["reverts"] == extra.commit.version

    def test_rollback_of_user_since(self, service):
        since = ok(service.call("GET", "/v1/versions/1", "viewer"))["ts"]
        out = ok(service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "Spain", "relation": "capital", "object": "Madrid"}]}))
        undone = ok(service.call("POST", "/v1/rollback", "reviewer", json={"of_user": "ed", "since": since}))
        assert isinstance(undone, list) and undone and all(o["kind"] == "rollback" for o in undone)
        assert ok(service.call("GET", f"/v1/edits/{out['edit_id']}", "viewer"))["result"]["rolled_back_by"]
        assert service.kge.facts("Spain", relation="capital") == []

    def test_quarantine_approve_and_reject(self, service):
        held = ok(service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "United States", "relation": "head of state", "object": "Kamala Harris"}]}))
        assert held["status"] == "quarantined" and any("protected" in r for r in held["reasons"])
        queue = ok(service.call("GET", "/v1/edits", "viewer", params={"status": "quarantined"}))
        assert held["edit_id"] in {i["edit_id"] for i in queue["data"]}
        assert service.call("POST", f"/v1/edits/{held['edit_id']}/approve", "editor").status_code == 403
        applied = ok(service.call("POST", f"/v1/edits/{held['edit_id']}/approve", "reviewer"))
        assert applied["status"] == "committed"
        twice = service.call("POST", f"/v1/edits/{held['edit_id']}/approve", "reviewer")
        assert twice.status_code == 409 and "not quarantined" in twice.json()["detail"]
        other = ok(service.call("POST", "/v1/edits", "editor", json={
            "triples": [{"subject": "United States", "relation": "head of state", "object": "Nobody Atall"}]}))
        rejected = ok(service.call("POST", f"/v1/edits/{other['edit_id']}/reject", "reviewer",
                                   json={"reason": "not true"}))
        assert rejected["status"] == "rejected" and "not true" in rejected["reasons"][-1]
        assert service.call("GET", "/v1/edits/e-nope", "viewer").status_code == 404

    def test_viewer_cannot_edit(self, service):
        denied = service.call("POST", "/v1/edits", "viewer", json={
            "triples": [{"subject": "Japan", "relation": "capital", "object": "Nara"}]})
        assert denied.status_code == 403 and denied.json()["error"] == "Forbidden"
        assert "editor" in denied.json()["detail"]


class TestNaturalLanguage:
    def test_interpret_shows_what_was_understood(self, service):
        reading = ok(service.call("POST", "/v1/interpret", "viewer", json={"text": "The capital of Japan is Kyoto"}))
        [intent] = reading["intents"]
        assert intent["kind"] == "edit" and intent["triples"][0]["relation"]["name"] == "capital"
        assert service.kge.facts("Japan", relation="capital")[0].object_name == "Tokyo"  # nothing applied

    def test_text_edit_through_submit(self, service):
        # as the admin: the editor's burst of conflicting edits in this module would hold these for review
        out = ok(service.call("POST", "/v1/edits", "admin", json={"text": "The capital of Japan is Kyoto"}))
        assert out["status"] == "committed" and out["added"][0]["object"] == "Kyoto"
        ok(service.call("POST", "/v1/rollback", "admin", json={"edit_id": out["edit_id"]}))
        answers = ok(service.call("POST", "/v1/submit", "admin", json={"text": "The capital of Japan is Kyoto"}))
        assert answers[0]["intent"] == "edit" and answers[0]["outcome"]["status"] == "committed"
        ok(service.call("POST", "/v1/rollback", "admin", json={"edit_id": answers[0]["outcome"]["edit_id"]}))


class TestUsers:
    def test_me_and_admin_user_management(self, service):
        assert ok(service.call("GET", "/v1/me", "editor")) == {"name": "ed", "role": "editor"}
        made = ok(service.call("POST", "/v1/users", "admin", json={"name": "newbie", "role": "viewer"}), 201)
        assert made == {"name": "newbie", "role": "viewer"}
        taken = service.call("POST", "/v1/users", "admin", json={"name": "newbie"})
        assert taken.status_code == 409 and taken.json()["error"] == "Conflict"
        bad = service.call("POST", "/v1/users", "admin", json={"name": "no spaces allowed"})
        assert bad.status_code == 422
        assert ok(service.call("PATCH", "/v1/users/newbie", "admin", json={"role": "editor"}))["role"] == "editor"
        token = ok(service.call("POST", "/v1/users/newbie/tokens", "admin", json={"label": "test"}), 201)["token"]
        me = service.call("GET", "/v1/me", None, headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "newbie"
        assert ok(service.call("DELETE", "/v1/users/newbie/tokens", "admin")) == {"user": "newbie", "revoked": 1}
        gone = service.call("GET", "/v1/me", None, headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401 and gone.json()["detail"] == "invalid API token"
        assert "newbie" in {u["name"] for u in ok(service.call("GET", "/v1/users", "admin"))}

    @pytest.mark.parametrize("method,path,body", [
        ("GET", "/v1/users", None), ("POST", "/v1/users", {"name": "x"}),
        ("PATCH", "/v1/users/vic", {"role": "admin"}), ("POST", "/v1/users/vic/tokens", {}),
        ("DELETE", "/v1/users/vic/tokens", None)])
    def test_user_management_needs_admin(self, service, method, path, body):
        denied = service.call(method, path, "reviewer", json=body)
        assert denied.status_code == 403 and denied.json()["error"] == "Forbidden"

    def test_users_manage_their_own_tokens(self, service):
        token = ok(service.call("POST", "/v1/users/vic/tokens", "viewer", json={}), 201)["token"]
        assert token.startswith("kge_")


class TestJobs:
    def test_import_job_with_progress(self, service):
        data = "subject,relation,object\nItaly,capital,Rome\nItaly,borders,France\n"
        job = ok(service.call("POST", "/v1/jobs/import", "admin", files={"file": ("italy.csv", data)}), 202)
        assert job["status"] in ("queued", "running", "succeeded") and 0 <= job["progress"] <= 1
        done = wait_job(service, job["id"])
        assert done["status"] == "succeeded" and done["progress"] == 1.0 and done["stage"] == "done"
        assert done["result"]["commit"]["kind"] == "import" and done["result"]["commit"]["n_changes"] == 2
        assert service.kge.facts("Italy", relation="capital")[0].object_name == "Rome"
        assert job["id"] in {j["id"] for j in ok(service.call("GET", "/v1/jobs", "viewer"))}

    def test_bad_file_fails_the_job_with_a_typed_error(self, service):
        job = ok(service.call("POST", "/v1/jobs/import", "admin",
                              files={"file": ("bad.csv", "Italy,capital,Rome\nItaly,capital\n")}), 202)
        done = wait_job(service, job["id"])
        assert done["status"] == "failed" and done["error"]["error"] == "ImportFailed"
        assert "line 2" in done["error"]["detail"]

    def test_import_needs_admin_a_file_and_a_format(self, service):
        assert service.call("POST", "/v1/jobs/import", "editor", files={"file": ("a.csv", "a,capital,b\n")}
                            ).status_code == 403
        missing = service.call("POST", "/v1/jobs/import", "admin")
        assert missing.status_code == 422 and "file" in missing.json()["detail"]
        unknown = service.call("POST", "/v1/jobs/import", "admin", files={"file": ("a.bin", "x")})
        assert unknown.status_code == 422 and "format" in unknown.json()["detail"]
        assert service.call("GET", "/v1/jobs/j-nope", "viewer").status_code == 404


class TestModelsWithoutWeights:
    def test_models_listed_and_memory(self, service):
        models = ok(service.call("GET", "/v1/models", "viewer"))
        assert any(m["name"] == "smollm2-135m" for m in models)
        memory = ok(service.call("GET", "/v1/models/memory", "viewer"))
        assert memory["budget_bytes"] > 0 and memory["used_bytes"] >= 0

    def test_model_admin_routes(self, service):
        assert service.call("POST", "/v1/models/smollm2-135m/load", "editor").status_code == 403
        assert service.call("POST", "/v1/models/nope/load", "admin").status_code == 404
        assert ok(service.call("POST", "/v1/models/nope/unload", "admin")) == {"name": "nope", "unloaded": False}

    def test_generate_and_chat_validate_first(self, service):
        bad = service.call("POST", "/v1/generate", "viewer", json={"prompts": [], "decoding": "greedy"})
        assert bad.status_code == 422 and "prompts" in bad.json()["detail"]
        odd = service.call("POST", "/v1/generate", "viewer", json={"prompts": ["x"], "decoding": "magic"})
        assert odd.status_code == 422 and "decoding" in odd.json()["detail"]
        stream = service.call("POST", "/v1/chat/completions", "viewer",
                              json={"messages": [{"role": "user", "content": "hi"}], "stream": True})
        assert stream.status_code == 422 and "streaming is not supported" in stream.json()["detail"]
        unknown = service.call("POST", "/v1/generate", "viewer", json={"prompts": ["x"], "model": "nope"})
        assert unknown.status_code == 404 and unknown.json()["error"] == "ModelNotFound"
