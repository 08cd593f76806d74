"""The background use cases on fakes: the seal, the emails, webhook deliveries and the schedule."""

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.fakes.envelopes import FakeEnvelopes
from tests.fakes.notifications import FakeMailer
from tests.fakes.system import FakeClock
from tests.unit.flows import completed, envelope_with, link, sign
from tests.unit.spying import envelopes_asked
from undersign.adapters.notify.templates import JinjaNoticeTemplates
from undersign.application.background.job_runner import RetryLater
from undersign.application.background.schedules import Schedules
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.void import VoidEnvelope
from undersign.application.notifications.send_notice import SendNoticeHandler, SendNoticeJob
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import Forbidden, LinkRevoked, MailUnavailable
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.application.webhooks.delivery import DeliverWebhookJob, WebhookFailed
from undersign.application.webhooks.endpoints import MAX_ENDPOINTS_PER_TENANT, RegisterWebhook
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import InvalidInput
from undersign.domain.policy import Routing
from undersign.domain.tenant import AccessRole
from undersign.domain.webhook import DeliveryStatus


async def sent(platform, caller, *names, routing=Routing.PARALLEL):
    envelope_id, document_id, ids = await envelope_with(platform, caller, *names, routing=routing)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    return envelope_id, document_id, ids


def audit_types(platform, envelope_id):
    return [e.type for e in platform.db.audit[envelope_id]]


async def test_sealing_twice_seals_once(platform, caller):
    envelope_id, document_id, (ada,) = await sent(platform, caller, "Ada")
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    args = SealEnvelopeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id)

    await asyncio.gather(platform.seal_envelope(args), platform.seal_envelope(args))
    await platform.seal_envelope(args)

    revisions = platform.db.documents[document_id].revisions
    assert [r.kind for r in revisions].count(RevisionKind.SEALED) == 1 and platform.pdf_signer.calls.count("seal") == 1
    types = audit_types(platform, envelope_id)
    assert types.count("DocumentSealed") == 1 and types.count("EnvelopeSealed") == 1


async def test_an_envelope_that_is_not_complete_is_not_sealed(platform, caller):
    envelope_id, _, _ = await sent(platform, caller, "Ada", "Bob")
    before = audit_types(platform, envelope_id)
    await platform.seal_envelope(SealEnvelopeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id))
    assert "seal" not in platform.pdf_signer.calls and audit_types(platform, envelope_id) == before


async def invitations(platform) -> dict[str, dict[str, str]]:
    await platform.dispatcher.dispatch()
    return {j.args["signer_id"]: SendNoticeJob.of(j) for j in platform.job_queue.take(SendNoticeJob.name) if j.args["kind"] == "invitation"}


async def test_an_invitation_that_came_too_late_sends_nothing_and_issues_no_link(platform, caller):
    envelope_id, _, (ada, bob) = await sent(platform, caller, "Ada", "Bob")
    queued = await invitations(platform)
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    links = len(platform.db.links)

    await platform.send_notice(queued[ada])  # Ada signed meanwhile
    await platform.void_envelope(VoidEnvelope(caller=caller, envelope_id=envelope_id, reason="Wrong file"))
    await platform.send_notice(queued[bob])  # the envelope was voided meanwhile
    assert platform.mailer.sent == [] and len(platform.db.links) == links


async def test_an_invitation_reads_the_envelope_once_in_its_turn_to_check_and_issue_the_link(platform, caller, monkeypatch):
    envelope_id, _, (ada,) = await sent(platform, caller, "Ada")
    queued = await invitations(platform)
    reads = envelopes_asked(monkeypatch, FakeEnvelopes, "get")
    held = envelopes_asked(monkeypatch, FakeEnvelopes, "hold")
    await platform.send_notice(queued[ada])

    assert [m.to for m in platform.mailer.sent] == ["ada@example.com"]
    assert reads == held == [envelope_id]  # whether it is still her turn is read with the turn held


async def test_an_invitation_carries_a_link_that_signs(platform, caller):
    envelope_id, _, (ada,) = await sent(platform, caller, "Ada")
    args = (await invitations(platform))[ada]
    await platform.send_notice(args)
    await platform.send_notice(args)  # sent again after a crash: a new link, so a Message-ID of its own

    first, again = platform.mailer.sent
    assert first.to == again.to == "ada@example.com" and first.message_id != again.message_id
    old, new = (re.search(r"https://undersign\.example/sign/(\S+)", m.text).group(1) for m in (first, again))
    with pytest.raises(LinkRevoked):
        await platform.sign(sign(old))
    assert (await platform.sign(sign(new))).envelope.status is EnvelopeStatus.COMPLETED


async def test_the_completed_copy_attaches_the_sealed_documents(platform, caller):
    await completed(platform, caller)
    [mail] = [m for m in platform.mailer.sent if m.subject.startswith("Completed")]
    assert [a.filename for a in mail.attachments] == ["lease.pdf"]
    assert mail.attachments[0].content.endswith(b"%sealed")


