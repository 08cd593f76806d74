"""Steps for what happens after a click: emails, reminders, expiry, webhooks (use cases on fakes).

The platform's background work (outbox dispatch, jobs, the schedule) runs when a step
lets it: `settle` runs everything due, letting the clock run on to retries that wait.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import timedelta

from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.lifecycle_steps import World, tenant_with_key
from undersign.adapters.webhooks.sender import HttpWebhookSender
from undersign.application.signing.sign import Sign
from undersign.application.webhooks.endpoints import RegisterWebhook
from undersign.domain.webhook import DeliveryStatus

SIGNING_LINK = re.compile(r"/sign/(\S+)")


def settle(world: World, run) -> None:
    run(world.platform.run_background())


def mails_to(world: World, name: str, subject: str | None = None):
    address = f"{name.lower()}@example.com"
    return [m for m in world.platform.mailer.sent if m.to == address and (subject is None or m.subject == subject)]


def _set_policy(world: World, **changes) -> None:
    policies = world.platform.db.policies
    policies[world.caller.tenant_id] = replace(policies[world.caller.tenant_id], **changes)


# -- the tenant ---------------------------------------------------------------------------------


@given(parsers.parse('a tenant "{slug}" whose policy sends reminders every {days:d} days'))
def tenant_with_reminders(world: World, run, slug: str, days: int) -> None:
    tenant_with_key(world, run, slug)
    _set_policy(world, reminder_days=days)


@given(parsers.parse('a tenant "{slug}" whose envelopes expire after {days:d} days'))
def tenant_with_expiry(world: World, run, slug: str, days: int) -> None:
    tenant_with_key(world, run, slug)
    _set_policy(world, expiry_days=days)


# -- time -----------------------------------------------------------------------------------------


@when(parsers.re(r"(?P<days>\d+) (more )?days? pass(es)?"), converters={"days": int})
def days_pass(world: World, run, days: int) -> None:
    settle(world, run)  # what was due before time moves on
    for _ in range(days):  # the schedule runs at least daily
        world.platform.clock.advance(timedelta(days=1))
        settle(world, run)


# -- email ----------------------------------------------------------------------------------------


@then(parsers.parse('"{name}" has received an email "{subject}" with a signing link'))
def received_link(world: World, run, name: str, subject: str) -> None:
    settle(world, run)
    found = mails_to(world, name, subject)
    assert found, [m.subject for m in mails_to(world, name)]
    assert SIGNING_LINK.search(found[-1].text) and SIGNING_LINK.search(found[-1].html)


@then(parsers.parse('"{name}" has received an email "{subject}" with the sealed document attached'))
def received_sealed_copy(world: World, run, name: str, subject: str) -> None:
    settle(world, run)
    (mail,) = mails_to(world, name, subject)
    (attachment,) = mail.attachments
    (document,) = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))[1]
    assert attachment.filename == document.filename
    assert attachment.content == world.platform.blob_store.blobs[document.current.blob_key]
    assert document.status.value == "sealed"


@then(parsers.parse('"{name}" has received an email "{subject}"'))
def received(world: World, run, name: str, subject: str) -> None:
    settle(world, run)
    assert len(mails_to(world, name, subject)) == 1, [m.subject for m in mails_to(world, name)]


@then(parsers.parse('"{name}" has received no email "{subject}"'))
def not_received(world: World, run, name: str, subject: str) -> None:
    settle(world, run)
    assert mails_to(world, name, subject) == []


@then(parsers.parse('"{name}" has received no email'))
def no_email(world: World, run, name: str) -> None:
    settle(world, run)
    assert mails_to(world, name) == []


@then(parsers.parse('"{name}" has received no reminder'))
def no_reminder(world: World, run, name: str) -> None:
    settle(world, run)
    assert [m for m in mails_to(world, name) if m.subject.startswith("Reminder:")] == []


@then(parsers.parse('"{name}" has received {count:d} reminders'))
def reminders(world: World, run, name: str, count: int) -> None:
    settle(world, run)
    assert len([m for m in mails_to(world, name) if m.subject.startswith("Reminder:")]) == count


@when(parsers.parse('"{name}" signs through the link in her latest email'))
@when(parsers.parse('"{name}" signs through the link in his latest email'))
def signs_from_email(world: World, run, name: str) -> None:
    settle(world, run)
    latest = mails_to(world, name)[-1]
    token = SIGNING_LINK.search(latest.text).group(1)
    run(world.platform.sign(Sign(token=token, field_values={}, signature_text=name, consent=True)))


@then("the audit trail records that the envelope expired")
def audit_expired(world: World, run) -> None:
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    (expired,) = [e for e in trail.entries if e.type == "EnvelopeExpired"]
    assert expired.actor == "system"


# -- webhooks -------------------------------------------------------------------------------------


@given(parsers.parse('the tenant has a webhook endpoint for "{first}" and "{second}"'))
def webhook_endpoint(world: World, run, first: str, second: str) -> None:
    command = RegisterWebhook(caller=world.caller, url="https://hooks.acme.example/undersign", events=[first, second])
    world.webhook = run(world.platform.webhooks.register(command))


@given(parsers.parse("the endpoint refuses its first {count:d} deliveries"))
def endpoint_refuses_first(world: World, count: int) -> None:
    world.platform.webhook_sender.refuse_first = count


@given("the endpoint refuses every delivery")
def endpoint_refuses_all(world: World) -> None:
    world.platform.webhook_sender.refuse_first = 10**6


@when("the endpoint accepts deliveries again")
def endpoint_accepts(world: World) -> None:
    world.platform.webhook_sender.refuse_first = 0


def accepted_events(world: World) -> list[tuple[str, str]]:
    bodies = [json.loads(s["body"]) for s in world.platform.webhook_sender.sent if s["status_code"] == 200]
    return [(b["type"], b["data"]["envelope_id"]) for b in bodies]


@then(parsers.parse('the endpoint has received "{first}" and "{second}" for the envelope'))
def received_both(world: World, run, first: str, second: str) -> None:
    settle(world, run)
    assert accepted_events(world) == [(first, world.envelope_id), (second, world.envelope_id)]


@then(parsers.parse('the endpoint has received "{event}" for the envelope'))
def received_one(world: World, run, event: str) -> None:
    settle(world, run)
    assert (event, world.envelope_id) in accepted_events(world)


@then("the endpoint has received nothing")
def received_nothing(world: World, run) -> None:
    settle(world, run)
    assert world.platform.webhook_sender.sent == []


@then("every delivery is signed with the endpoint's secret")
def signed_with_secret(world: World, run) -> None:
    """What goes on the wire is what the real sender (HttpWebhookSender) makes of what the platform handed the
    fake one; each signature is checked as Standard Webhooks tells a receiver to: HMAC-SHA256, keyed with the
    endpoint's secret (base64 after "whsec_"), over "<webhook-id>.<webhook-timestamp>.<body>", base64 after "v1,"."""
    sent = world.platform.webhook_sender.sent
    assert sent
    key = base64.b64decode(world.webhook.secret.removeprefix("whsec_"))
    deliveries = {d.id: d for d in run(world.platform.webhooks.deliveries(world.caller, world.webhook.id, limit=100))}
    for post in sent:
        headers = HttpWebhookSender(allow_private=False)._headers(
            secrets=post["secrets"], message_id=post["message_id"], at=post["at"], body=post["body"]
        )
        delivery = deliveries[headers["webhook-id"]]  # the delivery's own id, as receivers deduplicate by it
        assert json.loads(post["body"]) == delivery.payload
        assert int(headers["webhook-timestamp"]) in [int(a.at.timestamp()) for a in delivery.attempts]
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + post["body"]
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert expected in headers["webhook-signature"].split(" "), (expected, headers["webhook-signature"])


