"""The API's docs page works on a host without internet: `undersign serve` on loopback, opened in
headless Chromium with every request to another host refused (and recorded), must render every
operation of the schema it serves, ask nothing of any other host, and break none of its own
Content-Security-Policy (no inline script or style, nothing from elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, expect

from tests.browser import chromium, page
from tests.servers import free_port, serving_undersign

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "api-docs"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Runs in the page before its own scripts (Playwright injects it past the page's CSP): every
# violation the browser reports, kept where the test can read it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("api-docs")
    env = {"UNDERSIGN_DATA_DIR": str(directory / "data"), "UNDERSIGN_LOG_FORMAT": "json"}
    with serving_undersign(env, directory / "serve.log", free_port()) as url:
        yield url


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    paths = schema["paths"]
    return [(path, method, item[method]) for path, item in paths.items() for method in HTTP_METHODS if method in item]


async def offline(tab: Page, app_url: str) -> tuple[list[str], list[str]]:
    """Refuse every request that would leave the app's host; return (refused requests, console errors)."""
    host = urlsplit(app_url).netloc
    refused: list[str] = []
    errors: list[str] = []

    async def only_the_app(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == host:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    await tab.context.route("**/*", only_the_app)
    await tab.add_init_script(WATCH_CSP)
    tab.on("console", lambda message: errors.append(message.text) if message.type in ("error", "warning") else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    return refused, errors


@pytest.mark.parametrize("docs_page", ["/schema", "/schema/swagger"])
async def test_the_docs_page_renders_every_operation_from_the_app_alone(served: str, docs_page: str) -> None:
    schema = httpx.get(f"{served}/schema/openapi.json", timeout=10).json()
    everything = operations(schema)
    health, listing = schema["paths"]["/health"]["get"], schema["paths"]["/v1/envelopes"]["get"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async with chromium() as browser, page(browser) as tab:
        refused, errors = await offline(tab, served)
        response = await tab.goto(f"{served}{docs_page}")
        assert response is not None and response.ok
        assert "script-src 'self'" in response.headers["content-security-policy"]

        # Every operation of the schema, under its tag, and the bearer scheme behind "Authorize".
        await expect(tab.locator(".opblock")).to_have_count(len(everything))
        summary = re.compile(f"^{re.escape(listing['summary'])}$")
        await expect(tab.locator(".opblock-summary-description", has_text=summary)).to_be_visible()
        await expect(tab.locator("button.authorize")).to_be_visible()

        # An operation opened shows its description and its documented answers (problems included).
        operation = tab.locator(f"#operations-{health['tags'][0]}-{health['operationId']}")
        await operation.locator(".opblock-summary").click()
        await expect(operation.locator(".opblock-description")).to_contain_text(health["description"])
        throttled = operation.locator(".responses-table .response[data-code='429']")
        await expect(throttled).to_be_visible()
        await expect(throttled.locator("select.content-type")).to_have_value("application/problem+json")

        # "Try it out" calls the app itself (connect-src 'self').
        await operation.get_by_role("button", name="Try it out").click()
        await operation.get_by_role("button", name="Execute").click()
        answered = operation.locator(".live-responses-table td.response-col_status:not(.col_header)")
        await expect(answered).to_have_text("200")

        await tab.screenshot(path=str(ARTIFACTS / f"{docs_page.strip('/').replace('/', '-')}.png"), full_page=False)
        violations = await tab.evaluate("window.__cspViolations")

    assert refused == [], "the docs page asked another host"
    assert violations == [], "the docs page broke its own Content-Security-Policy"
    assert errors == [], "the docs page logged errors"


def test_the_page_links_its_assets_at_their_digest_and_they_keep_for_good(served: str) -> None:
    head = httpx.get(f"{served}/schema", timeout=10).text.partition("</head>")[0]
    assert "//" not in head, "the page links another origin"
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', head)
    names = {urlsplit(asset).path.rpartition("/")[2] for asset in assets}
    assert names == {"swagger-ui-bundle.js", "swagger-ui.css", "api-docs.js"}
    for asset in assets:
        answer = httpx.get(f"{served}{asset}", timeout=10)
        assert answer.status_code == 200, asset
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-content-type-options"] == "nosniff"
        kind = "text/css" if asset.split("?")[0].endswith(".css") else "text/javascript"
        assert answer.headers["content-type"].startswith(kind)
    unversioned = httpx.get(f"{served}{urlsplit(assets[0]).path}", timeout=10)
    assert unversioned.headers["cache-control"] == "no-cache"
    unknown = httpx.get(f"{served}/schema/assets/nothing.js", timeout=10)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
