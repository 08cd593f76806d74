"""Steps for the notices of a decline or a void: the recipients' emails and the sender's webhook (on fakes)."""

from __future__ import annotations

import json

from pytest_bdd import given, parsers, then

from tests.bdd.steps.background_steps import mails_to, settle
from tests.bdd.steps.lifecycle_steps import World, add_recipient
from undersign.domain.signer import Role


@given(parsers.parse('"{name}" receives a copy in routing order {order:d}'))
def a_copy_in_order(world: World, run, name: str, order: int) -> None:
    add_recipient(world, run, name, Role.CC, order)


def the_one_mail(world: World, run, name: str, subject: str):
    settle(world, run)
    found = mails_to(world, name, subject)
    assert len(found) == 1, (subject, [m.subject for m in mails_to(world, name)])
    return found[0]


@then(parsers.parse('"{name}" is emailed "{subject}", naming "{decliner}" and the reason "{reason}"'))
def emailed_decline(world: World, run, name: str, subject: str, decliner: str, reason: str) -> None:
    mail = the_one_mail(world, run, name, subject)
    for body in (mail.text, mail.html):
        assert f"declined by {decliner}" in body and reason in body, body


@then(parsers.parse('"{name}" is emailed "{subject}", with the reason "{reason}"'))
def emailed_void(world: World, run, name: str, subject: str, reason: str) -> None:
    mail = the_one_mail(world, run, name, subject)
    for body in (mail.text, mail.html):
        assert "withdrew" in body and reason in body, body


def delivered(world: World, run, event: str) -> list[dict]:
    settle(world, run)
    bodies = [json.loads(s["body"]) for s in world.platform.webhook_sender.sent if s["status_code"] == 200]
    return [b for b in bodies if b["type"] == event]


@then(parsers.parse('the sender\'s system hears that "{name}" declined because "{reason}"'))
def webhook_decline(world: World, run, name: str, reason: str) -> None:
    (body,) = delivered(world, run, "recipient.declined")
    data = body["data"]
    assert (data["envelope_id"], data["signer_id"], data["reason"]) == (world.envelope_id, world.signers[name], reason)


@then(parsers.parse('the sender\'s system hears that the envelope was voided because "{reason}"'))
def webhook_void(world: World, run, reason: str) -> None:
    (body,) = delivered(world, run, "envelope.voided")
    assert (body["data"]["envelope_id"], body["data"]["reason"]) == (world.envelope_id, reason)
