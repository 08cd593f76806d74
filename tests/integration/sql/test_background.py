"""The outbox the dispatcher reads, and the dead letters of failed jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.sql.helpers import A4, ACME, GLOBEX, T0, Backend, draft, stored
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.jobs import Job
from undersign.application.shared.outbox import OutboxMessage
from undersign.domain.envelope import Envelope
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.events import EVENTS
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import default_policy
from undersign.domain.signer import Role

# -- the outbox -----------------------------------------------------------------------------------


def _message(message_id: str, at: datetime, tenant_id: str = ACME, **data: Any) -> OutboxMessage:
    return OutboxMessage(
        id=message_id, tenant_id=tenant_id, envelope_id=message_id.split(":")[0], type="SignerNotified", at=at,
        actor="system", data=data,
    )


def sent(envelope_id: str, tenant_id: str, now: datetime) -> Envelope:
    """A draft with a document and a signer with a field, sent: published events (EnvelopeSent, SignerNotified)
    after unpublished ones (EnvelopeCreated, DocumentAdded, SignerAdded, FieldPlaced)."""
    envelope = draft(envelope_id, tenant_id=tenant_id, now=now)
    envelope.add_document(document_id=f"{envelope_id}-doc", filename="lease.pdf", now=now, actor="api_key:k1")
    envelope.add_signer(signer_id=f"{envelope_id}-s", name="Zoë", email="zoe@example.com", role=Role.SIGNER,
                        routing_order=None, now=now, actor="api_key:k1")
    envelope.place_field(field_id=f"{envelope_id}-f", document_id=f"{envelope_id}-doc", signer_id=f"{envelope_id}-s",
                         kind=FieldKind.SIGNATURE, placement=Placement(page=1, x=72, y=600, width=120, height=30),
                         required=True, pages=[A4], now=now, actor="api_key:k1")
    envelope.send(policy=default_policy(policy_id="p", tenant_id=tenant_id), now=now, actor="api_key:k1")
    return envelope


async def test_committing_writes_one_outbox_message_per_published_audit_entry(backend: Backend, tenants: None) -> None:
    await stored(backend, sent("env-1", ACME, T0), sent("env-2", GLOBEX, T0 + timedelta(seconds=1)))
    async with backend.uow() as uow:  # not committed: nothing is announced
        await uow.envelopes.add(sent("env-3", ACME, T0))

    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1") + await uow.audit.entries(GLOBEX, "env-2")
        pending = await uow.outbox.pending(10)

    published = [e for e in entries if EVENTS[e.type].webhook is not None]
    assert [e.type for e in published] == ["EnvelopeSent", "SignerNotified"] * 2 and len(entries) == 12
    assert pending == [
        OutboxMessage(id=f"{e.envelope_id}:{e.seq}", tenant_id=ACME if e.envelope_id == "env-1" else GLOBEX,
                      envelope_id=e.envelope_id, type=e.type, at=e.at, actor=e.actor, data=e.data)
        for e in published
    ]


async def test_pending_outbox_messages_come_oldest_first_until_dispatched(backend: Backend, tenants: None) -> None:
    at = [T0 + timedelta(seconds=3), T0, T0 + timedelta(microseconds=1), T0, T0 + timedelta(days=1)]
    messages = [
        _message(f"env-{n}:{n + 1}", moment, tenant_id=GLOBEX if n == 2 else ACME, signer_id=f"s-{n}", note="Zoë ✓")
        for n, moment in enumerate(at)
    ]
    async with backend.uow() as uow:
        for message in messages:
            await uow.outbox.add(message)
        await uow.commit()
    oldest_first = [messages[1], messages[3], messages[2], messages[0], messages[4]]  # ties by id

    async with backend.uow() as uow:
        assert await uow.outbox.pending(3) == oldest_first[:3]
        await uow.outbox.mark_dispatched([m.id for m in oldest_first[:2]] + ["env-unknown:1"], T0 + timedelta(days=2))
    async with backend.uow() as uow:  # not committed: still pending
        assert await uow.outbox.pending(10) == oldest_first
        await uow.outbox.mark_dispatched([m.id for m in oldest_first[:2]], T0 + timedelta(days=2))
        await uow.outbox.mark_dispatched([], T0 + timedelta(days=2))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.outbox.pending(10) == oldest_first[2:]
        assert all(m.at.utcoffset() == timedelta(0) for m in await uow.outbox.pending(10))
        await uow.outbox.mark_dispatched([m.id for m in oldest_first], T0 + timedelta(days=3))
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.outbox.pending(10) == []


async def test_dispatched_outbox_messages_are_purged_oldest_first_and_pending_ones_never(backend: Backend, tenants: None) -> None:
    messages = [_message(f"env-{n}:1", T0, signer_id=f"s-{n}", note="x") for n in range(5)]
    async with backend.uow() as uow:
        for message in messages:
            await uow.outbox.add(message)
        await uow.commit()
    async with backend.uow() as uow:
        for n, message in enumerate(messages[:4]):  # the last stays pending
            await uow.outbox.mark_dispatched([message.id], T0 + timedelta(days=n))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.outbox.purge(dispatched_before=T0 + timedelta(days=3), limit=2) == 2
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.outbox.purge(dispatched_before=T0 + timedelta(days=3), limit=10) == 1  # the one of day 2
        assert await uow.outbox.purge(dispatched_before=T0 + timedelta(days=30), limit=10) == 1  # day 3
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.outbox.purge(dispatched_before=T0 + timedelta(days=30), limit=10) == 0
        assert await uow.outbox.pending(10) == [messages[4]]


async def test_an_outbox_message_id_is_written_once(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.outbox.add(_message("env-1:1", T0))
        await uow.commit()

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.outbox.add(_message("env-1:1", T0 + timedelta(seconds=1)))
            await uow.commit()

    async with backend.uow() as uow:
        assert await uow.outbox.pending(10) == [_message("env-1:1", T0)]


# -- dead letters ---------------------------------------------------------------------------------


def _letter(letter_id: str, failed_at: datetime, attempts: int = 10, error: str = "MailUnavailable: 421") -> DeadLetter:
    job = Job(id=letter_id, name="send_notice", args={"tenant_id": ACME, "envelope_id": "env-1", "kind": "reminder"})
    return DeadLetter(id=letter_id, job=job, attempts=attempts, error=error, failed_at=failed_at)


async def test_dead_letters_are_kept_most_recent_first_and_replaced_by_id(backend: Backend, tenants: None) -> None:
    long_id = "notice:" + "e" * 64 + ":12:" + "s" * 64 + ":replay:" + "r" * 32
    letters = [_letter("seal:env-1", T0), _letter(long_id, T0 + timedelta(hours=1)),
               _letter("webhook:msg_1", T0 + timedelta(hours=1)), _letter("webhook:msg_2", T0 - timedelta(days=1))]
    async with backend.uow() as uow:
        for letter in letters:
            await uow.dead_letters.add(letter)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.dead_letters.list(limit=3) == [letters[2], letters[1], letters[0]]
        assert await uow.dead_letters.get(long_id) == letters[1]
        assert await uow.dead_letters.get("seal:env-unknown") is None

    again = _letter("seal:env-1", T0 + timedelta(days=2), attempts=3, error="SigningFailed: " + "x" * 3000)
    async with backend.uow() as uow:
        assert await uow.dead_letters.get("seal:env-1") == letters[0]  # read, then replaced in the same unit of work
        await uow.dead_letters.add(again)
        await uow.dead_letters.delete("webhook:msg_2")
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.dead_letters.list(limit=10) == [again, letters[2], letters[1]]
        await uow.dead_letters.delete("seal:env-1")
    async with backend.uow() as uow:  # the delete was not committed
        assert await uow.dead_letters.get("seal:env-1") == again


async def test_dead_letters_that_failed_at_the_same_time_are_listed_by_id_from_the_last(
    backend: Backend, tenants: None
) -> None:
    at = T0 + timedelta(minutes=3)
    # Added in an order that is neither the ids' nor their reverse, so only the ORDER BY gives the list.
    async with backend.uow() as uow:
        for letter_id in ("webhook:b", "webhook:d", "webhook:a", "webhook:c"):
            await uow.dead_letters.add(_letter(letter_id, at))
        await uow.dead_letters.add(_letter("webhook:0", at + timedelta(microseconds=1)))
        await uow.commit()

    async with backend.uow() as uow:
        assert [d.id for d in await uow.dead_letters.list(limit=10)] == [
            "webhook:0", "webhook:d", "webhook:c", "webhook:b", "webhook:a",
        ]
        assert [d.id for d in await uow.dead_letters.list(limit=2)] == ["webhook:0", "webhook:d"]
