"""The model routes with the real default model (SmolLM2-135M-Instruct) behind a real HTTP server: generate with
each decoding, OpenAI-style chat grounded in the KG, load/unload/memory. One test: the model loads once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from test_api_routes import ok, wait_job

pytestmark = pytest.mark.slow


def test_generate_chat_and_model_lifecycle(service):
    loaded = ok(service.call("POST", "/v1/models/smollm2-135m/load", "admin"))
    assert loaded["loaded"] is True and loaded["param_bytes"] > 100_000_000
    assert ok(service.call("GET", "/v1/models/memory", "viewer"))["models"]["smollm2-135m"] == loaded["param_bytes"]

    body = {"prompts": ["The capital of France is", "The capital of Japan is"], "max_new_tokens": 6, "chat": False}
    greedy = ok(service.call("POST", "/v1/generate", "viewer", json=body))
    assert greedy["model"] == "smollm2-135m" and "Paris" in greedy["outputs"][0] and "Tokyo" in greedy["outputs"][1]
    assert ok(service.call("POST", "/v1/generate", "viewer", json=body)) == greedy  # greedy is deterministic
    seeded = {**body, "decoding": "sampling", "temperature": 0.8, "top_p": 0.9, "seed": 7}
    assert ok(service.call("POST", "/v1/generate", "viewer", json=seeded)) == \
        ok(service.call("POST", "/v1/generate", "viewer", json=seeded))
    beam = ok(service.call("POST", "/v1/generate", "viewer", json={**body, "decoding": "beam", "num_beams": 2}))
    assert all(isinstance(o, str) and o for o in beam["outputs"])

    # Chat, grounded: the KG's facts about the entities named in the last user message go to the model first.
    service.call("POST", "/v1/edits", "admin", json={"triples": [
        {"subject": "Germany", "relation": "capital", "object": "Bonn"}]})
    chat = ok(service.call("POST", "/v1/chat/completions", "viewer", json={
        "model": "smollm2-135m", "max_tokens": 24,
        "messages": [{"role": "system", "content": "Answer in one short sentence."},
                     {"role": "user", "content": "What is the capital of Germany?"}]}))
    assert chat["object"] == "chat.completion" and chat["choices"][0]["message"]["role"] == "assistant"
    assert chat["choices"][0]["message"]["content"] and chat["choices"][0]["finish_reason"] in ("stop", "length")
    assert chat["usage"]["prompt_tokens"] > 20 and chat["usage"]["completion_tokens"] <= 24
    context = chat["kg_context"]
    assert context["entities"] == ["Germany"] and context["version"] == service.kge.version
    grounded = {(f["subject_name"], f["pred"], f["object_name"]) for f in context["facts"]}
    assert ("Germany", "capital", "Bonn") in grounded
    plain = ok(service.call("POST", "/v1/chat/completions", "viewer", json={
        "kg_grounding": False, "max_tokens": 8, "messages": [{"role": "user", "content": "Say hello."}]}))
    assert plain["kg_context"] is None and plain["choices"][0]["message"]["content"]

    # Lineage: the service runs KG-only, so the ledger is at the base weights (the CLI test covers a model edit).
    lineage = ok(service.call("GET", "/v1/models/smollm2-135m/lineage", "viewer"))
    assert lineage["model"] == "smollm2-135m" and lineage["applied"] == [] and lineage["records"] == []
    assert lineage["states"] == [lineage["state_id"]]
    assert service.call("GET", "/v1/models/smollm2-135m/lineage", None).status_code == 401
    missing = service.call("GET", "/v1/models/no-such-model/lineage", "viewer")
    assert missing.status_code == 404 and "no-such-model" in missing.json()["detail"]
    with service.client("viewer") as client:
        assert client.lineage() == lineage

    # A statistics job computes ROME's second moments into the cache the first edit would otherwise wait for.
    # The cache is the session's shared one: drop what another folder may have put there, so this job computes.
    for stale in Path(os.environ["KGEDIT_CACHE_DIR"]).glob("stats/*/5-*.safetensors"):
        stale.unlink()
    assert service.call("POST", "/v1/jobs/statistics", "editor", json={"method": "rome"}).status_code == 403
    unknown = service.call("POST", "/v1/jobs/statistics", "admin", json={"method": "nope"})
    assert unknown.status_code == 404 and "rome" in unknown.json()["detail"]
    job = ok(service.call("POST", "/v1/jobs/statistics", "admin", json={"method": "rome"}), 202)
    done = wait_job(service, job["id"], timeout=900)
    assert done["status"] == "succeeded" and done["kind"] == "statistics", done
    assert done["result"]["method"] == "rome" and done["result"]["layers"] == [5]
    samples = done["result"]["stats_samples"]
    cached = list(Path(os.environ["KGEDIT_CACHE_DIR"]).glob(f"stats/*/5-{samples}.safetensors"))
    assert len(cached) == 1
    again = wait_job(service, ok(service.call("POST", "/v1/jobs/statistics", "admin", json={}), 202)["id"])
    assert again["result"]["seconds"] < done["result"]["seconds"]  # the default method, from the cache

    # An evaluation job edits a scratch copy of the model: the served model's ledger stays empty.
    bad_mode = service.call("POST", "/v1/jobs/eval/editing", "admin", json={"mode": "sideways"})
    assert bad_mode.status_code == 422
    assert service.call("POST", "/v1/jobs/eval/editing", "admin", json={"method": "nope"}).status_code == 404
    body = {"method": "grace", "mode": "single", "limit": 2, "fluency_tokens": 0,
            "subjects": ["France", "Japan", "Italy", "Germany", "Spain", "China"]}
    evaluation = wait_job(service, ok(service.call("POST", "/v1/jobs/eval/editing", "admin", json=body), 202)["id"],
                          timeout=900)
    assert evaluation["status"] == "succeeded" and evaluation["kind"] == "eval", evaluation
    report = evaluation["result"]
    assert report["method"] == "grace" and report["edits"] == 2 and report["restored"] is True
    assert {"reliability.tf", "reliability.em", "locality.em"} <= set(report["metrics"])
    assert report["metrics"]["reliability.em"] >= 0.5  # GRACE answers its own edit prompts
    assert ok(service.call("GET", "/v1/models/smollm2-135m/lineage", "viewer"))["records"] == []

    assert ok(service.call("POST", "/v1/models/smollm2-135m/unload", "admin")) == {"name": "smollm2-135m",
                                                                                  "unloaded": True}
    assert not ok(service.call("GET", "/v1/models", "viewer"))[0]["loaded"]


def test_locate_trace_and_lens(service):
    """Knowledge locating as a tool: causal tracing finds where the model recalls France's capital (the early MLPs
    at the subject, as ROME reports), the logit lens shows the answer surfacing in the last layers."""
    body = {"prompt": "The capital of France is", "subject": "France", "samples": 2, "kinds": ["mlp", "attn"]}
    trace = ok(service.call("POST", "/v1/locate/trace", "viewer", json=body))
    assert trace["answer"] == " Paris" and trace["p_clean"] > 0.5 > 0.1 > trace["p_corrupt"]
    assert trace["num_layers"] == 30 and set(trace["subject_effect"]) == {"mlp", "attn"}
    mlp = trace["subject_effect"]["mlp"]
    assert len(mlp) == 30 and trace["peak"]["mlp"] == mlp.index(max(mlp))
    assert trace["peak"]["mlp"] < 10 and max(mlp) > 10 * max(trace["subject_effect"]["attn"])
    assert len(trace["traced_tokens"]) == 2  # the last subject token and the last token

    missing = service.call("POST", "/v1/locate/trace", "viewer", json={**body, "subject": "Spain"})
    assert missing.status_code == 422 and "Spain" in missing.json()["detail"]
    bad_kind = service.call("POST", "/v1/locate/trace", "viewer", json={**body, "kinds": ["mlp", "ffn"]})
    assert bad_kind.status_code == 422
    assert service.call("POST", "/v1/locate/trace", None, json=body).status_code == 401

    lens = ok(service.call("POST", "/v1/locate/lens", "viewer",
                           json={"prompt": "The capital of France is", "answer": " Paris", "top_k": 3}))
    assert lens["token"] == " is" and len(lens["layers"]) == 30 and all(len(l["top"]) == 3 for l in lens["layers"])
    assert lens["layers"][-1]["answer_rank"] == 0 and lens["layers"][0]["answer_rank"] > 100
