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

from undersign.application.access.permissions import Caller
from undersign.application.bootstrap import UseCases
from undersign.application.shared.errors import Unauthenticated


def _use_case(name: str) -> Provide:
    """A handler's parameter named after a use case receives it (NamedDependency: a name that is
    none fails when the app starts, not as an unexpected query parameter)."""

    def provide(state: State) -> Any:
        return getattr(state.container.use_cases(), name)

    return Provide(provide, sync_to_thread=False)


async def provide_caller(request: Request, state: State) -> Caller:
    """Who the API key is; authenticated once per request (the guard asks first, see guards.py)."""
    known: Caller | None = request.state.get("caller")
    if known is not None:
        return known
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    caller = await state.container.use_cases().tenants.authenticate(key.strip())
    structlog.contextvars.bind_contextvars(tenant_id=caller.tenant_id)
    # Once per request (the caller is kept below): past the tenant's rate, if one is set, it stops here.
    await state.container.use_cases().throttle.tenant_request(caller.tenant_id)
    request.state.caller = caller
    return caller


def provide_public_url(state: State) -> str:
    """The address people reach this installation at, for the links it hands out."""
    return state.container.settings().public_url


DEPENDENCIES: dict[str, Provide] = {name: _use_case(name) for name in UseCases.names()}
DEPENDENCIES["caller"] = Provide(provide_caller)
DEPENDENCIES["public_url"] = Provide(provide_public_url, sync_to_thread=False)
