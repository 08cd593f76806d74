"""Browser sign-in in a real browser: headless Chromium goes to the provider's authorization URL, logs in
on its login page, consents, and is sent back to a redirect URI served here; `finish` then succeeds.

The redirect URI is a tiny http.server on loopback that only records the query it was called
with (the application's own callback route comes later).
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.browser import chromium, page
from tests.integration.identity.test_oidc_sign_in import ACCOUNTS, sign_in_settings
from tests.oidc_provider import OidcProvider
from undersign.adapters.identity.oidc_sign_in import OidcSignIn
from undersign.application.access.identity_ports import VerifiedSignIn


class Callback:
    """An HTTP server on 127.0.0.1 answering every GET with a short page, remembering the queries the
    redirect URI got (the browser also asks for /favicon.ico)."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        received = self.queries
        path = "/sign-in/oidc/test/callback"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == path:
                    received.append(dict(urllib.parse.parse_qsl(parts.query)))
                body = b"<!doctype html><title>Back</title><p id=back>Back at the client.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def callback() -> Iterator[Callback]:
    served = Callback()
    try:
        yield served
    finally:
        served.close()


async def test_chromium_signs_in_through_the_providers_pages(oidc_provider: OidcProvider, callback: Callback) -> None:
    oidc_provider.set_accounts(ACCOUNTS)
    client = oidc_provider.register_web_client([callback.redirect_uri])
    sign_in = OidcSignIn(sign_in_settings(oidc_provider, client))
    try:
        url, pending = await sign_in.begin(redirect_uri=callback.redirect_uri)
        async with chromium() as browser, page(browser) as tab:
            await tab.goto(url)
            await tab.fill('input[name="login"]', "alice")  # the development login page: any login, any password
            await tab.fill('input[name="password"]', "anything")
            await tab.click('button[type="submit"]')
            await tab.wait_for_selector('input[name="prompt"][value="consent"]', state="attached")
            await tab.click('button[type="submit"]')  # "Continue" on the consent page
            await tab.wait_for_url(callback.redirect_uri + "?*")
            assert await tab.text_content("#back") == "Back at the client."
        (query,) = callback.queries
        assert query["state"] == pending.state and "code" in query
        verified = await sign_in.finish(pending, query=query)
    finally:
        await sign_in.aclose()
        await asyncio.to_thread(oidc_provider.set_accounts, [])
    assert verified == VerifiedSignIn(
        issuer=oidc_provider.issuer, subject="alice", tenant_slug="acme", email="alice@acme.test",
        name="Alice Liddell", role_name="admin", maps_roles=True,
    )  # fmt: skip
