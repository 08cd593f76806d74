"""Idempotency-Key on the creating POSTs and a recipient's acts: a middleware on those routes, around their handlers.

With the header, the request is authenticated and authorized here, before anything is
looked up (a stored response is only ever handed to a caller allowed to make the request,
and records are kept per credential: one API key, session or signing link never sees
another's responses; a recipient must have passed what their link asks first), fingerprinted
(method, path, body) and run through application.access.idempotency: a repeat is answered with
the first response (marked `Idempotent-Replayed: true`) without reaching the handler. A
first request reaches its handler as usual; a 2xx answer is recorded under the key before
it is sent (its body sealed with the API key: sealed_responses.py), anything else gives the
key up again. Without the header nothing happens here.

Multipart bodies are fingerprinted with their boundary normalised: clients pick a new
random boundary for every request, retries included, so the raw bytes of two identical
uploads differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from undersign.application.access.idempotency import (
    MAX_KEY_LENGTH,
    Claim,
    Idempotency,
    IdempotentRequest,
    KeyOwner,
    fingerprint,
)
from undersign.application.access.ports import StoredResponse
from undersign.application.shared.errors import IdempotencyKeyReused
from undersign.entrypoints.http.dependencies import caller_secret
from undersign.entrypoints.http.guards import authorized_caller
from undersign.entrypoints.http.sealed_responses import seal, unseal
from undersign.entrypoints.http.signer_passes import read_signer_pass

# Response headers worth replaying: the rest (length, request id) is the repeat's own.
REPLAYED_HEADERS = ("content-type", "etag", "location")

log = structlog.get_logger("undersign.http")


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        key = request.headers.get("idempotency-key")
        if key is None:
            await next_app(scope, receive, send)
            return
        known = await _key_owner(request)
        if known is None:
            await next_app(scope, receive, send)
            return
        owner, secret = known
        # Read (and cached for the handler) here, so the size limit applies as usual.
        body = await request.body()
        idempotency: Idempotency = request.app.state.container.use_cases().idempotency
        outcome = await idempotency.begin(
            IdempotentRequest(
                owner=owner, key=key,
                fingerprint=fingerprint(request.method, request.url.path, _canonical(request, body), secret=secret),
            )
        )
        if isinstance(outcome, StoredResponse):
            stored = unseal(outcome, secret)
            if stored is None:  # sealed with another secret: cannot happen, as records are per credential
                raise IdempotencyKeyReused(f"idempotency key {key!r} was used for another request; use a new key")
            await _replay(stored, send)
            return
        response = _BufferedResponse()
        try:
            await next_app(scope, receive, response.send)
        except BaseException:
            await _release(idempotency, outcome)
            raise
        if 200 <= response.status < 300:
            await _complete(idempotency, outcome, seal(response.stored(), secret))
        else:
            await _release(idempotency, outcome)
        await response.flush(send)


async def _key_owner(request: Request[Any, Any, Any]) -> tuple[KeyOwner, bytes] | None:
    """Whose keys the request's are, authorized as its handler would be, and the secret their answers
    are sealed with; None on a route that takes no key.

    A creating route's caller holds an API key, a session or a bearer token; a recipient's act
    (sign, decline) holds its signing link, whose token is never stored: it seals the answers.
    """
    caller = await authorized_caller(request)
    if caller is not None:
        return KeyOwner.of(caller), caller_secret(request)
    if request.route_handler.opt.get(BY_SIGNING_LINK):
        token = request.path_params["token"]
        sessions = request.app.state.container.use_cases().signing_sessions
        return await sessions.key_owner(token, read_signer_pass(request)), token.encode()
    return None


class _BufferedResponse:
    """Holds the handler's response back until its outcome is recorded."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.status = 500

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        self.messages.append(message)

    def stored(self) -> StoredResponse:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        headers = {}
        for name, value in start.get("headers", []):
            if name.decode("latin-1").lower() in REPLAYED_HEADERS:
                headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        body = b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")
        return StoredResponse(status=self.status, headers=headers, body=body)

    async def flush(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


async def _replay(response: StoredResponse, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    headers += [(b"content-length", str(len(response.body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


async def _complete(idempotency: Idempotency, claim: Claim, response: StoredResponse) -> None:
    # The work is done whatever happens here: the client gets its answer either way.
    try:
        if not await idempotency.complete(claim, response):
            log.warning("idempotency claim lost before the response was recorded")
    except Exception:
        log.exception("could not record the response of an idempotent request")


async def _release(idempotency: Idempotency, claim: Claim) -> None:
    try:
        await idempotency.release(claim)
    except Exception:
        log.exception("could not give an idempotency key up; it frees itself when its lease ends")


def _canonical(request: Request[Any, Any, Any], body: bytes) -> bytes:
    media_type, options = request.content_type
    boundary = options.get("boundary")
    if media_type == "multipart/form-data" and boundary:
        return body.replace(b"--" + boundary.encode("latin-1"), b"--boundary")
    return body


@dataclass
class IdempotentOperation(Operation):
    """The OpenAPI operation of a route with the middleware: the header is not in the handler's signature."""

    def __post_init__(self) -> None:
        header = Parameter(
            name="Idempotency-Key",
            param_in="header",
            required=False,
            schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_LENGTH),
            description=(
                "Any unique string (a UUID, say). The same request sent again with the same key within 24 hours "
                "gets the first response back (header Idempotent-Replayed: true) and creates nothing; another "
                "request with that key is a 422, and one while the first is still running a 409."
            ),
        )
        self.parameters = [*(self.parameters or []), header]


# What a creating route adds to its decorator.
IDEMPOTENT: dict[str, Any] = {"middleware": [IdempotencyMiddleware()], "operation_class": IdempotentOperation}
# What a recipient's act through their signing link (its `{token}` path parameter) adds to its decorator.
BY_SIGNING_LINK = "idempotent_by_signing_link"
IDEMPOTENT_BY_SIGNING_LINK: dict[str, Any] = {**IDEMPOTENT, BY_SIGNING_LINK: True}
