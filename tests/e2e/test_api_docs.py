"""/docs is the vendored Swagger UI: it renders every operation with no request leaving the server."""
from urllib.parse import urlparse

from playwright.sync_api import Page, expect


def test_api_docs_render_offline(page: Page, live_server: str):
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: foreign.append(r.url)
            if urlparse(r.url).netloc != urlparse(live_server).netloc else None)
    page.goto(live_server + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/sessions/{session_id}/step" in p for p in paths)
    assert page.locator(".opblock").count() >= 15
    assert errors == [] and foreign == []