def delivery_of(world: World, run, event: str):
    deliveries = run(world.platform.webhooks.deliveries(world.caller, world.webhook.id, limit=100))
    (delivery,) = [d for d in deliveries if d.event_type == event]
    return delivery


@then(parsers.parse('the delivery log of "{event}" shows {refused:d} refused attempts and then {accepted:d} accepted'))
def delivery_log(world: World, run, event: str, refused: int, accepted: int) -> None:
    delivery = delivery_of(world, run, event)
    assert [a.status_code for a in delivery.attempts] == [500] * refused + [200] * accepted
    assert delivery.status is DeliveryStatus.SUCCEEDED


@then(parsers.parse('the delivery of "{event}" has failed after {count:d} attempts'))
def delivery_failed(world: World, run, event: str, count: int) -> None:
    settle(world, run)
    delivery = delivery_of(world, run, event)
    assert len(delivery.attempts) == count and not any(a.succeeded for a in delivery.attempts)
    assert delivery.status is DeliveryStatus.FAILED


@then("the operator sees it among the failed jobs")
def among_dead_letters(world: World, run) -> None:
    letters = run(world.platform.dead_letters.list())
    assert [(d.job.name, d.attempts) for d in letters] == [("deliver_webhook", 10), ("deliver_webhook", 10)]


@when(parsers.parse('the tenant redelivers "{event}"'))
def redeliver(world: World, run, event: str) -> None:
    delivery = delivery_of(world, run, event)
    run(world.platform.webhooks.redeliver(world.caller, world.webhook.id, delivery.id))

