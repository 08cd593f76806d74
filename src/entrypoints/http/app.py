"""The Litestar application: routes, error rendering, OpenAPI, and the container's lifespan."""

from __future__ import annotations

from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from adapters.sql.health import ping
from entrypoints.container import Container, shutdown
from entrypoints.http.dependencies import DEPENDENCIES
from entrypoints.http.envelopes import EnvelopesController
from entrypoints.http.problems import EXCEPTION_HANDLERS, problem
from entrypoints.http.request_context import request_context
from entrypoints.http.signing import SigningController, signing_page
from entrypoints.http.verification import verify
from entrypoints.http.webhooks import WebhooksController


@get("/health", tags=["operations"])
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", tags=["operations"])
async def ready(state: State) -> Response:
    """The process can serve: its database answers."""
    if await ping(state.container.gateways.engine()):
        return Response(content={"status": "ready"})
    return problem(503, "not_ready", "the database does not answer")


def create_app(container: Container) -> Litestar:
    settings = container.settings()

    # Without Redis this process runs the background jobs itself; with it, `undersign worker` does.
    embedded = settings.embedded_jobs

    async def start() -> None:
        container.gateways.pdf_signer()  # the PKI and the seal key, before the first request
        if embedded:
            await container.use_cases.embedded_runner().start()

    async def close() -> None:
        if embedded:
            await container.use_cases.embedded_runner().stop()
        await shutdown(container)

    return Litestar(
        route_handlers=[EnvelopesController, WebhooksController, SigningController, signing_page, verify, health, ready],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_context],
        state=State({"container": container}),
        on_startup=[start],
        on_shutdown=[close],
        request_max_body_size=settings.max_upload_bytes,
        openapi_config=OpenAPIConfig(
            title="Undersign",
            version="1",
            description="Envelopes, routing, PAdES signatures and a verifiable audit trail.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
