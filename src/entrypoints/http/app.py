"""The Litestar application: routes, error rendering, OpenAPI, and the container's lifespan."""

from __future__ import annotations

from litestar import Litestar, Response, Router, get
from litestar.datastructures import State

from undersign.adapters.sql.health import ping
from undersign.adapters.storage.locations import store_answers
from undersign.entrypoints.container import Container, ready_to_sign, shutdown
from undersign.entrypoints.http.api_keys import ApiKeysController
from undersign.entrypoints.http.audit_log import TenantAuditLogController
from undersign.entrypoints.http.browser_sessions import SESSION_ROUTES
from undersign.entrypoints.http.dependencies import DEPENDENCIES
from undersign.entrypoints.http.documents import DocumentsController
from undersign.entrypoints.http.envelopes import EnvelopesController
from undersign.entrypoints.http.guards import authorize
from undersign.entrypoints.http.legal_holds import LegalHoldController
from undersign.entrypoints.http.metrics import metrics
from undersign.entrypoints.http.openapi import openapi_config
from undersign.entrypoints.http.pki import PKI_ROUTES
from undersign.entrypoints.http.policies import PoliciesController
from undersign.entrypoints.http.problems import EXCEPTION_HANDLERS, problem
from undersign.entrypoints.http.request_context import request_context
from undersign.entrypoints.http.security_headers import header_size_limit, security_headers
from undersign.entrypoints.http.signer_sign_in import signer_sign_in, signer_sign_in_callback
from undersign.entrypoints.http.signing import SigningController
from undersign.entrypoints.http.signing_page import SIGNING_PAGE_ROUTES
from undersign.entrypoints.http.strict_bodies import MAX_JSON_BODY_BYTES, strict_body
from undersign.entrypoints.http.throttling import throttling
from undersign.entrypoints.http.users import TeamsController, UsersController
from undersign.entrypoints.http.verification import verify
from undersign.entrypoints.http.webhooks import WebhooksController


@get("/health", tags=["operations"], public="liveness says nothing about anyone")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", tags=["operations"], public="readiness says nothing about anyone")
async def ready(state: State) -> Response:
    """The process can serve: its database answers, and so does its document store (an S3 bucket)."""
    if not await ping(state.container.gateways.engine()):
        return problem(503, "not_ready", "the database does not answer")
    if not await store_answers(state.container.gateways.stored_blobs()):
        return problem(503, "not_ready", "the document store does not answer")
    return Response(content={"status": "ready"})


def create_app(container: Container) -> Litestar:
    settings = container.settings()

    # Without Redis this process runs the background jobs itself; with it, `undersign worker` does.
    embedded = settings.embedded_jobs

    async def start() -> None:
        ready_to_sign(container)  # the PKI, the seal key and their lifetimes, before the first request
        if embedded:
            await container.embedded_runner().start()

    async def close() -> None:
        if embedded:
            await container.embedded_runner().stop()
        await shutdown(container)

    return Litestar(
        route_handlers=[
            EnvelopesController, WebhooksController, ApiKeysController, TenantAuditLogController, SigningController,
            UsersController, TeamsController, PoliciesController, LegalHoldController,
            *SIGNING_PAGE_ROUTES, signer_sign_in, signer_sign_in_callback, health, ready, metrics,
            # Only these take a PDF, up to the upload limit; everything else a small JSON body.
            Router(path="/", route_handlers=[DocumentsController, verify], request_max_body_size=settings.max_upload_bytes),
            PKI_ROUTES,
            *SESSION_ROUTES,
        ],
        dependencies=DEPENDENCIES,
        guards=[authorize],
        before_request=strict_body,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[request_context, header_size_limit, throttling],
        before_send=[security_headers(https_public_url=settings.public_url.startswith("https://"))],
        state=State({"container": container}),
        on_startup=[start],
        on_shutdown=[close],
        request_max_body_size=MAX_JSON_BODY_BYTES,
        openapi_config=openapi_config(),
        # Logging is configured once, for every entry point (adapters/system/logging.py): Litestar's
        # own would put the root logger at INFO in a format of its own.
        logging_config=None,
        debug=False,
    )
