"""REST v1: a tenant's webhook endpoints, their deliveries, and redelivery (owner and admin keys only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from undersign.application.access.permissions import Caller, Permission
from undersign.application.webhooks.endpoints import RegisterWebhook, Webhooks
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT
from undersign.entrypoints.http.webhook_schemas import (
    DeliveryListOut,
    DeliveryOut,
    RegisterWebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookWithSecretOut,
    delivery_out,
    webhook_out,
    webhook_with_secret_out,
)


class WebhooksController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]

    @post("/", status_code=201, **requires(Permission.MANAGE_WEBHOOKS), **IDEMPOTENT)
    async def register(
        self, data: JSONBody[RegisterWebhookIn], caller: NamedDependency[Caller], webhooks: NamedDependency[Webhooks]
    ) -> WebhookWithSecretOut:
        """Deliveries are signed per Standard Webhooks with the secret returned here, once."""
        command = RegisterWebhook(caller=caller, url=data.url, events=data.events, description=data.description)
        return webhook_with_secret_out(await webhooks.register(command))

    @get("/", **requires(Permission.MANAGE_WEBHOOKS))
    async def list_webhooks(self, caller: NamedDependency[Caller], webhooks: NamedDependency[Webhooks]) -> WebhookListOut:
        """The tenant's webhooks: where each delivers and which events."""
        return WebhookListOut(items=[webhook_out(e) for e in await webhooks.list(caller)])

    @get("/{webhook_id:str}", **requires(Permission.MANAGE_WEBHOOKS))
    async def get_webhook(
        self, webhook_id: FromPath[str], caller: NamedDependency[Caller], webhooks: NamedDependency[Webhooks]
    ) -> WebhookOut:
        """The webhook: where it delivers and which events (never its secret)."""
        return webhook_out(await webhooks.get(caller, webhook_id))

    @delete("/{webhook_id:str}", status_code=204, **requires(Permission.MANAGE_WEBHOOKS))
    async def delete_webhook(
        self, webhook_id: FromPath[str], caller: NamedDependency[Caller], webhooks: NamedDependency[Webhooks]
    ) -> None:
        """No more deliveries to the webhook (queued ones are dropped); its record of deliveries stays."""
        await webhooks.delete(caller, webhook_id)

    @post("/{webhook_id:str}/rotate-secret", status_code=200, **requires(Permission.MANAGE_WEBHOOKS))
    async def rotate_secret(
        self, webhook_id: FromPath[str], caller: NamedDependency[Caller], webhooks: NamedDependency[Webhooks]
    ) -> WebhookWithSecretOut:
        """A new secret; for 24 hours deliveries carry a signature with the old one too."""
        return webhook_with_secret_out(await webhooks.rotate_secret(caller, webhook_id))

    @get("/{webhook_id:str}/deliveries", **requires(Permission.MANAGE_WEBHOOKS))
    async def deliveries(
        self,
        webhook_id: FromPath[str],
        caller: NamedDependency[Caller],
        webhooks: NamedDependency[Webhooks],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter()] = None,
    ) -> DeliveryListOut:
        """Newest first, each with every attempt to deliver it."""
        page = await webhooks.deliveries(caller, webhook_id, limit=limit + 1, before=cursor)
        more = len(page) > limit
        items = page[:limit]
        return DeliveryListOut(items=[delivery_out(d) for d in items], next_cursor=items[-1].id if more else None)

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", status_code=202,
        **requires(Permission.MANAGE_WEBHOOKS),
    )
    async def redeliver(
        self,
        webhook_id: FromPath[str],
        delivery_id: FromPath[str],
        caller: NamedDependency[Caller],
        webhooks: NamedDependency[Webhooks],
    ) -> Response[DeliveryOut]:
        """Queue the same message (same webhook-id) again."""
        return Response(delivery_out(await webhooks.redeliver(caller, webhook_id, delivery_id)), status_code=202)
