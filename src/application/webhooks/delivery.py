"""Delivering one webhook: post it, record the attempt, retry through the job runner."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import ClassVar

from undersign.application.shared.jobs import Job, JobPayload
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.webhooks.ports import WebhookSender
from undersign.domain.errors import DomainError
from undersign.domain.webhook import DeliveryStatus, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverWebhookJob(JobPayload):
    name: ClassVar[str] = "deliver_webhook"
    tenant_id: str
    delivery_id: str


def delivery_job(delivery: WebhookDelivery) -> Job:
    return DeliverWebhookJob(tenant_id=delivery.tenant_id, delivery_id=delivery.id).job(f"webhook:{delivery.id}")


STORED_DELIVERY_CHECKS = 10


STORED_DELIVERY_PAUSE_SECONDS = 0.2


class WebhookFailed(DomainError):
    """The endpoint did not answer with a 2xx: the delivery is tried again later."""

    code = "webhook_failed"


class DeliverWebhookHandler:
    """The job that makes one attempt at a delivery and records it; a failed attempt raises, to be retried."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, sender: WebhookSender) -> None:
        self._uow, self._clock, self._sender = uow, clock, sender

    async def __call__(self, job: DeliverWebhookJob) -> None:
        tenant_id, delivery_id = job.tenant_id, job.delivery_id
        delivery, endpoint = await self._stored_delivery(tenant_id, delivery_id)
        if delivery.status is DeliveryStatus.SUCCEEDED:
            return
        if endpoint is None:  # deleted since: nobody to tell, and the delivery will never be made
            await self.give_up(job)
            return
        now = self._clock.now()
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        result = await self._sender.send(
            url=endpoint.url, secrets=endpoint.signing_secrets(now), message_id=delivery.id, at=now, body=body
        )
        async with self._uow() as uow:
            delivery = await uow.webhook_deliveries.get(tenant_id, delivery_id)
            if delivery is None:
                return
            attempt = delivery.record_attempt(
                at=now, status_code=result.status_code, error=result.error, duration_ms=result.duration_ms
            )
            await uow.webhook_deliveries.save(delivery)
            await uow.commit()
        if not attempt.succeeded:
            # The endpoint by id, not URL: receivers often keep a credential in their URL, and this goes to logs.
            raise WebhookFailed(
                f"webhook {endpoint.id} answered {result.status_code}" if result.status_code
                else f"webhook {endpoint.id}: {result.error}"
            )

    async def _stored_delivery(
        self, tenant_id: str, delivery_id: str
    ) -> tuple[WebhookDelivery, WebhookEndpoint | None]:
        """The delivery and its endpoint (None if deleted), waiting a moment for the delivery: the
        dispatcher queues the job just before it stores it."""
        for _ in range(STORED_DELIVERY_CHECKS):
            async with self._uow() as uow:
                delivery = await uow.webhook_deliveries.get(tenant_id, delivery_id)
                if delivery is not None:
                    return delivery, await uow.webhook_endpoints.get(tenant_id, delivery.endpoint_id)
            await asyncio.sleep(STORED_DELIVERY_PAUSE_SECONDS)
        # Its dispatcher died before storing it: the next dispatch does, and a later attempt finds it.
        raise WebhookFailed(f"delivery {delivery_id} is not stored yet")

    async def give_up(self, job: DeliverWebhookJob) -> None:
        """After the last attempt: the delivery is marked failed (it can still be redelivered)."""
        async with self._uow() as uow:
            delivery = await uow.webhook_deliveries.get(job.tenant_id, job.delivery_id)
            if delivery is None:
                return
            delivery.give_up()
            await uow.webhook_deliveries.save(delivery)
            await uow.commit()
