"""Tenants' webhook endpoints: register, list, delete, rotate the secret; each endpoint's deliveries, and redelivery.

Only owner and admin keys manage webhooks: an endpoint hears about every envelope of the tenant.
The secret is shown when an endpoint is registered and when it is rotated, never again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from undersign.application.access.permissions import Caller, Permission
from undersign.application.shared.jobs import JobQueue, again
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.webhooks.delivery import delivery_job
from undersign.application.webhooks.ports import WebhookSender
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"


ROTATION_OVERLAP = timedelta(hours=24)


MAX_ENDPOINTS_PER_TENANT = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterWebhook:
    caller: Caller
    url: str
    events: list[str]
    description: str = ""


class Webhooks:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, secrets: SecretGenerator,
        sender: WebhookSender, queue: JobQueue,
    ) -> None:
        self._uow, self._clock, self._ids, self._secrets = uow, clock, ids, secrets
        self._sender, self._queue = sender, queue

    async def register(self, command: RegisterWebhook) -> WebhookEndpoint:
        command.caller.require(Permission.MANAGE_WEBHOOKS)
        endpoint = WebhookEndpoint.register(
            endpoint_id=self._ids.new_id(), tenant_id=command.caller.tenant_id, url=command.url,
            events=command.events, secret=self._new_secret(), description=command.description, now=self._clock.now(),
        )
        await self._sender.check_target(endpoint.url)
        async with self._uow() as uow:
            if len(await uow.webhook_endpoints.for_tenant(endpoint.tenant_id)) >= MAX_ENDPOINTS_PER_TENANT:
                raise InvalidInput(f"a tenant has at most {MAX_ENDPOINTS_PER_TENANT} webhook endpoints")
            await uow.webhook_endpoints.add(endpoint)
            await uow.commit()
        return endpoint

    async def list(self, caller: Caller) -> list[WebhookEndpoint]:
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            return await uow.webhook_endpoints.for_tenant(caller.tenant_id)

    async def get(self, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            return await _require_endpoint(uow, caller.tenant_id, endpoint_id)

    async def delete(self, caller: Caller, endpoint_id: str) -> None:
        """Deliveries already queued for it are dropped when they come up; its record of deliveries stays."""
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            await _require_endpoint(uow, caller.tenant_id, endpoint_id)
            await uow.webhook_endpoints.delete(caller.tenant_id, endpoint_id)
            await uow.commit()

    async def rotate_secret(self, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
        """A new secret; for ROTATION_OVERLAP deliveries are signed with the old one too."""
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            endpoint = await _require_endpoint(uow, caller.tenant_id, endpoint_id)
            endpoint.rotate_secret(new_secret=self._new_secret(), now=self._clock.now(), overlap=ROTATION_OVERLAP)
            await uow.webhook_endpoints.save(endpoint)
            await uow.commit()
        return endpoint

    async def deliveries(
        self, caller: Caller, endpoint_id: str, *, limit: int, before: str | None = None
    ) -> list[WebhookDelivery]:
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            await _require_endpoint(uow, caller.tenant_id, endpoint_id)
            return await uow.webhook_deliveries.for_endpoint(caller.tenant_id, endpoint_id, limit=limit, before=before)

    async def redeliver(self, caller: Caller, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Send the same message (same webhook-id) again, whatever became of it before."""
        caller.require(Permission.MANAGE_WEBHOOKS)
        async with self._uow() as uow:
            await _require_endpoint(uow, caller.tenant_id, endpoint_id)
            delivery = await uow.webhook_deliveries.get(caller.tenant_id, delivery_id)
            if delivery is None or delivery.endpoint_id != endpoint_id:
                raise NotFound(f"no delivery {delivery_id} for webhook {endpoint_id}")
            delivery.redeliver()
            await uow.webhook_deliveries.save(delivery)
            await uow.commit()
        # After the commit, so that the job finds the delivery pending; if queueing fails, the
        # caller is told and can ask again.
        await self._queue.enqueue([again(delivery_job(delivery), self._ids, why="again")])
        return delivery

    def _new_secret(self) -> str:
        return SECRET_PREFIX + base64.b64encode(self._secrets.new_secret().encode()).decode()


async def _require_endpoint(uow: UnitOfWork, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await uow.webhook_endpoints.get(tenant_id, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook {endpoint_id}")
    return endpoint
