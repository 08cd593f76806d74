"""Retention in the stores: the purge date, the purge's steps and the legal hold round trip, the due
envelopes are found a page at a time along their index, and a purged document's record stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.fakes.system import FakeBlobStore
from tests.integration.sql.helpers import (
    ACME,
    GLOBEX,
    SQL_BACKENDS,
    T0,
    Backend,
    draft,
    fetch,
    listed,
    stored,
    uploaded,
)
from tests.servers import empty_database
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.domain.document import DocumentStatus
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.policy import Policy
from undersign.domain.retention import LegalHold
from undersign.domain.signer import Role, SigningEvidence
from undersign.domain.tenant import Tenant

DAY = timedelta(days=1)


def ended(envelope_id: str, purge_after, *, tenant_id: str = ACME, **retention) -> Envelope:
    envelope = listed(envelope_id, T0, EnvelopeStatus.COMPLETED, tenant_id=tenant_id)
    envelope.purge_after = purge_after
    for name, value in retention.items():
        setattr(envelope, name, value)
    return envelope


async def test_the_retention_state_round_trips(backend: Backend, tenants: None) -> None:
    hold = LegalHold(reason="litigation — case 17", since=T0 + timedelta(microseconds=3), by="user:u1")
    await stored(backend, ended("env-1", T0 + DAY, purge_started_at=T0 + 2 * DAY, legal_hold=hold))
    envelope = await fetch(backend)
    assert envelope.purge_after == T0 + DAY and envelope.purge_started_at == T0 + 2 * DAY
    assert envelope.legal_hold == hold and envelope.purged_at is None

    async with backend.uow() as uow:  # released and purged: the columns are written back
        envelope = await uow.envelopes.get(ACME, "env-1")
        envelope.legal_hold, envelope.purged_at = None, T0 + 3 * DAY
        await uow.envelopes.save(envelope)
        await uow.commit()
    again = await fetch(backend)
    assert again.legal_hold is None and again.purged_at == T0 + 3 * DAY


async def test_the_due_envelopes_of_every_tenant_come_by_purge_date_a_page_at_a_time(backend: Backend, tenants: None) -> None:
    now = T0 + 100 * DAY
    hold = LegalHold(reason="audit", since=T0, by="user:u1")
    await stored(
        backend,
        ended("env-b", T0 + 2 * DAY),
        ended("env-a", T0 + 2 * DAY, tenant_id=GLOBEX),  # the same date: by id
        ended("env-c", T0 + DAY, purge_started_at=now - DAY),  # begun by a run cut short: still due
        ended("env-d", now),  # due at this very moment
        ended("env-later", now + timedelta(microseconds=1)),
        ended("env-held", T0, legal_hold=hold),
        ended("env-purged", T0, purge_started_at=T0 + DAY, purged_at=T0 + DAY),
        ended("env-kept", None),  # never sent with a policy: kept
    )
    async with backend.uow() as uow:
        first = await uow.envelopes.due_for_purge(now=now, after=None, limit=2)
        assert [e.id for e in first] == ["env-c", "env-a"]
        second = await uow.envelopes.due_for_purge(now=now, after=(first[-1].purge_after, first[-1].id), limit=2)
        assert [e.id for e in second] == ["env-b", "env-d"]
        last = await uow.envelopes.due_for_purge(now=now, after=(second[-1].purge_after, second[-1].id), limit=2)
        assert last == []
    assert first[0].purge_started_at == now - DAY and first[1].tenant_id == GLOBEX


async def test_a_purged_document_keeps_its_record_and_its_revisions_hashes(backend: Backend, tenants: None) -> None:
    document = uploaded()
    await stored(backend, ended("env-1", T0), documents=(document,))
    async with backend.uow() as uow:
        (loaded,) = await uow.documents.for_envelope(ACME, "env-1")
        loaded.purge()
        await uow.documents.save(loaded)
        await uow.commit()
    async with backend.uow() as uow:
        (purged,) = await uow.documents.for_envelope(ACME, "env-1")
    assert purged.status is DocumentStatus.PURGED
    assert [(r.sha256, r.size) for r in purged.revisions] == [(r.sha256, r.size) for r in document.revisions]
    assert purged.filename == document.filename


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sqlite_finds_the_due_envelopes_along_their_index(backend: Backend, tenants: None) -> None:
    async with backend.engine.connect() as connection:
        plan = (await connection.execute(text(
            "EXPLAIN QUERY PLAN SELECT id FROM envelopes WHERE purged_at IS NULL AND purge_after <= :now "
            "AND legal_hold_reason IS NULL ORDER BY purge_after, id LIMIT 100"
        ), {"now": "2030-01-01 00:00:00"})).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH envelopes USING INDEX ix_envelopes_purge (purged_at=? AND purge_after<?)" in details, details


# -- migration 0014 -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migration_0014_gives_envelopes_that_ended_before_it_their_purge_date(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    policy = Policy(id="p", tenant_id=ACME, name="short", retention_days=30)
    voided_at, completed_at = T0 + DAY + timedelta(microseconds=5), T0 + 2 * DAY + timedelta(microseconds=7)
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            backend = Backend(name, sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore()), FakeBlobStore())
            async with backend.uow() as uow:
                await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0))
                await uow.commit()
            voided, done, waiting = _sent("env-void", policy), _sent("env-done", policy), _sent("env-sent", policy)
            voided.void(reason="wrong party", now=voided_at, actor="api_key:k1")
            values = done.resolve_field_values(signer_id="s-env-done", values={}, signature_text="Ada", now=completed_at)
            done.sign(signer_id="s-env-done", field_values=values, actor="signer:s", evidence=SigningEvidence(
                at=completed_at, ip=None, user_agent=None, auth_method="link", signature_text="Ada", consent_text="ok",
            ))
            await stored(backend, voided, done, waiting)

            migrate.downgrade(url, "0013")
            migrate.upgrade(url)

            assert (await fetch(backend, "env-void")).purge_after == voided_at + 30 * DAY
            assert (await fetch(backend, "env-done")).purge_after == completed_at + 30 * DAY
            assert (await fetch(backend, "env-sent")).purge_after is None
        finally:
            await engine.dispose()


def _sent(envelope_id: str, policy: Policy) -> Envelope:
    envelope = draft(envelope_id)
    envelope.add_document(document_id=f"doc-{envelope_id}", filename="lease.pdf", now=T0, actor="api_key:k1")
    envelope.add_signer(signer_id=f"s-{envelope_id}", name="Ada", email="ada@example.com", role=Role.SIGNER,
                        routing_order=None, now=T0, actor="api_key:k1")
    envelope.send(policy=policy, now=T0, actor="api_key:k1")
    return envelope
