"""Domain events are typed, and each produces exactly the data the audit chain has always hashed."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from undersign.domain.events import EVENTS, DomainEvent, EnvelopeCompleted, EnvelopeSealed, SignerApproved, SignerSigned

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_events_data_is_its_own_fields_as_plain_json_values() -> None:
    signed = SignerSigned(
        envelope_id="e1", at=AT, actor="signer:s1", signer_id="s1", ip="203.0.113.9", user_agent=None,
        auth_method="link", signature_text="Ada", certificate_serials=("12", "34"), fields={"f1": "Ada", "f2": None},
    )
    # The stored form every existing chain was hashed over: lists, not tuples; no envelope, time or actor.
    assert signed.type == "SignerSigned"
    assert signed.data == {
        "signer_id": "s1", "ip": "203.0.113.9", "user_agent": None, "auth_method": "link", "signature_text": "Ada",
        "certificate_serials": ["12", "34"], "fields": {"f1": "Ada", "f2": None},
    }
    assert EnvelopeSealed(envelope_id="e1", at=AT, actor="system", document_ids=("d1",)).data == {"document_ids": ["d1"]}
    assert EnvelopeCompleted(envelope_id="e1", at=AT, actor="system").data == {}


def test_an_approval_is_its_own_kind_of_event_with_a_signatures_facts() -> None:
    assert SignerApproved.__name__ in EVENTS and SignerApproved.webhook == "recipient.approved"
    assert [f.name for f in fields(SignerApproved)] == [f.name for f in fields(SignerSigned)]


def test_every_kind_is_known_by_its_stored_name() -> None:
    assert all(EVENTS[name].__name__ == name and issubclass(EVENTS[name], DomainEvent) for name in EVENTS)
    published = [event.webhook for event in EVENTS.values() if event.webhook]
    assert len(published) == len(set(published))  # one event per public name
