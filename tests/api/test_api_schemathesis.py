"""Property-based run of the whole OpenAPI schema against the live server (schemathesis): no input the schema
allows, and none that breaks it (negative mode), makes the service answer 5xx; every error is a typed JSON body.

Bounded: a few examples per operation and a time budget, so it takes well under two minutes. The server has
no model (its default model name is unknown), so model routes answer 404 fast instead of loading weights."""

from __future__ import annotations

import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from api.app import create_app
from api.server import serve_in_thread
from kg.settings import Settings
from test_api_routes import ok

EXAMPLES = 12  # per operation, valid and invalid inputs mixed
BUDGET_S = 90.0


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz-home")
    app = create_app(Settings.load(home=home, sync_model=False, default_model="no-model-in-this-test"))
    with serve_in_thread(app) as url:
        kge = app.state.kgedit
        seed = home / "seed.csv"
        seed.write_text("France,capital,Paris\nJapan,capital,Tokyo\nFrance,borders,Spain\n", encoding="utf-8")
        kge.import_file(seed)
        kge.add_user("fuzz-admin", "admin")
        yield url, kge.issue_token("fuzz-admin")


def test_no_server_errors_anywhere(fuzz_target):
    url, token = fuzz_target
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    started, failures, calls = time.monotonic(), [], 0
    seen: dict[int, int] = {}

    for operation in operations:
        if time.monotonic() - started > BUDGET_S:
            break

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy() | operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))
        def run(case):
            nonlocal calls
            calls += 1
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
            elif response.status_code >= 400:
                body = response.json()
                assert {"error", "detail"} <= set(body), (case.method, case.formatted_path, body)

        run()
    print(f"{calls} calls over {len(operations)} operations; statuses {sorted(seen.items())}")
    assert not failures, "\n".join(failures)
    assert sum(n for status, n in seen.items() if status < 300) >= len(operations)  # not only refusals
    assert calls >= 5 * len(operations) or time.monotonic() - started > BUDGET_S
    ok(httpx.get(url + "/v1/health"))  # still up