async def test_documents_too_large_for_a_mail_are_not_attached(platform, caller):
    envelope_id, document_id = await completed(platform, caller)
    size = platform.db.documents[document_id].current.size
    mailer = FakeMailer()
    small = SendNoticeHandler(
        platform.unit_of_work, platform.create_signing_link, mailer, JinjaNoticeTemplates(),
        public_url="https://undersign.example", max_attachment_bytes=size - 1, mail_domain="undersign.example",
    )
    ada = platform.db.envelopes[envelope_id].signers[0].id
    await small(SendNoticeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id, signer_id=ada, kind="completed",
                              event_id="e1"))

    [mail] = mailer.sent
    assert mail.attachments == () and "too large to attach" in mail.text  # documents_too_large


async def test_a_mail_server_outage_retries_the_mail_and_keeps_it_as_a_dead_letter_at_last(platform, caller):
    platform.mailer.failure = MailUnavailable("the mail server is down")
    await sent(platform, caller, "Ada")
    await platform.dispatcher.dispatch()
    [job] = [j for j in platform.job_queue.jobs if j.name == SendNoticeJob.name]

    outcome = await platform.job_runner.run(job, 1)
    assert isinstance(outcome, RetryLater) and outcome.error == "MailUnavailable: the mail server is down"
    await platform.run_background()
    letter = platform.db.dead_letters[job.id]
    assert (letter.job, letter.attempts) == (job, 10) and platform.mailer.sent == []


async def register(platform, caller, url="https://hooks.example/in", events=("envelope.sent",)):
    return await platform.webhooks.register(RegisterWebhook(caller=caller, url=url, events=list(events)))


async def delivery_args(platform, caller) -> DeliverWebhookJob:
    await sent(platform, caller, "Ada")
    await platform.dispatcher.dispatch()
    [job] = platform.job_queue.take(DeliverWebhookJob.name)
    return DeliverWebhookJob.of(job)


async def test_a_delivery_not_stored_yet_is_tried_again_later(platform, caller):
    with pytest.raises(WebhookFailed):
        await platform.deliver_webhook(DeliverWebhookJob(tenant_id=caller.tenant_id, delivery_id="msg_unknown"))
    assert platform.webhook_sender.sent == []


async def test_a_delivery_to_a_deleted_endpoint_ends_quietly_as_failed(platform, caller):
    endpoint = await register(platform, caller)
    args = await delivery_args(platform, caller)
    await platform.webhooks.delete(caller, endpoint.id)

    await platform.deliver_webhook(args)
    assert platform.webhook_sender.sent == []
    delivery = platform.db.webhook_deliveries[args.delivery_id]
    assert delivery.attempts == [] and delivery.status is DeliveryStatus.FAILED  # not pending forever


async def test_a_delivery_the_endpoint_accepted_is_not_sent_again(platform, caller):
    await register(platform, caller)
    platform.webhook_sender.refuse_first = 1
    args = await delivery_args(platform, caller)

    with pytest.raises(WebhookFailed, match="answered 500"):
        await platform.deliver_webhook(args)
    assert platform.db.webhook_deliveries[args.delivery_id].status is DeliveryStatus.PENDING
    await platform.deliver_webhook(args)
    await platform.deliver_webhook(args)

    delivery = platform.db.webhook_deliveries[args.delivery_id]
    assert delivery.status is DeliveryStatus.SUCCEEDED and [a.status_code for a in delivery.attempts] == [500, 200]
    assert [s["message_id"] for s in platform.webhook_sender.sent] == [delivery.id, delivery.id]


async def test_deliveries_are_signed_with_the_old_secret_too_while_a_rotation_overlaps(platform, caller):
    endpoint = await register(platform, caller)
    rotated = await platform.webhooks.rotate_secret(caller, endpoint.id)
    assert rotated.secret.startswith("whsec_") and rotated.previous_secret == endpoint.secret != rotated.secret
    args = await delivery_args(platform, caller)

    await platform.deliver_webhook(args)
    assert platform.webhook_sender.sent[-1]["secrets"] == [rotated.secret, endpoint.secret]
    platform.clock.advance(timedelta(hours=24))
    await platform.webhooks.redeliver(caller, endpoint.id, args.delivery_id)
    await platform.deliver_webhook(args)
    assert platform.webhook_sender.sent[-1]["secrets"] == [rotated.secret]


async def test_only_an_admin_registers_a_webhook_to_an_allowed_host_within_the_limit(platform, caller):
    sender = await platform.tenants.authenticate((await platform.tenants.create_api_key("acme", AccessRole.SENDER)).key)
    with pytest.raises(Forbidden):
        await register(platform, sender)
    platform.webhook_sender.refused_hosts.add("10.0.0.1")
    with pytest.raises(InvalidInput):
        await register(platform, caller, url="http://10.0.0.1/hook")
    assert platform.db.webhook_endpoints == {}

    for _ in range(MAX_ENDPOINTS_PER_TENANT):
        await register(platform, caller)
    with pytest.raises(InvalidInput, match="at most"):
        await register(platform, caller)
    assert len(platform.db.webhook_endpoints) == MAX_ENDPOINTS_PER_TENANT


