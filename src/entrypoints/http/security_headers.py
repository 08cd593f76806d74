"""Hardening headers on every response, and a bound on the size of a request's headers.

The headers are a `before_send` hook, not a middleware: Litestar runs the middleware list
only for requests that matched a route, and a 404 or a 405 answered by the router is a
response too. The header bound is a middleware (it must answer before the handler runs).

HSTS goes out when the request came over TLS (`scope["scheme"]`, which uvicorn takes from
X-Forwarded-Proto when the proxy is in FORWARDED_ALLOW_IPS) or when UNDERSIGN_PUBLIC_URL is
https: that address is where people's browsers go, so a TLS-terminating proxy in front
counts even when this process is not told about it. A browser ignores the header on a
plain-HTTP response (RFC 6797 8.1), so an https public address reached over http costs nothing.
"""

from __future__ import annotations

from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, BeforeMessageSendHookHandler, Message, Receive, Scope, Send

# Request header fields (names and values) a request may carry in all. Browsers and API
# clients send a few KB; 32 KiB leaves room for large cookies of a parent domain.
MAX_HEADER_BYTES = 32 * 1024
# What `undersign serve`'s parser (h11) may buffer of an unfinished request head: the
# headers above and a long URL. Past it the connection gets a 400 and is closed, so an
# endless head never reaches the app (nor fills the memory).
MAX_REQUEST_HEAD_BYTES = MAX_HEADER_BYTES + 64 * 1024

HSTS = b"max-age=31536000; includeSubDomains"
# Everything under these carries a credential's answer: tokens, secrets, documents, signers' data.
NO_STORE_PREFIXES = ("/v1/", "/sign/")


def security_headers(*, https_public_url: bool) -> BeforeMessageSendHookHandler:
    """The hook adding nosniff, no-referrer, HSTS (see above) and no-store on the API and the
    signing page, unless the response set its own Cache-Control (the page's versioned assets)."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        wanted = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if https_public_url or scope.get("scheme") == "https":
            wanted.append((b"strict-transport-security", HSTS))
        if f"{scope['path']}/".startswith(NO_STORE_PREFIXES):
            wanted.append((b"cache-control", b"no-store"))
        message["headers"] = [*headers, *((name, value) for name, value in wanted if name not in present)]

    return add_headers


def header_size_limit(app: ASGIApp) -> ASGIApp:
    """Refuse (431) a request whose header fields pass MAX_HEADER_BYTES, before its handler runs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            raise HTTPException(status_code=431, detail=f"the request's headers pass {MAX_HEADER_BYTES} bytes")
        await app(scope, receive, send)

    return middleware
