"""Reminders on the policy's cadence, expiry past expires_at, and the seal's event: the Envelope's rules."""

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.flows import envelope_with
from tests.unit.test_envelope import NOW, add, draft, event_types, sign
from undersign.application.background.schedules import Schedules
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.domain.envelope import EnvelopeStatus
from undersign.domain.errors import InvalidState
from undersign.domain.policy import Policy

WEEKLY = Policy(id="p1", tenant_id="t1", name="default", reminder_days=7, expiry_days=30)


def sent(policy: Policy = WEEKLY, signers: tuple[str, ...] = ("s1", "s2")):
    envelope = draft()
    for signer_id in signers:
        add(envelope, signer_id)
    envelope.send(policy=policy, now=NOW, actor="api_key:k")
    envelope.events.clear()
    return envelope


def test_the_recipient_whose_turn_it_is_gets_a_reminder_once_the_cadence_has_passed():
    envelope = sent()
    assert envelope.due_reminders(NOW + timedelta(days=7) - timedelta(seconds=1)) == []
    reminded = envelope.send_reminders(now=NOW + timedelta(days=7), actor="system")
    assert [s.id for s in reminded] == ["s1"]  # s2 waits for s1: not their turn
    assert event_types(envelope) == ["SignerReminded"]
    assert envelope.events[0].data == {"signer_id": "s1"}


def test_the_next_reminder_counts_from_the_last_one():
    envelope = sent()
    envelope.send_reminders(now=NOW + timedelta(days=7), actor="system")
    assert envelope.send_reminders(now=NOW + timedelta(days=13), actor="system") == []
    assert [s.id for s in envelope.send_reminders(now=NOW + timedelta(days=14), actor="system")] == ["s1"]


def test_a_recipient_whose_turn_came_later_is_reminded_from_when_it_came():
    envelope = sent()
    sign(envelope, "s1", at=NOW + timedelta(days=5))
    assert [s.id for s in envelope.due_reminders(NOW + timedelta(days=11))] == []
    assert [s.id for s in envelope.due_reminders(NOW + timedelta(days=12))] == ["s2"]


def test_no_reminders_when_the_policy_sends_none_or_the_envelope_is_not_waiting():
    quiet = sent(replace(WEEKLY, reminder_days=0))
    assert quiet.send_reminders(now=NOW + timedelta(days=20), actor="system") == []
    voided = sent()
    voided.void(reason="wrong file", now=NOW, actor="api_key:k")
    assert voided.due_reminders(NOW + timedelta(days=8)) == []
    # Past expiry nobody is reminded: the envelope is about to expire instead.
    assert sent().due_reminders(NOW + timedelta(days=30)) == []


def test_an_envelope_expires_only_once_its_expiry_has_passed():
    envelope = sent()
    with pytest.raises(InvalidState, match="not reached its expiry"):
        envelope.expire(now=NOW + timedelta(days=30) - timedelta(microseconds=1), actor="system")
    envelope.expire(now=NOW + timedelta(days=30), actor="system")
    assert envelope.status is EnvelopeStatus.EXPIRED
    assert event_types(envelope) == ["EnvelopeExpired"]
    with pytest.raises(InvalidState):
        envelope.check_can_act(signer_id="s1", now=NOW + timedelta(days=31))


def test_a_completed_envelope_does_not_expire():
    envelope = sent(signers=("s1",))
    sign(envelope, "s1")
    assert not envelope.is_past_expiry(NOW + timedelta(days=60))
    with pytest.raises(InvalidState, match="only a sent envelope expires"):
        envelope.expire(now=NOW + timedelta(days=60), actor="system")


def test_the_seal_is_recorded_only_on_a_completed_envelope():
    envelope = sent(signers=("s1",))
    with pytest.raises(InvalidState):
        envelope.record_sealed(now=NOW, actor="system")
    sign(envelope, "s1")
    envelope.record_sealed(now=NOW, actor="system")
    assert envelope.events[-1].type == "EnvelopeSealed"
    assert envelope.events[-1].data == {"document_ids": ["d1"]}


def test_notified_at_is_when_the_turn_came():
    envelope = sent()
    assert envelope.signer("s1").notified_at == NOW
    assert envelope.signer("s2").notified_at is None


# -- the sweeps, on fakes: each envelope held by its own tenant and id, each act by the system ----------


def holding(platform, held: list):
    """A unit-of-work factory that notes which envelope each unit of work holds."""

    def factory():
        uow = platform.unit_of_work()

        async def hold(tenant_id, envelope_id):
            held.append((tenant_id, envelope_id))

        uow.envelopes.hold = hold
        return uow

    return factory


async def test_reminders_and_expiry_hold_the_envelope_and_are_the_systems_acts(platform, caller):
    platform.db.policies[caller.tenant_id] = replace(platform.db.policies[caller.tenant_id], reminder_days=7)
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    held: list = []
    schedules = Schedules(holding(platform, held), platform.clock, turns=EnvelopeTurns(holding(platform, held)))

    platform.clock.advance(timedelta(days=7))
    assert await schedules.send_reminders() == 1
    platform.clock.advance(timedelta(days=30))
    assert await schedules.expire_envelopes() == 1

    assert held == [(caller.tenant_id, envelope_id)] * 2
    trail = (await platform.envelope_queries.audit_trail(caller, envelope_id)).entries
    assert [(e.type, e.actor) for e in trail if e.type in ("SignerReminded", "EnvelopeExpired")] == [
        ("SignerReminded", "system"), ("EnvelopeExpired", "system")
    ]
