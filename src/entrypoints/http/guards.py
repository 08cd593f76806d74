"""Who may call each route: declared on the route, enforced before its body is read.

Every route says who may call it, in its decorator: `**requires(Permission.X)` (an API key
whose role grants X, per application.access.permissions) or `public="why"` (no API key: the signing
token in the path is the credential, or the route says nothing about anyone). The app's
guard enforces the first before Litestar reads the body or resolves anything else; the
idempotency middleware, which runs before guards, asks the same question before it looks a
stored response up. tests/e2e/test_access_sweep_http.py walks the route table to hold every
route to its declaration, and the OpenAPI schema documents the API key where one is needed.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.errors import Forbidden
from undersign.entrypoints.http.dependencies import provide_caller

# The keys of a route decorator's options (Litestar keeps extra keyword arguments in `opt`).
PERMISSION, PUBLIC = "permission", "public"
API_KEY = "apiKey"  # the OpenAPI security scheme of API keys (openapi.py describes it)


def requires(permission: Permission) -> dict[str, Any]:
    """A route decorator's options for a route only an API key granting `permission` may call:
    the rule the guard enforces, and the security requirement the OpenAPI schema shows."""
    return {PERMISSION: permission, "security": [{API_KEY: []}]}


def route_permission(route_handler: BaseRouteHandler) -> Permission | None:
    """What a route needs of an API key; None for a public route."""
    return route_handler.opt.get(PERMISSION)


async def authorized_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller | None:
    """The caller, if the route needs one and their key grants its permission; None on a public route.

    Raises Unauthenticated (no key, or a bad one) or Forbidden (a role without the permission).
    """
    permission = route_permission(connection.route_handler)
    if permission is None:
        return None
    caller = await provide_caller(connection, connection.app.state)  # type: ignore[arg-type]
    caller.require(permission)
    return caller


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler) -> None:
    """The app's guard (see the module docstring). A route of ours that declares no rule is
    refused to everyone: forgetting the declaration must not make a route public."""
    options = route_handler.opt
    if PERMISSION not in options and PUBLIC not in options and not _litestars_own(route_handler):
        raise Forbidden("this route declares who may call it nowhere, so nobody may")
    await authorized_caller(connection)


def _litestars_own(route_handler: BaseRouteHandler) -> bool:
    # The OpenAPI documents and CORS preflights Litestar adds: they say nothing about anyone.
    return getattr(route_handler.fn, "__module__", "").startswith("litestar.")
