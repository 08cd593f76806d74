"""The outbox dispatcher: what each recorded event sets in motion, handed to the job queue.

An event in the outbox becomes jobs: the seal when an envelope completes, the certificate of
completion when it is sealed, one email per recipient it concerns, one webhook delivery per
endpoint that wants it. The jobs are queued first; then the new deliveries are stored and the
messages marked dispatched, in one transaction. A dispatcher that dies in between leaves the
messages pending, and the next one queues the same jobs under the same ids (the queue keeps
one of each, and handlers are idempotent); a delivery job that runs before its delivery is
stored tries again later. (Queueing before any write also matters on SQLite: the embedded job queue
writes in a transaction of its own, which would wait for this one's write lock.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from undersign.application.evidence.stored_certificate import MakeCompletionCertificateJob
from undersign.application.notifications.ports import NoticeKind
from undersign.application.notifications.send_notice import SendNoticeJob
from undersign.application.shared.jobs import Job, JobQueue
from undersign.application.shared.outbox import OutboxMessage
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.signing.seal import seal_job
from undersign.application.webhooks.delivery import delivery_job
from undersign.domain.envelope import Envelope
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.events import (
    EVENTS,
    DomainEvent,
    EnvelopeCompleted,
    EnvelopeExpired,
    EnvelopeSealed,
    EnvelopeVoided,
    SignerDeclined,
    SignerNotified,
    SignerReminded,
)
from undersign.domain.signer import Role, Signer
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint, webhook_payload

BATCH_SIZE = 100


def certificate_job(tenant_id: str, envelope_id: str) -> Job:
    return MakeCompletionCertificateJob(tenant_id=tenant_id, envelope_id=envelope_id).job(f"certificate:{envelope_id}")


# What each event sets off besides its emails and webhook deliveries (its class names those:
# DomainEvent.webhook): the seal once the envelope completes, the certificate of completion once it is sealed.
FOLLOW_UPS: dict[type[DomainEvent], Callable[[str, str], Job]] = {
    EnvelopeCompleted: seal_job,
    EnvelopeSealed: certificate_job,
}


# Which kind of email an event sends; events not named here send none.
NOTICE_KINDS: dict[type[DomainEvent], NoticeKind] = {
    SignerNotified: NoticeKind.INVITATION,
    SignerReminded: NoticeKind.REMINDER,
    EnvelopeSealed: NoticeKind.COMPLETED,
    SignerDeclined: NoticeKind.DECLINED,
    EnvelopeVoided: NoticeKind.VOIDED,
    EnvelopeExpired: NoticeKind.EXPIRED,
}


def event_of(message: OutboxMessage) -> type[DomainEvent] | None:
    """The kind of event a message carries; None for a name this version does not know."""
    return EVENTS.get(message.type)


def delivery_id(message_id: str, endpoint_id: str) -> str:
    """The same event for the same endpoint is always the same delivery (the Standard Webhooks message id)."""
    return "msg_" + hashlib.sha256(f"{message_id}/{endpoint_id}".encode()).hexdigest()[:32]


def invitee(message: OutboxMessage) -> list[str]:
    """Who an invitation or reminder goes to: the recipient its event names, unless a carbon copy (told of the
    envelope once it is completed, never asked to act). Read from the event, not the envelope: the job checks,
    when it runs, that it is still their turn."""
    signer_id = message.data.get("signer_id")
    if not isinstance(signer_id, str) or message.data.get("role") == Role.CC.value:
        return []  # a message without its recipient sends nothing rather than stopping the dispatch
    return [signer_id]


def told_of(kind: NoticeKind, message: OutboxMessage, envelope: Envelope) -> list[Signer]:
    """Who an email that asks nothing of them goes to: the completed copy, a decline, a void or an expiry."""
    signer_id = message.data.get("signer_id")
    match kind:
        case NoticeKind.COMPLETED:
            return list(envelope.signers)
        case NoticeKind.DECLINED:
            # Everyone who knew of the envelope, besides the one who declined.
            return [s for s in envelope.signers if s.id != signer_id and s.notified_at is not None]
        case NoticeKind.VOIDED:
            return [s for s in envelope.signers if s.notified_at is not None]
        case NoticeKind.EXPIRED:
            return [s for s in envelope.signers if s.is_active]
    return []


@dataclass(slots=True)
class _Batch:
    """What one dispatch reads once and uses for all its messages, and the deliveries it will store."""

    envelopes: dict[str, Envelope | None] = field(default_factory=dict)
    endpoints: dict[str, list[WebhookEndpoint]] = field(default_factory=dict)
    deliveries: list[WebhookDelivery] = field(default_factory=list)

    async def envelope(self, uow: UnitOfWork, message: OutboxMessage) -> Envelope | None:
        """The message's envelope, read at the first message of it in the batch."""
        if message.envelope_id not in self.envelopes:
            self.envelopes[message.envelope_id] = await uow.envelopes.get(message.tenant_id, message.envelope_id)
        return self.envelopes[message.envelope_id]