async def test_deliveries_are_listed_newest_first_a_page_at_a_time(platform, caller):
    endpoint = await register(platform, caller)
    for _ in range(3):
        await sent(platform, caller, "Ada")
        await platform.dispatcher.dispatch()
        platform.clock.advance(timedelta(minutes=1))
    every = sorted(platform.db.webhook_deliveries.values(), key=lambda d: d.created_at, reverse=True)

    page = await platform.webhooks.deliveries(caller, endpoint.id, limit=2)
    rest = await platform.webhooks.deliveries(caller, endpoint.id, limit=2, before=page[-1].id)
    assert [d.id for d in page + rest] == [d.id for d in every] and len(rest) == 1


async def test_a_failed_delivery_can_be_redelivered(platform, caller):
    endpoint = await register(platform, caller)
    platform.webhook_sender.refuse_first = 10
    await sent(platform, caller, "Ada")
    await platform.run_background()
    [delivery] = platform.db.webhook_deliveries.values()
    assert delivery.status is DeliveryStatus.FAILED and len(delivery.attempts) == 10

    await platform.webhooks.redeliver(caller, endpoint.id, delivery.id)
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.PENDING
    [job] = platform.job_queue.jobs
    assert job.id.startswith(f"webhook:{delivery.id}:again:") and job.args["delivery_id"] == delivery.id
    await platform.run_background()
    assert platform.db.webhook_deliveries[delivery.id].status is DeliveryStatus.SUCCEEDED


async def test_only_sent_envelopes_past_their_expiry_expire_and_only_once(platform, caller):
    old, _, _ = await sent(platform, caller, "Ada")
    draft, _, _ = await envelope_with(platform, caller, "Ada")
    done, _, (ada,) = await sent(platform, caller, "Ada")
    await platform.sign(sign(await link(platform, caller, done, ada)))
    platform.clock.advance(timedelta(days=10))
    young, _, _ = await sent(platform, caller, "Ada")
    platform.clock.advance(timedelta(days=20))

    assert await platform.schedules.expire_envelopes() == 1
    assert await platform.schedules.expire_envelopes() == 0
    statuses = [platform.db.envelopes[e].status for e in (old, draft, done, young)]
    assert statuses == [EnvelopeStatus.EXPIRED, EnvelopeStatus.DRAFT, EnvelopeStatus.COMPLETED, EnvelopeStatus.SENT]
    assert audit_types(platform, old).count("EnvelopeExpired") == 1


async def test_a_signature_that_completes_the_envelope_first_beats_its_expiry(platform, caller):
    envelope_id, _, (ada,) = await sent(platform, caller, "Ada")
    platform.clock.advance(timedelta(days=29))
    token = await link(platform, caller, envelope_id, ada)
    late = FakeClock(platform.clock.now() + timedelta(days=2))

    def signing_meanwhile():
        uow = platform.unit_of_work()

        async def hold(tenant_id, envelope_id):  # the signature commits as the expiry takes its lock
            await platform.sign(sign(token))

        uow.envelopes.hold = hold
        return uow

    assert await Schedules(signing_meanwhile, late, turns=EnvelopeTurns(signing_meanwhile)).expire_envelopes() == 0
    assert platform.db.envelopes[envelope_id].status is EnvelopeStatus.COMPLETED
    assert "EnvelopeExpired" not in audit_types(platform, envelope_id)


async def test_reminders_are_counted_and_sent_once_per_cadence(platform, caller):
    tenant_id = caller.tenant_id
    platform.db.policies[tenant_id] = replace(platform.db.policies[tenant_id], reminder_days=7)
    await sent(platform, caller, "Ada", "Bob")
    await sent(platform, caller, "Cy", "Di", routing=Routing.SEQUENTIAL)  # Di's turn has not come
    platform.clock.advance(timedelta(days=7))

    assert await platform.schedules.send_reminders() == 3
    assert await platform.schedules.send_reminders() == 0
    await platform.dispatcher.dispatch()
    assert sum(j.args["kind"] == "reminder" for j in platform.job_queue.jobs if j.name == SendNoticeJob.name) == 3


async def test_dispatched_outbox_messages_are_purged_after_a_week_and_the_audit_chain_keeps_them(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    dispatched = len(platform.db.dispatched)
    assert dispatched == len(platform.db.outbox) > 0
    assert await platform.schedules.purge_outbox() == 0  # dispatched just now
    platform.clock.advance(timedelta(days=7, seconds=1))
    assert await platform.schedules.purge_outbox() == dispatched
    assert platform.db.outbox == {}
    trail = await platform.envelope_queries.audit_trail(caller, envelope_id)
    assert trail.chain_valid and len(trail.entries) > dispatched  # the unpublished events were never in the outbox
