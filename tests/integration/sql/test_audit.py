"""The audit chain: entries come back exactly as chained and hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes.events import AnyEvent
from tests.fakes.pdf import A4
from tests.integration.sql.helpers import ACME, T0, Backend, draft, stored
from undersign.domain.audit import AuditEntry, chain, verify_chain
from undersign.domain.events import DomainEvent
from undersign.domain.field import FieldKind, Placement
from undersign.domain.policy import default_policy
from undersign.domain.signer import Role

# -- the audit chain --------------------------------------------------------------------------


async def test_the_audit_chain_round_trips_and_verifies(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_document(document_id="doc-1", filename="Vertrag – Müller.pdf", now=T0, actor="api_key:k1")
    envelope.add_signer(signer_id="s-1", name="Zoë 山田", email="zoe@example.com", role=Role.SIGNER,
                        routing_order=None, now=T0 + timedelta(microseconds=1), actor="api_key:k1")
    envelope.place_field(field_id="f-1", document_id="doc-1", signer_id="s-1", kind=FieldKind.CHECKBOX,
                         placement=Placement(page=1, x=0.1, y=10, width=12.75, height=12), required=False,
                         pages=[A4], now=T0, actor="api_key:k1")
    expected = _chained(None, envelope.events)
    await stored(backend, envelope)

    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1")
        assert entries == expected
        assert [type(v) for v in entries[-1].data.values()] == [type(v) for v in expected[-1].data.values()]
        assert verify_chain(entries)
        assert await uow.audit.last(ACME, "env-1") == expected[-1]

        envelope = await uow.envelopes.get(ACME, "env-1")
        policy = default_policy(policy_id="p", tenant_id=ACME)
        envelope.send(policy=policy, now=T0 + timedelta(days=1), actor="api_key:k1")
        more = _chained(expected[-1], envelope.events)
        await uow.envelopes.save(envelope)
        await uow.commit()

    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1")
    assert entries == expected + more
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert verify_chain(entries)


async def test_audit_data_comes_back_exactly_as_hashed(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    data = {
        "text": "Zoë ✓ 日本語 \"quoted\" \\ back", "float": 0.1, "whole_float": 2.0, "int": 2**53 + 1,
        "negative": -7, "flag": False, "nothing": None, "nested": {"list": [1, 2.5, None, True, "x"], "empty": {}},
    }
    at = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    async with backend.uow() as uow:
        last = await uow.audit.last(ACME, "env-1")
        entry = chain(last, AnyEvent(name="Custom", envelope_id="env-1", at=at, actor="system", payload=data))
        await uow.audit.append(ACME, entry)
        await uow.commit()

    async with backend.uow() as uow:
        back = (await uow.audit.entries(ACME, "env-1"))[-1]
    assert back == entry
    assert back.at.isoformat() == at.isoformat()
    assert type(back.data["whole_float"]) is float and type(back.data["int"]) is int
    assert verify_chain(await _entries(backend))


def _chained(previous: AuditEntry | None, events: list[DomainEvent]) -> list[AuditEntry]:
    entries = []
    for event_ in events:
        previous = chain(previous, event_)
        entries.append(previous)
    return entries


async def _entries(backend: Backend) -> list[AuditEntry]:
    async with backend.uow() as uow:
        return await uow.audit.entries(ACME, "env-1")