class Dispatcher:
    def __init__(self, uow: UnitOfWorkFactory, queue: JobQueue, clock: Clock) -> None:
        self._uow, self._queue, self._clock = uow, queue, clock

    async def dispatch(self, limit: int = BATCH_SIZE) -> int:
        """Turn up to `limit` pending messages into jobs; how many were dispatched (0: none, or another dispatcher won)."""
        try:
            return await self._dispatch(limit)
        except ConcurrencyConflict:
            return 0  # another dispatcher stored the same deliveries first: its messages are done

    async def _dispatch(self, limit: int) -> int:
        async with self._uow() as uow:
            messages = await uow.outbox.pending(limit)
            if not messages:
                return 0
            batch = _Batch()
            jobs: list[Job] = []
            for message in messages:
                jobs += await self._jobs_for(uow, message, batch)
            await self._queue.enqueue(jobs)
            for delivery in batch.deliveries:
                await uow.webhook_deliveries.add(delivery)
            await uow.outbox.mark_dispatched([m.id for m in messages], self._clock.now())
            await uow.commit()
        return len(messages)

    async def _jobs_for(self, uow: UnitOfWork, message: OutboxMessage, batch: _Batch) -> list[Job]:
        """The jobs `message` sets off; the webhook deliveries among them go into `batch`, to be stored."""
        jobs = []
        event = event_of(message)
        if event is not None and (follow_up := FOLLOW_UPS.get(event)) is not None:
            jobs.append(follow_up(message.tenant_id, message.envelope_id))
        jobs += await self._notice_jobs(uow, message, batch)
        event_name = event.webhook if event else None
        if event_name is None:
            return jobs
        if message.tenant_id not in batch.endpoints:
            batch.endpoints[message.tenant_id] = await uow.webhook_endpoints.for_tenant(message.tenant_id)
        payload = webhook_payload(event_name=event_name, at=message.at, envelope_id=message.envelope_id, data=message.data)
        for endpoint in batch.endpoints[message.tenant_id]:
            if endpoint.wants(event_name):
                delivery = WebhookDelivery(
                    id=delivery_id(message.id, endpoint.id), tenant_id=message.tenant_id, endpoint_id=endpoint.id,
                    event_type=event_name, payload=payload, created_at=self._clock.now(),
                )
                batch.deliveries.append(delivery)
                jobs.append(delivery_job(delivery))
        return jobs

    async def _notice_jobs(self, uow: UnitOfWork, message: OutboxMessage, batch: _Batch) -> list[Job]:
        kind = NOTICE_KINDS.get(event_of(message))
        if kind is None:
            return []
        if kind.asks_to_act:
            recipients = invitee(message)
        elif (envelope := await batch.envelope(uow, message)) is not None:
            recipients = [s.id for s in told_of(kind, message, envelope)]
        else:
            recipients = []
        return [
            SendNoticeJob(
                tenant_id=message.tenant_id, envelope_id=message.envelope_id, signer_id=signer_id,
                kind=kind, event_id=message.id,
            ).job(f"notice:{message.id}:{signer_id}")
            for signer_id in recipients
        ]
