"""Plain Litestar dependencies that ask the container for use cases and the caller.

(dependency-injector's @inject markers in handler signatures would be read by Litestar as
query parameters, so the container is reached from here instead.)
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from undersign.application.access.api_keys import split_api_key
from undersign.application.access.permissions import Caller
from undersign.application.bootstrap import UseCases
from undersign.application.shared.errors import Unauthenticated
from undersign.entrypoints.http.browser_sessions import SESSION_COOKIE, require_csrf_token


def _use_case(name: str) -> Provide:
    """A handler's parameter named after a use case receives it (NamedDependency: a name that is
    none fails when the app starts, not as an unexpected query parameter)."""

    def provide(state: State) -> Any:
        return getattr(state.container.use_cases(), name)

    return Provide(provide, sync_to_thread=False)


async def provide_caller(request: Request, state: State) -> Caller:
    """Who is calling; authenticated once per request (the guard asks first, see guards.py).

    An Authorization header names an API key (`usk_…`) or a bearer JWT from a configured
    issuer; without one, the session cookie of a signed-in browser, whose state-changing
    requests must carry the session's CSRF token (browser_sessions.py). The caller's secret, which
    seals their idempotent responses (sealed_responses.py), is kept with them.
    """
    known: Caller | None = request.state.get("caller")
    if known is not None:
        return known
    use_cases = state.container.use_cases()
    if "authorization" in request.headers:
        caller, secret = await _bearer(request.headers["authorization"], use_cases, state)
    elif token := request.cookies.get(SESSION_COOKIE):
        caller = await use_cases.sign_ins.authenticate(token)
        require_csrf_token(request, token)
        secret = token.encode()
    else:
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>', or sign in")
    structlog.contextvars.bind_contextvars(tenant_id=caller.tenant_id)
    # Once per request (the caller is kept below): past the tenant's rate, if one is set, it stops here.
    await use_cases.throttle.tenant_request(caller.tenant_id)
    request.state.caller, request.state.caller_secret = caller, secret
    return caller


async def _bearer(authorization: str, use_cases: UseCases, state: State) -> tuple[Caller, bytes]:
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    if split_api_key(credential) is None and credential.count(".") == 2:  # a JWT's three parts
        caller = await use_cases.sign_ins.caller_for_bearer_token(credential)
        return caller, state.container.gateways.secret_key() + b"\0" + caller.credential_id.encode()
    return await use_cases.tenants.authenticate(credential), credential.encode()


def caller_secret(request: Request) -> bytes:
    """The secret of the request's authenticated caller (provide_caller keeps it)."""
    return request.state.caller_secret


def provide_public_url(state: State) -> str:
    """The address people reach this installation at, for the links it hands out."""
    return state.container.settings().public_url


DEPENDENCIES: dict[str, Provide] = {name: _use_case(name) for name in UseCases.names()}
DEPENDENCIES["caller"] = Provide(provide_caller)
DEPENDENCIES["public_url"] = Provide(provide_public_url, sync_to_thread=False)
