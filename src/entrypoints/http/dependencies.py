"""Plain Litestar dependencies that ask the container for use cases and the caller, and the
guard that authorizes every request before anything else runs.

(dependency-injector's @inject markers in handler signatures would be read by Litestar as
query parameters, so the container is reached from here instead.)

Every route says who may call it, in its decorator: `permission=Permission.X` (an API key
whose role grants X, per application.access) or `public="why"` (no API key: the signing
token in the path is the credential, or the route says nothing about anyone). The guard
below enforces the first; tests walk the route table to hold every route to one of them.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.datastructures import State
from litestar.di import Provide

from application.access import Caller, Permission
from application.errors import Unauthenticated

USE_CASES = (
    "create_envelope", "add_document", "add_signer", "place_field", "send_envelope", "void_envelope",
    "envelope_queries", "create_signing_link", "signing_sessions", "sign", "decline", "tenants",
    "verify_pdf", "completion_certificates", "webhooks",
)


def _use_case(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.container.use_cases, name)()

    return Provide(provide, sync_to_thread=False)


async def provide_caller(request: Request, state: State) -> Caller:
    """Who the API key is; authenticated once per request (the idempotency middleware may ask first)."""
    known: Caller | None = request.state.get("caller")
    if known is not None:
        return known
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    caller = await state.container.use_cases.tenants().authenticate(key.strip())
    structlog.contextvars.bind_contextvars(tenant_id=caller.tenant_id)
    # Once per request (the caller is kept below): past the tenant's rate, if one is set, it stops here.
    await state.container.use_cases.throttle().tenant_request(caller.tenant_id)
    request.state.caller = caller
    return caller


async def authorize(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    """The app's guard: the caller's key must grant the route's permission, before the body is even read."""
    permission = route_permission(route_handler)
    if permission is not None:
        caller = await provide_caller(connection, connection.app.state)  # type: ignore[arg-type]
        caller.require(permission)


def route_permission(route_handler: BaseRouteHandler) -> Permission | None:
    """What a route needs of an API key; None for a public route (see the module docstring)."""
    return route_handler.opt.get(PERMISSION)


def provide_public_url(state: State) -> str:
    """The address people reach this installation at, for the links it hands out."""
    return state.container.settings().public_url


# The keys of a route decorator's options (Litestar keeps extra keyword arguments in `opt`).
PERMISSION, PUBLIC = "permission", "public"

DEPENDENCIES: dict[str, Provide] = {name: _use_case(name) for name in USE_CASES}
DEPENDENCIES["caller"] = Provide(provide_caller)
DEPENDENCIES["public_url"] = Provide(provide_public_url, sync_to_thread=False)
