"""Throttling at the door: a client that failed too often is refused before any database work.

A 401 counts against the client's address and the presented API key's id; a 404 or 410 on
a signing link (/v1/signing/{token}..., /sign/{token}) counts against the address as a
guessed token. API requests look at the authentication buckets, signing requests at the
token bucket, so signers behind an office's shared address keep signing while a broken
integration there is locked out of the API.

The client's address is the ASGI scope's, as the server gives it; X-Forwarded-For is not
read here. uvicorn (`undersign serve`) puts the forwarded address there only for connections
from FORWARDED_ALLOW_IPS (its default: 127.0.0.1 and ::1, a proxy on the same host). Behind a
load balancer elsewhere, set FORWARDED_ALLOW_IPS to its addresses, or every client shares
the balancer's address and its allowance.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from undersign.application.access.throttling import Throttle, key_id_of
from undersign.application.shared.errors import TooManyRequests
from undersign.entrypoints.http.problems import domain_error

SIGNING_PATH = re.compile(r"^/(?:v1/signing|sign)/(?!assets/)[^/]+")
# Probes and the signing page's script and style say nothing about anyone: never throttled, so a
# load balancer's health checks keep working even from an address that failed too often.
UNTHROTTLED = re.compile(r"^/(?:health|ready|sign/assets/.*)$")
TOKEN_MISSED = (404, 410)


def throttling(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or UNTHROTTLED.match(scope["path"]):
            await app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        throttle: Throttle = request.app.state.container.use_cases().throttle
        client = client_of(request.client.host if request.client else None)
        signing = SIGNING_PATH.match(scope["path"]) is not None
        key_id = None if signing else _key_id(request)
        try:
            if signing:
                await throttle.check_signing(client)
            else:
                await throttle.check_api(client)
        except TooManyRequests as refused:
            await _refuse(request, refused, scope, receive, send)
            return
        failing_key = await throttle.key_refusal(key_id)

        status, answered_instead = 500, False

        async def watch(message: Message) -> None:
            nonlocal status, answered_instead
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 401 and failing_key is not None:
                    # A wrong secret for a key id that failed too often: told to wait, not "wrong key".
                    answered_instead = True
                    await _refuse(request, failing_key, scope, receive, send)
            if not answered_instead:
                await send(message)

        await app(scope, receive, watch)
        if status == 401 and not signing:
            # A signer's wrong code is counted by their own lock (five in a row), not against the address's
            # API allowance: an office's integration is not locked out by a colleague's typing.
            await throttle.authentication_failed(client, key_id)
        elif signing and status in TOKEN_MISSED:
            await throttle.signing_token_missed(client)

    return middleware


async def _refuse(request: Request[Any, Any, Any], refused: TooManyRequests, scope: Scope, receive: Receive, send: Send) -> None:
    await domain_error(request, refused).to_asgi_response(None, request)(scope, receive, send)


def _key_id(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key_id_of(key) if scheme.lower() == "bearer" else None


def client_of(host: str | None) -> str:
    """The name a client address is counted under. An IPv6 client counts by its /64, the block
    one subscriber usually holds: counting single addresses would let it start afresh at will."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (an ASGI test client's "testclient", say): kept, bounded and tamed
        return re.sub(r"[^0-9A-Za-z.:-]", "", host)[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
