"""The retention run and legal holds on fakes: what goes, what stays, who may hold, and a run cut short."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.flows import completed
from undersign.application.retention.legal_holds import ReleaseLegalHold, SetLegalHold
from undersign.application.retention.purge import Retention
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import Forbidden
from undersign.application.webhooks.endpoints import RegisterWebhook
from undersign.domain.audit import verify_chain
from undersign.domain.document import DocumentStatus
from undersign.domain.retention import ContentPurged
from undersign.domain.tenant import AccessRole

RETENTION = timedelta(days=3650)  # the default policy's


async def role(platform, role: AccessRole):
    issued = await platform.tenants.create_api_key("acme", role)
    return await platform.tenants.authenticate(issued.key)


def blob_keys(platform, envelope_id: str) -> list[str]:
    """Every blob of the envelope: each document's revisions and the certificate of completion."""
    envelope = platform.db.envelopes[envelope_id]
    keys = [r.blob_key for d in platform.db.documents.values() if d.envelope_id == envelope_id for r in d.revisions]
    return keys + [envelope.completion_certificate.blob_key]


async def test_a_dry_run_lists_what_is_due_and_changes_nothing(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    assert (await platform.retention.run(dry_run=True)).due == 0  # retention not over yet
    platform.clock.advance(RETENTION + timedelta(seconds=1))
    seen = []
    report = await platform.retention.run(dry_run=True, progress=lambda due, done: seen.append((due.envelope_id, done)))
    assert (report.due, report.purged, report.blobs_deleted) == (1, 0, 0)
    assert seen == [(envelope_id, "due")]
    assert all(key in platform.blob_store.blobs for key in blob_keys(platform, envelope_id))
    assert platform.db.envelopes[envelope_id].purge_started_at is None


async def test_a_run_deletes_every_blob_and_keeps_the_hashes_the_chain_and_announces_it(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    keys = blob_keys(platform, envelope_id)
    hashes = [r.sha256 for r in platform.db.documents[document_id].revisions]
    platform.clock.advance(RETENTION)
    report = await platform.retention.run()
    assert (report.due, report.purged, report.blobs_deleted, report.failed) == (1, 1, len(keys), [])
    assert not any(key in platform.blob_store.blobs for key in keys)
    document = platform.db.documents[document_id]
    assert document.status is DocumentStatus.PURGED and [r.sha256 for r in document.revisions] == hashes
    envelope = platform.db.envelopes[envelope_id]
    assert envelope.purged_at == platform.clock.now() and envelope.completion_certificate is not None
    with pytest.raises(ContentPurged):
        await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    with pytest.raises(ContentPurged):
        await platform.completion_certificates.download(caller, envelope_id)
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert trail.chain_valid and verify_chain(trail.entries)
    assert trail.entries[-1].type == "DocumentsPurged" and trail.entries[-1].data["document_ids"] == [document_id]
    assert [m.type for m in platform.db.outbox.values()][-1] == "DocumentsPurged"  # the webhook's message


async def test_a_second_run_finds_nothing_to_do(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    platform.clock.advance(RETENTION)
    await platform.retention.run()
    entries = len(platform.db.audit[envelope_id])
    again = await platform.retention.run()
    assert (again.due, again.purged) == (0, 0) and len(platform.db.audit[envelope_id]) == entries


async def test_a_legal_hold_blocks_the_run_and_its_release_lets_the_next_one_purge(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    held = await platform.legal_holds.set(SetLegalHold(caller=caller, envelope_id=envelope_id, reason="litigation"))
    assert held.legal_hold.reason == "litigation" and held.legal_hold.by == caller.actor
    platform.clock.advance(RETENTION * 2)
    assert (await platform.retention.run()).due == 0
    assert platform.db.documents[document_id].status is DocumentStatus.SEALED
    await platform.legal_holds.release(ReleaseLegalHold(caller=caller, envelope_id=envelope_id, reason="settled"))
    assert (await platform.retention.run()).purged == 1
    types = [e.type for e in platform.db.audit[envelope_id]]
    assert types[-3:] == ["LegalHoldSet", "LegalHoldReleased", "DocumentsPurged"]


@pytest.mark.parametrize("without", [AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR])
async def test_only_owners_and_admins_set_and_release_holds(platform, caller, without):
    envelope_id, _ = await completed(platform, caller)
    other = await role(platform, without)
    with pytest.raises(Forbidden):
        await platform.legal_holds.set(SetLegalHold(caller=other, envelope_id=envelope_id, reason="mine"))
    await platform.legal_holds.set(SetLegalHold(caller=caller, envelope_id=envelope_id, reason="audit"))
    with pytest.raises(Forbidden):
        await platform.legal_holds.release(ReleaseLegalHold(caller=other, envelope_id=envelope_id, reason="mine"))
    assert platform.db.envelopes[envelope_id].legal_hold.reason == "audit"
    owner = await role(platform, AccessRole.OWNER)
    await platform.legal_holds.release(ReleaseLegalHold(caller=owner, envelope_id=envelope_id, reason="done"))
    assert platform.db.envelopes[envelope_id].legal_hold is None


async def test_a_run_cut_short_while_deleting_is_finished_by_the_next(platform, caller, monkeypatch):
    envelope_id, document_id = await completed(platform, caller)
    keys = blob_keys(platform, envelope_id)
    platform.clock.advance(RETENTION)
    store, deleted = platform.blob_store, []
    real_delete = store.delete

    async def dies_after_one(key):
        if deleted:
            raise OSError("the process was killed")
        deleted.append(key)
        await real_delete(key)

    monkeypatch.setattr(store, "delete", dies_after_one)
    with pytest.raises(OSError):
        await platform.retention.run()
    envelope = platform.db.envelopes[envelope_id]
    assert envelope.purge_started_at is not None and envelope.purged_at is None  # begun, not finished
    assert len([k for k in keys if k in store.blobs]) == len(keys) - 1
    with pytest.raises(ContentPurged):  # nothing half deleted is served
        await platform.envelope_queries.document_content(caller, envelope_id, document_id)
    with pytest.raises(ContentPurged):  # nor held
        await platform.legal_holds.set(SetLegalHold(caller=caller, envelope_id=envelope_id, reason="late"))

    monkeypatch.setattr(store, "delete", real_delete)
    seen = []
    report = await platform.retention.run(progress=lambda due, outcome: seen.append((due.resumed, outcome)))
    assert (report.purged, report.blobs_deleted) == (1, len(keys)) and seen == [(True, "purged")]
    assert not any(key in store.blobs for key in keys)
    assert platform.db.documents[document_id].status is DocumentStatus.PURGED
    assert [e.type for e in platform.db.audit[envelope_id]].count("DocumentsPurged") == 1


async def test_a_run_reads_the_due_envelopes_a_page_at_a_time(platform, caller):
    ids = [(await completed(platform, caller))[0] for _ in range(5)]
    platform.clock.advance(RETENTION)
    retention = Retention(platform.unit_of_work, platform.clock, turns=EnvelopeTurns(platform.unit_of_work), page=2)
    report = await retention.run()
    assert report.purged == 5
    assert all(platform.db.envelopes[i].purged_at is not None for i in ids)


async def test_an_envelope_held_after_the_page_was_read_is_passed_over(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    platform.clock.advance(RETENTION)
    (due,) = [d async for d in platform.retention.due(platform.clock.now())]
    await platform.legal_holds.set(SetLegalHold(caller=caller, envelope_id=envelope_id, reason="just in time"))
    assert await platform.retention.purge(due.tenant_id, due.envelope_id, now=platform.clock.now()) is None
    assert platform.db.envelopes[envelope_id].purge_started_at is None


async def test_the_schedule_runs_the_retention_run(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    assert await platform.schedules.purge_documents() == 0
    platform.clock.advance(RETENTION)
    assert await platform.schedules.purge_documents() == 1
    assert platform.db.envelopes[envelope_id].purged_at is not None


async def test_a_purge_is_delivered_to_the_webhooks_that_subscribed_to_it(platform, caller):
    await platform.webhooks.register(
        RegisterWebhook(caller=caller, url="https://hooks.example/in", events=["envelope.documents_purged"])
    )
    envelope_id, document_id = await completed(platform, caller)
    await platform.run_background()
    assert platform.db.webhook_deliveries == {}  # nothing it subscribed to yet
    platform.clock.advance(RETENTION)
    await platform.retention.run()
    await platform.dispatcher.dispatch()
    (delivery,) = platform.db.webhook_deliveries.values()
    assert delivery.event_type == "envelope.documents_purged"
    assert delivery.payload["data"] == {"envelope_id": envelope_id, "document_ids": [document_id]}


async def test_the_embedded_schedule_runs_the_retention_run_when_it_starts_and_then_daily(platform, caller):
    from tests.fakes.background import FakeJobQueue
    from undersign.entrypoints.worker.embedded import EmbeddedRunner

    first, _ = await completed(platform, caller)
    second, _ = await completed(platform, caller)
    async with platform.unit_of_work() as uow:  # the second ends a few hours later than the first
        envelope = await uow.envelopes.get(caller.tenant_id, second)
        envelope.purge_after += timedelta(hours=6)
        await uow.envelopes.save(envelope)
        await uow.commit()
    runner = EmbeddedRunner(platform.dispatcher, FakeJobQueue(platform.clock), platform.job_runner, platform.schedules,
                            platform.clock, job_timeout_seconds=60, schedule_every=timedelta(minutes=5))
    platform.clock.advance(RETENTION)
    await runner._run_schedule()  # noqa: SLF001 - one round of the schedule's loop
    assert platform.db.envelopes[first].purged_at is not None and platform.db.envelopes[second].purged_at is None
    platform.clock.advance(timedelta(hours=12))
    await runner._run_schedule()  # noqa: SLF001 - the second is due now, but the day is not over
    assert platform.db.envelopes[second].purged_at is None
    platform.clock.advance(timedelta(hours=12))
    await runner._run_schedule()  # noqa: SLF001
    assert platform.db.envelopes[second].purged_at is not None
