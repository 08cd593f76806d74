"""The outbox dispatcher: which jobs each recorded event sets off, once, under ids that do not change."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.envelopes import FakeEnvelopes
from tests.fakes.notifications import FakeMailer
from tests.unit.flows import completed, envelope_with, link, sign
from tests.unit.spying import envelopes_asked
from undersign.adapters.notify.templates import JinjaNoticeTemplates
from undersign.application.background.dispatch import FOLLOW_UPS, NOTICE_KINDS, delivery_id, invitee, told_of
from undersign.application.background.job_runner import RetryPolicy
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.evidence.stored_certificate import MakeCompletionCertificateJob
from undersign.application.notifications.ports import NoticeKind
from undersign.application.notifications.send_notice import SendNoticeHandler, SendNoticeJob
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.jobs import JobLane
from undersign.application.shared.outbox import OutboxMessage
from undersign.application.signing.decline import Decline
from undersign.application.signing.seal import SealEnvelopeJob, seal_job
from undersign.application.webhooks.delivery import DeliverWebhookJob
from undersign.application.webhooks.endpoints import RegisterWebhook
from undersign.domain.events import EVENTS
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import Routing
from undersign.domain.signer import Role
from undersign.domain.tenant import AccessRole


async def envelope_of(platform, caller, *people: tuple[str, Role, int]) -> tuple[str, dict[str, str]]:
    """A sent sequential envelope with these (name, role, routing order) recipients; their ids by name."""
    envelope_id, document_id, _ = await envelope_with(platform, caller)
    ids = {}
    for name, role, order in people:
        ids[name] = (await platform.add_signer(AddSigner(
            caller=caller, envelope_id=envelope_id, name=name, email=f"{name.lower()}@example.com",
            role=role, routing_order=order,
        ))).id
        if role is not Role.CC:
            await platform.place_field(PlaceField(
                caller=caller, envelope_id=envelope_id, document_id=document_id, signer_id=ids[name],
                kind=FieldKind.SIGNATURE, placement=Placement(page=1, x=50, y=700, width=150, height=40),
            ))
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    return envelope_id, ids


THREE = (("Ada", Role.SIGNER, 1), ("Carol", Role.CC, 1), ("Bob", Role.SIGNER, 2))
FOUR = (("Ada", Role.SIGNER, 1), ("Dan", Role.SIGNER, 1), ("Carol", Role.CC, 1), ("Bob", Role.SIGNER, 2))


def notices(platform) -> list[tuple[str, str]]:
    return [(j.args["kind"], j.args["signer_id"]) for j in platform.job_queue.jobs if j.name == SendNoticeJob.name]


async def test_sending_invites_only_the_signers_whose_turn_it_is(platform, caller):
    _, ids = await envelope_of(platform, caller, *THREE)
    assert await platform.dispatcher.dispatch() > 0

    assert notices(platform) == [(NoticeKind.INVITATION, ids["Ada"])]
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == []


async def test_invitations_and_reminders_are_queued_without_reading_the_envelope(platform, caller, monkeypatch):
    platform.db.policies[caller.tenant_id] = replace(platform.db.policies[caller.tenant_id], reminder_days=2)
    _, ids = await envelope_of(platform, caller, *FOUR)
    reads = envelopes_asked(monkeypatch, FakeEnvelopes, "get")
    await platform.dispatcher.dispatch()
    invited = notices(platform)
    platform.job_queue.take()
    platform.clock.advance(timedelta(days=2))
    await platform.schedules.send_reminders()
    reminding = len(reads)  # the schedule reads the envelope to see whose reminder is due
    await platform.dispatcher.dispatch()

    assert sorted(invited) == sorted([(NoticeKind.INVITATION, ids["Ada"]), (NoticeKind.INVITATION, ids["Dan"])])
    assert sorted(notices(platform)) == sorted([(NoticeKind.REMINDER, ids["Ada"]), (NoticeKind.REMINDER, ids["Dan"])])
    assert len(reads) == reminding  # the event names the recipient; the job checks it is still their turn


@pytest.mark.parametrize(
    ("data", "invited"),
    [
        ({"signer_id": "s1", "role": "signer"}, ["s1"]),
        ({"signer_id": "s1", "role": "approver"}, ["s1"]),
        ({"signer_id": "s1"}, ["s1"]),  # a reminder names no role: only those who act are reminded
        ({"signer_id": "s1", "role": "cc"}, []),
        ({"role": "signer"}, []),  # a message without its recipient sends nothing, and stops nothing
        ({"signer_id": None}, []),
    ],
)
def test_an_invitation_goes_to_the_recipient_its_event_names_unless_a_carbon_copy(data, invited):
    message = OutboxMessage(
        id="e1:3", tenant_id="t1", envelope_id="e1", type="SignerNotified", at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="system", data=data,
    )
    assert invitee(message) == invited


async def test_completing_an_envelope_queues_one_seal(platform, caller):
    envelope_id, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob", routing=Routing.PARALLEL)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.dispatcher.dispatch()
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == []

    await platform.sign(sign(await link(platform, caller, envelope_id, bob)))
    await platform.dispatcher.dispatch()
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == [seal_job(caller.tenant_id, envelope_id)]


async def test_the_seal_goes_to_the_urgent_lane_the_certificate_notices_and_deliveries_to_the_routine_one(
    platform, caller
):
    await register(platform, caller, "envelope.completed", "envelope.sealed")
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.run_background()

    lanes = {(job.name, job.lane) for job in platform.job_queue.enqueued}
    assert lanes == {
        (SealEnvelopeJob.name, JobLane.URGENT), (MakeCompletionCertificateJob.name, JobLane.ROUTINE),
        (SendNoticeJob.name, JobLane.ROUTINE), (DeliverWebhookJob.name, JobLane.ROUTINE),
    }


def test_every_event_that_sends_an_email_or_starts_a_job_is_published_so_it_reaches_the_outbox():
    """The unit of work puts only published events (those with a webhook name) into the outbox."""
    assert all(event.webhook is not None for event in [*NOTICE_KINDS, *FOLLOW_UPS])


async def test_unpublished_events_stay_in_the_audit_chain_and_out_of_the_outbox(platform, caller):
    envelope_id, document_id, (ada,) = await envelope_with(platform, caller, "Ada")

    types = {message.type for message in platform.db.outbox.values()}
    assert not types & {"EnvelopeCreated", "DocumentAdded", "SignerAdded", "FieldPlaced"}
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert {"EnvelopeCreated", "DocumentAdded", "SignerAdded", "FieldPlaced"} <= {e.type for e in trail.entries}


async def test_the_last_signature_queues_the_seal_at_once_and_the_dispatcher_adds_nothing(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))

    seals = [seal_job(caller.tenant_id, envelope_id)]
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == seals  # before any dispatch
    await platform.dispatcher.dispatch()
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == seals


async def test_a_queue_that_does_not_answer_leaves_the_seal_to_the_dispatcher(platform, caller, monkeypatch):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))

    async def down(jobs):
        raise ServiceUnavailable("the job queue does not answer")

    with monkeypatch.context() as patched:
        patched.setattr(platform.job_queue, "enqueue", down)
        signed = await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    assert signed.envelope.status.value == "completed" and platform.job_queue.jobs == []

    await platform.dispatcher.dispatch()
    assert [j for j in platform.job_queue.jobs if j.name == SealEnvelopeJob.name] == [seal_job(caller.tenant_id, envelope_id)]


async def register(platform, caller, *events: str):
    return await platform.webhooks.register(RegisterWebhook(caller=caller, url="https://hooks.example/in", events=list(events)))


async def other_tenant(platform):
    await platform.tenants.create("globex")
    return await platform.tenants.authenticate((await platform.tenants.create_api_key("globex", AccessRole.ADMIN)).key)


async def test_an_endpoint_gets_one_delivery_per_event_it_subscribed_to_and_only_its_tenants(platform, caller):
    endpoint = await register(platform, caller, "envelope.sent", "recipient.notified")
    globex = await other_tenant(platform)
    theirs, _, _ = await envelope_with(platform, globex, "Eve")
    await platform.send_envelope(SendEnvelope(caller=globex, envelope_id=theirs))
    mine, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob", routing=Routing.PARALLEL)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=mine))
    await platform.dispatcher.dispatch()

    deliveries = list(platform.db.webhook_deliveries.values())
    assert sorted(d.event_type for d in deliveries) == ["envelope.sent", "recipient.notified", "recipient.notified"]
    assert {(d.endpoint_id, d.tenant_id, d.payload["data"]["envelope_id"]) for d in deliveries} == {
        (endpoint.id, caller.tenant_id, mine)
    }
    assert sorted(d.payload["data"].get("signer_id", "") for d in deliveries) == ["", ada, bob]
    webhook_jobs = [j for j in platform.job_queue.jobs if j.name == DeliverWebhookJob.name]
    assert sorted(j.args["delivery_id"] for j in webhook_jobs) == sorted(d.id for d in deliveries)


async def test_a_message_is_dispatched_once_and_a_repeat_after_a_crash_adds_nothing(platform, caller):
    await register(platform, caller, "envelope.sent", "recipient.notified")
    await envelope_of(platform, caller, *FOUR)
    count = await platform.dispatcher.dispatch()
    jobs, deliveries = list(platform.job_queue.jobs), dict(platform.db.webhook_deliveries)
    assert len(deliveries) == 4  # sent, and Ada, Dan and Carol notified
    assert await platform.dispatcher.dispatch() == 0  # the messages are marked
    assert platform.job_queue.jobs == jobs

    platform.db.dispatched.clear()  # as if the first dispatcher died after queueing
    platform.clock.advance(timedelta(minutes=1))
    assert await platform.dispatcher.dispatch() == count
    assert platform.job_queue.jobs == jobs
    assert platform.db.webhook_deliveries == deliveries


async def test_job_and_delivery_ids_follow_from_the_message_and_endpoint(platform, caller):
    endpoint = await register(platform, caller, "envelope.sent")
    envelope_id, ids = await envelope_of(platform, caller, ("Ada", Role.SIGNER, 1))
    await platform.dispatcher.dispatch()
    sent = next(m for m in platform.db.outbox.values() if m.type == "EnvelopeSent")
    notified = next(m for m in platform.db.outbox.values() if m.type == "SignerNotified")

    assert list(platform.db.webhook_deliveries) == [delivery_id(sent.id, endpoint.id)]
    assert len({delivery_id(sent.id, endpoint.id), delivery_id(notified.id, endpoint.id), delivery_id(sent.id, "e2")}) == 3
    assert f"notice:{notified.id}:{ids['Ada']}" in [j.id for j in platform.job_queue.jobs]
    assert seal_job("t", envelope_id).id == f"seal:{envelope_id}"


def recipients_of(platform, envelope_id: str, event_type: str) -> tuple[NoticeKind | None, list[str]]:
    message = [m for m in platform.db.outbox.values() if m.envelope_id == envelope_id and m.type == event_type][-1]
    kind = NOTICE_KINDS.get(EVENTS[event_type])
    return kind, [s.name for s in told_of(kind, message, platform.db.envelopes[envelope_id])] if kind else []


async def test_a_decline_tells_everyone_who_knew_of_the_envelope_but_the_decliner(platform, caller):
    envelope_id, ids = await envelope_of(platform, caller, *FOUR)
    await platform.decline(Decline(token=await link(platform, caller, envelope_id, ids["Ada"]), reason="Wrong rent"))
    assert recipients_of(platform, envelope_id, "SignerDeclined") == (NoticeKind.DECLINED, ["Dan", "Carol"])


async def test_voiding_tells_everyone_who_knew_of_the_envelope(platform, caller):
    envelope_id, _ = await envelope_of(platform, caller, *FOUR)
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="Wrong file"))
    assert recipients_of(platform, envelope_id, "EnvelopeVoided") == (NoticeKind.VOIDED, ["Ada", "Dan", "Carol"])


async def test_expiry_tells_only_those_whose_turn_it_was(platform, caller):
    envelope_id, ids = await envelope_of(platform, caller, *FOUR)
    await platform.sign(sign(await link(platform, caller, envelope_id, ids["Ada"])))
    platform.clock.advance(timedelta(days=30))
    assert await platform.schedules.expire_envelopes() == 1
    assert recipients_of(platform, envelope_id, "EnvelopeExpired") == (NoticeKind.EXPIRED, ["Dan"])


async def test_the_seal_sends_the_completed_copy_to_every_recipient_carbon_copies_too(platform, caller):
    envelope_id, ids = await envelope_of(platform, caller, *THREE)
    for name in ("Ada", "Bob"):
        await platform.sign(sign(await link(platform, caller, envelope_id, ids[name])))
    await platform.seal_envelope(SealEnvelopeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id))
    assert recipients_of(platform, envelope_id, "EnvelopeSealed") == (NoticeKind.COMPLETED, ["Ada", "Carol", "Bob"])
    assert recipients_of(platform, envelope_id, "EnvelopeCompleted") == (None, [])


def test_a_delivery_id_is_a_standard_webhooks_message_id_that_never_changes():
    assert delivery_id("m1", "w1") == "msg_b5ceb19ac3da0f17fde696c05d030d89"


def test_retry_delays_stop_doubling_after_64_doublings():
    policy = RetryPolicy(base=timedelta(microseconds=1), cap=timedelta(days=999_999_999))
    assert policy.delay(64, 0.0) < policy.delay(65, 0.0) == policy.delay(1_000, 0.0)


async def test_documents_of_exactly_the_attachment_limit_are_attached(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    size = platform.db.documents[document_id].current.size
    mailer = FakeMailer()
    exact = SendNoticeHandler(
        platform.unit_of_work, platform.create_signing_link, mailer, JinjaNoticeTemplates(),
        public_url="https://undersign.example", max_attachment_bytes=size, mail_domain="undersign.example",
    )
    ada = platform.db.envelopes[envelope_id].signers[0].id
    await exact(SendNoticeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id, signer_id=ada, kind="completed",
                              event_id="e1"))

    [mail] = mailer.sent
    assert [(a.filename, len(a.content)) for a in mail.attachments] == [("lease.pdf", size)]
