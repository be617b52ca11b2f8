"""The web page in a real browser: Debian's Chromium driven by Playwright against `kgedit serve --demo` started as
a user would. Submit an edit, see the graph and the timeline change, roll it back, run a Cypher query (KG only);
and with the model: its answer before and after an edit in the model panel, and again after the rollback.
Screenshots go to test-artifacts/browser/.

Needs `apt-get install -y chromium` and `pip install playwright` (no `playwright install`: the system Chromium is
used, with flags that keep it off the network)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

if not Path(CHROMIUM).exists():
    # CI installs it (.ci/run), so there a missing browser is a failure; elsewhere the test is skipped.
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium", pytrace=False)
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _serve(tmp_path_factory, name: str, *flags: str, env: dict[str, str] | None = None):
    """`kgedit serve --demo FLAGS` as a user starts it; yields the printed address, which carries the admin token
    for the page."""
    from api.server import free_port

    home = tmp_path_factory.mktemp(name)
    log = home / "serve.log"
    port = free_port()
    env = {**os.environ, "KGEDIT_HOME": str(home), "PYTHONPATH": os.getcwd(), **(env or {})}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo", *flags, "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not _up(port):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        yield re.search(r"serving (http://\S+#token=\S+)", log.read_text()).group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    """The KG-only service: edits change the graph, not the weights (fast)."""
    yield from _serve(tmp_path_factory, "browser-home", "--kg-only")


@pytest.fixture(scope="module")
def model_page_url(tmp_path_factory):
    """The full service: edits change the graph and the default model's weights. GRACE keeps the model edit to a
    few seconds on CI's two cores; the page does not depend on the method."""
    yield from _serve(tmp_path_factory, "browser-model-home", env={"KGEDIT_EDIT_METHOD": "grace"})


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_edit_graph_timeline_rollback_and_cypher_in_chromium(page_url):
    from playwright.sync_api import expect, sync_playwright
    # The first edit loads the content guard's embedder, which takes several seconds on a busy 2-core machine.
    expect.set_options(timeout=60_000)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside, problems = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.on("request", lambda r: None if r.url.startswith("http://127.0.0.1") else outside.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        page.goto(page_url)
        expect(page.locator("#whoami")).to_contain_text("(admin)")
        assert "token" not in page.url  # taken from the address into local storage
        expect(page.locator("#nodes g.node.center")).to_contain_text("France")
        expect(page.locator('line.edge[data-pair~="france>paris"]')).to_have_count(1)
        first_version = int(page.locator("#kg-version").inner_text().split()[-1])
        page.screenshot(path=str(ARTIFACTS / "1-start.png"), full_page=True)

        # Edit: France's capital becomes Lyon; the graph and the timeline show it.
        page.fill("#subject", "France")
        page.fill("#relation", "capital")
        page.fill("#object", "Lyon")
        page.click("#btn-edit")
        expect(page.locator("#edit-result")).to_contain_text("committed")
        expect(page.locator("#edit-result .retired")).to_contain_text("Paris")
        expect(page.locator('line.edge.new[data-pair~="france>lyon"]')).to_have_count(1)
        expect(page.locator('line.edge[data-pair~="france>paris"]')).to_have_count(0)
        expect(page.locator("#timeline li").first).to_contain_text(f"v{first_version + 1} edit")
        expect(page.locator("#kg-version")).to_have_text(f"version {first_version + 1}")
        page.screenshot(path=str(ARTIFACTS / "2-edited.png"), full_page=True)

        # Roll it back from the timeline: Paris is back, the edit is marked as undone.
        page.locator("#timeline li").first.locator("button.rollback").click()
        expect(page.locator("#status")).to_contain_text("rolled back")
        expect(page.locator("#timeline li").first).to_contain_text(f"v{first_version + 2} rollback")
        expect(page.locator("#timeline li.undone")).to_contain_text(f"v{first_version + 1} edit")
        expect(page.locator('line.edge[data-pair~="france>paris"]')).to_have_count(1)
        expect(page.locator('line.edge[data-pair~="france>lyon"]')).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "3-rolled-back.png"), full_page=True)

        # Cypher console with a results table.
        page.fill("#cypher", "MATCH (a:Entity)-[f:FACT]->(b:Entity) WHERE a.name = 'France' AND f.pred = 'capital' "
                             "AND visible(f) RETURN a.name AS country, b.name AS capital")
        page.click("#btn-query")
        expect(page.locator("#query-info")).to_have_text("1 row")
        expect(page.locator("#results tr").nth(1)).to_have_text(re.compile(r"France\s*Paris"))
        expect(page.locator("#results th").first).to_have_text("country")

        # What the interpreter understood, before anything is applied.
        page.fill("#nl-text", "The capital of France is Lyon")
        page.click("#btn-interpret")
        # The interpreter loads on first use (its embedder takes a while on a slow machine).
        expect(page.locator("#interpretation")).to_contain_text("edit: France —capital→ Lyon", timeout=120_000)
        expect(page.locator("#btn-apply-text")).to_be_enabled()
        page.locator("#cypher-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "4-cypher-and-interpret.png"), full_page=True)

        # Clicking a neighbour recentres the graph on it.
        page.locator('#nodes g.node[data-id="spain"]').click()
        expect(page.locator("#nodes g.node.center")).to_contain_text("Spain")
        browser.close()
    assert not outside, f"the page reached outside localhost: {outside}"
    assert not problems, problems


def test_model_panel_shows_the_answer_before_and_after_an_edit(model_page_url):
    from playwright.sync_api import expect, sync_playwright
    # The model loads on the first question and the guard's embedder on the first edit: minutes on a busy machine.
    expect.set_options(timeout=240_000)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(model_page_url)
        expect(page.locator("#whoami")).to_contain_text("(admin)")

        page.check("#compare")
        page.fill("#subject", "Japan")
        page.fill("#relation", "capital")
        page.fill("#object", "Osaka")
        page.click("#btn-edit")
        expect(page.locator("#model-before")).to_contain_text("Tokyo")
        expect(page.locator("#edit-result")).to_contain_text("committed")
        expect(page.locator("#model-verify")).to_contain_text("Osaka")
        expect(page.locator("#model-after")).to_contain_text("Osaka")
        expect(page.locator("#prompt")).to_have_value("The capital of Japan is")
        page.locator("#model-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "5-model-before-after.png"), full_page=True)

        # Rolling the edit back restores the model's answer too.
        page.locator("#timeline li").first.locator("button.rollback").click()
        expect(page.locator("#status")).to_contain_text("rolled back")
        page.click("#btn-generate")
        expect(page.locator("#model-output")).to_contain_text("Tokyo")
        page.screenshot(path=str(ARTIFACTS / "6-model-rolled-back.png"), full_page=True)
        browser.close()
    assert not problems, problems
