"""The persistence contract: one suite, run against the fakes and against each SQL backend.

A backend is a unit-of-work factory over an empty, migrated database: a SQLite file, or a
fresh database (dropped afterwards) on the session's PostgreSQL or MariaDB server
(tests/conftest.py starts them, or takes their URLs from the environment).
"""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakes.access import FakeIdempotencyKeys
from tests.fakes.database import FakeDatabase
from tests.fakes.events import AnyEvent
from tests.fakes.pdf import A4
from tests.fakes.platform import FakePlatform
from tests.fakes.system import FakeBlobStore
from tests.fakes.unit_of_work import FakeUnitOfWork
from tests.servers import empty_database
from undersign.adapters.sql import migrate
from undersign.adapters.sql.engine import create_engine, create_session_factory
from undersign.adapters.sql.idempotency_keys import SqlIdempotencyKeys
from undersign.adapters.sql.tables import Base
from undersign.adapters.sql.unit_of_work import sql_unit_of_work_factory
from undersign.application.access.ports import IdempotencyKeys, IdempotencyRecord, StoredResponse
from undersign.application.background.ports import DeadLetter
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.documents import AddDocument
from undersign.application.envelopes.fields import PlaceField
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.envelopes.recipients import AddSigner
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.envelopes.signing_links import CreateSigningLink
from undersign.application.shared.jobs import Job
from undersign.application.shared.outbox import OutboxMessage
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.application.signing.sign import Sign
from undersign.domain.audit import AuditEntry, chain, verify_chain
from undersign.domain.document import Document, DocumentStatus, RevisionKind
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.events import DomainEvent
from undersign.domain.field import FieldKind, PageSize, Placement
from undersign.domain.policy import Policy, Routing, SignatureLevel, SignerAuth, default_policy
from undersign.domain.signer import Role, Signer, SigningEvidence
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.tenant import ApiKey, ApiKeyRole, Tenant
from undersign.domain.webhook import DeliveryStatus, WebhookDelivery, WebhookEndpoint

SQL_BACKENDS = ["sqlite", "postgresql", "mariadb"]
BACKENDS = ["fake", *SQL_BACKENDS]

T0 = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
ACME, GLOBEX = "tenant-acme", "tenant-globex"


@dataclass
class Backend:
    name: str
    uow: Callable[[], UnitOfWork]
    blobs: FakeBlobStore
    engine: AsyncEngine | None = None  # SQL backends only


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    blobs = FakeBlobStore()
    if request.param == "fake":
        db = FakeDatabase()
        yield Backend("fake", lambda: FakeUnitOfWork(db, blobs), blobs)
        return
    async with empty_database(request.param, request, tmp_path) as url:
        migrate.upgrade(url)  # from inside a running event loop, as an async CLI command would
        engine = create_engine(url)
        try:
            yield Backend(request.param, sql_unit_of_work_factory(create_session_factory(engine), blobs), blobs, engine)
        finally:
            await engine.dispose()


@pytest.fixture
async def tenants(backend: Backend) -> None:
    """Two tenants, each with its default policy (SQL rows refer to their tenant)."""
    async with backend.uow() as uow:
        for tenant_id in (ACME, GLOBEX):
            await uow.tenants.add(Tenant(id=tenant_id, slug=tenant_id.removeprefix("tenant-"), created_at=T0))
            await uow.policies.add(default_policy(policy_id=f"policy-{tenant_id}", tenant_id=tenant_id))
        await uow.commit()


# -- building aggregates --------------------------------------------------------------------


def draft(envelope_id: str = "env-1", tenant_id: str = ACME, now: datetime = T0) -> Envelope:
    return Envelope.create(
        envelope_id=envelope_id, tenant_id=tenant_id, subject="Lease — 3rd floor", message="Please sign.",
        routing=Routing.SEQUENTIAL, now=now, actor="api_key:k1",
    )


def uploaded(document_id: str = "doc-1", envelope_id: str = "env-1", tenant_id: str = ACME) -> Document:
    return Document.upload(
        document_id=document_id, tenant_id=tenant_id, envelope_id=envelope_id, filename="lease (final).pdf",
        pages=[A4, PageSize(width=612.5, height=792)], blob_key=f"{tenant_id}/{document_id}/0001.pdf",
        sha256="a" * 64, size=48_213, now=T0,
    )


def listed(envelope_id: str, created_at: datetime, status: EnvelopeStatus, tenant_id: str = ACME) -> Envelope:
    return Envelope(
        id=envelope_id, tenant_id=tenant_id, subject=f"Envelope {envelope_id}", message="", routing=Routing.PARALLEL,
        created_at=created_at, status=status, updated_at=created_at,
    )


async def stored(backend: Backend, *envelopes: Envelope, documents: tuple[Document, ...] = ()) -> None:
    async with backend.uow() as uow:
        for envelope in envelopes:
            await uow.envelopes.add(envelope)
        for document in documents:
            await uow.documents.add(document)
        await uow.commit()


async def fetch(backend: Backend, envelope_id: str = "env-1", tenant_id: str = ACME) -> Envelope | None:
    async with backend.uow() as uow:
        return await uow.envelopes.get(tenant_id, envelope_id)


def datetimes_in(value: Any) -> list[datetime]:
    """Every datetime anywhere inside a domain object."""
    if isinstance(value, datetime):
        return [value]
    if is_dataclass(value):
        return [d for f in fields(value) if f.compare for d in datetimes_in(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [d for item in value for d in datetimes_in(item)]
    return []


# -- envelopes ------------------------------------------------------------------------------


async def test_a_full_envelope_round_trips(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    async with backend.uow() as uow:  # edited as a draft: new signers and fields are inserted
        envelope = await uow.envelopes.get(ACME, "env-1")
        assert envelope is not None
        envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
        for signer_id, name, role in (("s-ada", "Ada Lovelace", Role.SIGNER), ("s-bob", "Bob Ø", Role.APPROVER),
                                      ("s-cc", "Carol", Role.CC)):
            envelope.add_signer(signer_id=signer_id, name=name, email=f"{signer_id}@example.com", role=role,
                                routing_order=None, now=T0, actor="api_key:k1")
        for field_id, kind, x in (("f-sig", FieldKind.SIGNATURE, 50.25), ("f-text", FieldKind.TEXT, 300),
                                  ("f-box", FieldKind.CHECKBOX, 10.5)):
            envelope.place_field(field_id=field_id, document_id="doc-1", signer_id="s-ada", kind=kind,
                                 placement=Placement(page=2, x=x, y=700.125, width=40, height=20),
                                 required=kind is not FieldKind.TEXT, pages=[A4, A4], now=T0, actor="api_key:k1")
        await uow.envelopes.save(envelope)
        await uow.commit()

    policy = Policy(id="policy-strict", tenant_id=ACME, name="Strict", version=3,
                    signature_level=SignatureLevel.PADES_B_LTA, signer_auth=SignerAuth.EMAIL_OTP,
                    routing_default=Routing.PARALLEL, expiry_days=14, reminder_days=2, retention_days=4000,
                    decline_allowed=False, consent_text="J'accepte — 同意します")
    sent_at, signed_at = T0 + timedelta(minutes=5, microseconds=1), T0 + timedelta(hours=2, microseconds=999_999)
    async with backend.uow() as uow:  # sent and signed: existing signer and field rows are updated
        envelope = await uow.envelopes.get(ACME, "env-1")
        assert envelope is not None
        envelope.send(policy=policy, now=sent_at, actor="api_key:k1")
        values = envelope.resolve_field_values(signer_id="s-ada", values={"f-text": "ACME Ltd", "f-box": True},
                                               signature_text="Ada Lovelace", now=signed_at)
        evidence = SigningEvidence(at=signed_at, ip="2001:db8::1", user_agent="Mozilla/5.0 (X11) ✓",
                                   auth_method="link", signature_text="Ada Lovelace",
                                   consent_text=policy.consent_text, certificate_serials=("1f", "20"))
        envelope.sign(signer_id="s-ada", field_values=values, evidence=evidence, actor="signer:s-ada")
        reminded_at = signed_at + timedelta(days=2, microseconds=5)
        envelope.signer("s-bob").remind(reminded_at)
        await uow.envelopes.save(envelope)
        await uow.commit()

    loaded = await fetch(backend)
    assert loaded == envelope
    assert loaded.version == 2
    assert loaded.policy == policy
    assert [s.id for s in loaded.signers] == ["s-ada", "s-bob", "s-cc"]
    assert loaded.signer("s-ada").evidence == evidence
    assert {f.id: f.value for f in loaded.fields} == {"f-sig": "Ada Lovelace", "f-text": "ACME Ltd", "f-box": "true"}
    moments = datetimes_in(loaded)
    assert len(moments) == 9  # created, updated, sent, expires, acted, evidence, notified twice, reminded
    assert all(moment.utcoffset() == timedelta(0) for moment in moments)
    assert loaded.sent_at == sent_at and loaded.signer("s-ada").acted_at == signed_at
    assert [(s.notified_at, s.reminded_at) for s in loaded.signers] == [
        (sent_at, None), (signed_at, reminded_at), (None, None)
    ]


async def test_adding_and_saving_in_one_unit_of_work(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        envelope = draft()
        await uow.envelopes.add(envelope)
        envelope.add_signer(signer_id="s-1", name="Ada", email="ada@example.com", role=Role.SIGNER,
                            routing_order=None, now=T0, actor="api_key:k1")
        await uow.envelopes.save(envelope)
        await uow.commit()

    assert await fetch(backend) == envelope
    assert envelope.version == 1


async def test_another_tenants_envelope_is_not_there(backend: Backend, tenants: None) -> None:
    await stored(backend, draft(), documents=(uploaded(),))

    assert await fetch(backend, tenant_id=GLOBEX) is None
    async with backend.uow() as uow:
        assert await uow.documents.get(GLOBEX, "doc-1") is None
        assert await uow.documents.for_envelope(GLOBEX, "env-1") == []
        assert await uow.envelopes.list(GLOBEX, where=EnvelopeFilter(), limit=10, after=None) == []
        assert await uow.audit.entries(GLOBEX, "env-1") == []
        assert await uow.audit.entries(ACME, "env-1") != []
        assert await uow.envelopes.tenant_of("env-1") == ACME
        assert await uow.envelopes.tenant_of("env-unknown") is None


async def test_a_stale_save_is_a_conflict(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as slow:
            stale = await slow.envelopes.get(ACME, "env-1")
            async with backend.uow() as fast:
                fresh = await fast.envelopes.get(ACME, "env-1")
                fresh.add_document(document_id="doc-fast", filename="a.pdf", now=T0, actor="api_key:k1")
                await fast.envelopes.save(fresh)
                await fast.commit()
            stale.add_document(document_id="doc-slow", filename="b.pdf", now=T0, actor="api_key:k1")
            await slow.envelopes.save(stale)
            await slow.commit()

    assert (await fetch(backend)).document_ids == ["doc-fast"]


async def test_of_two_writers_racing_from_the_same_version_exactly_one_wins(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    both_read = asyncio.Barrier(2)

    async def add_signer(signer_id: str) -> str:
        try:
            async with backend.uow() as uow:
                envelope = await uow.envelopes.get(ACME, "env-1")
                await both_read.wait()
                envelope.add_signer(signer_id=signer_id, name=signer_id, email=f"{signer_id}@example.com",
                                    role=Role.SIGNER, routing_order=None, now=T0, actor="api_key:k1")
                await uow.envelopes.save(envelope)
                await uow.commit()
            return signer_id
        except ConcurrencyConflict:
            return "lost"

    results = await asyncio.wait_for(asyncio.gather(add_signer("s-a"), add_signer("s-b")), timeout=30)

    assert sorted(results) in (["lost", "s-a"], ["lost", "s-b"])
    winner = next(r for r in results if r != "lost")
    envelope = await fetch(backend)
    assert [s.id for s in envelope.signers] == [winner]
    assert envelope.version == 1
    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1")
    assert [e.type for e in entries] == ["EnvelopeCreated", "SignerAdded"] and verify_chain(entries)


async def test_a_unit_of_work_that_does_not_commit_leaves_nothing(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.blobs.put("acme/doc-1/0001.pdf", b"%PDF-1.7")
        await uow.envelopes.add(draft())
        await uow.documents.add(uploaded())

    with pytest.raises(RuntimeError):
        async with backend.uow() as uow:
            await uow.blobs.put("acme/doc-2/0001.pdf", b"%PDF-1.7")
            await uow.envelopes.add(draft("env-2"))
            raise RuntimeError("the PDF signer fell over")

    assert backend.blobs.blobs == {}
    assert await fetch(backend) is None and await fetch(backend, "env-2") is None
    async with backend.uow() as uow:
        assert await uow.documents.get(ACME, "doc-1") is None
        assert await uow.audit.entries(ACME, "env-1") == []


async def test_reading_holds_no_lock_that_blocks_a_writer(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())

    async with backend.uow() as reader:
        before = await reader.envelopes.get(ACME, "env-1")

        async def write() -> None:
            async with backend.uow() as writer:
                envelope = await writer.envelopes.get(ACME, "env-1")
                envelope.add_document(document_id="doc-1", filename="a.pdf", now=T0, actor="api_key:k1")
                await writer.envelopes.save(envelope)
                # And a writer in the middle of its transaction does not block readers either.
                async with backend.uow() as another_reader:
                    assert (await another_reader.envelopes.get(ACME, "env-1")).version == 0
                await writer.commit()

        await asyncio.wait_for(write(), timeout=5)
        assert before.version == 0
        assert (await reader.envelopes.get(ACME, "env-1")).version == 1


# -- listing --------------------------------------------------------------------------------


def _random_ids(count: int) -> list[str]:
    rng = random.Random(20260301)
    return ["".join(rng.choices(string.ascii_letters + string.digits + "-_", k=12)) for _ in range(count)]


@pytest.fixture
async def twenty_five(backend: Backend, tenants: None) -> list[Envelope]:
    """25 envelopes of ACME, 20 of them created at the same instant, one in three sent."""
    ids = _random_ids(25)
    moments = [T0] * 20 + [T0 - timedelta(microseconds=1), T0 + timedelta(microseconds=1),
                           T0 - timedelta(days=1), T0 + timedelta(days=3), T0 + timedelta(seconds=1)]
    envelopes = [
        listed(envelope_id, moment, EnvelopeStatus.SENT if i % 3 == 0 else EnvelopeStatus.DRAFT)
        for i, (envelope_id, moment) in enumerate(zip(ids, moments, strict=True))
    ]
    others = [listed(f"globex-{i}", T0, EnvelopeStatus.SENT, tenant_id=GLOBEX) for i in range(3)]
    await stored(backend, *envelopes[::2], *others, *envelopes[1::2])
    return sorted(envelopes, key=lambda e: (e.created_at, e.id), reverse=True)


async def _all_pages(backend: Backend, *, status: EnvelopeStatus | None, limit: int) -> list[list[str]]:
    pages, after = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(status=status), limit=limit, after=after)
        if not page:
            return pages
        pages.append([e.id for e in page])
        after = EnvelopeCursor(created_at=page[-1].created_at, id=page[-1].id)


async def test_keyset_pages_return_every_envelope_once_newest_first(
    backend: Backend, twenty_five: list[Envelope]
) -> None:
    pages = await _all_pages(backend, status=None, limit=7)

    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [i for page in pages for i in page] == [e.id for e in twenty_five]


async def test_listing_filters_by_status(backend: Backend, twenty_five: list[Envelope]) -> None:
    pages = await _all_pages(backend, status=EnvelopeStatus.SENT, limit=4)

    sent = [e.id for e in twenty_five if e.status is EnvelopeStatus.SENT]
    assert len(sent) == 9
    assert [i for page in pages for i in page] == sent
    async with backend.uow() as uow:
        assert await uow.envelopes.list(ACME, where=EnvelopeFilter(status=EnvelopeStatus.VOIDED), limit=10, after=None) == []


async def test_listed_envelopes_are_whole(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_signer(signer_id="s-1", name="Ada", email="ada@example.com", role=Role.SIGNER,
                        routing_order=None, now=T0, actor="api_key:k1")
    await stored(backend, envelope, draft("env-2", now=T0 + timedelta(seconds=1)))

    async with backend.uow() as uow:
        page = await uow.envelopes.list(ACME, where=EnvelopeFilter(), limit=10, after=None)

    assert [e.id for e in page] == ["env-2", "env-1"]
    assert page[1] == envelope


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_a_page_is_loaded_in_a_bounded_number_of_queries(backend: Backend, twenty_five: list[Envelope]) -> None:
    assert backend.engine is not None
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(backend.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(), limit=25, after=None)
    finally:
        event.remove(backend.engine.sync_engine, "before_cursor_execute", count)

    assert len(page) == 25
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


# -- documents ------------------------------------------------------------------------------


async def test_documents_round_trip_with_their_revisions(backend: Backend, tenants: None) -> None:
    document = uploaded()
    await stored(backend, draft(), documents=(document, uploaded("doc-2")))

    async with backend.uow() as uow:
        assert await uow.documents.get(ACME, "doc-1") == document
        loaded = await uow.documents.get(ACME, "doc-1")
        loaded.add_revision(kind=RevisionKind.PREPARED, blob_key="k2", sha256="b" * 64, size=50_000,
                            now=T0 + timedelta(microseconds=7))
        loaded.add_revision(kind=RevisionKind.SIGNED, blob_key="k3", sha256="c" * 64, size=2**33,
                            now=T0 + timedelta(seconds=1), signer_id="s-ada")
        await uow.documents.save(loaded)
        await uow.commit()

    async with backend.uow() as uow:
        again = await uow.documents.get(ACME, "doc-1")
        assert again == loaded
        assert [r.number for r in again.revisions] == [1, 2, 3]
        again.add_revision(kind=RevisionKind.SEALED, blob_key="k4", sha256="d" * 64, size=51_000, now=T0)
        again.legal_hold = True
        await uow.documents.save(again)
        await uow.commit()

    async with backend.uow() as uow:
        documents = await uow.documents.for_envelope(ACME, "env-1")
    assert [d.id for d in documents] == ["doc-1", "doc-2"]
    assert documents[0] == again
    assert documents[0].status is DocumentStatus.SEALED and documents[0].legal_hold
    assert all(d.utcoffset() == timedelta(0) for d in datetimes_in(documents))


async def test_two_writers_adding_the_same_revision_number_conflict(backend: Backend, tenants: None) -> None:
    await stored(backend, draft(), documents=(uploaded(),))
    both_read = asyncio.Barrier(2)

    async def sign(blob_key: str) -> str:
        try:
            async with backend.uow() as uow:
                document = await uow.documents.get(ACME, "doc-1")
                await both_read.wait()
                document.add_revision(kind=RevisionKind.SIGNED, blob_key=blob_key, sha256="e" * 64, size=1, now=T0)
                await uow.documents.save(document)
                await uow.commit()
            return blob_key
        except ConcurrencyConflict:
            return "lost"

    results = await asyncio.wait_for(asyncio.gather(sign("k-a"), sign("k-b")), timeout=30)

    assert sorted(results) in (["k-a", "lost"], ["k-b", "lost"])
    async with backend.uow() as uow:
        document = await uow.documents.get(ACME, "doc-1")
    assert [r.blob_key for r in document.revisions][1:] == [r for r in results if r != "lost"]


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


# -- links, tenants, keys, policies -------------------------------------------------------------


async def test_a_signing_link_is_found_by_its_token_hash(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    link = SigningLink(id="link-1", tenant_id=ACME, envelope_id="env-1", signer_id="s-1", token_hash="f" * 64,
                       created_at=T0, expires_at=T0 + timedelta(days=7))
    async with backend.uow() as uow:
        await uow.signing_links.add(link)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.signing_links.by_token_hash("f" * 64) == link
        assert await uow.signing_links.by_token_hash("0" * 64) is None


async def test_revoking_reaches_the_recipients_links_of_the_channels_named_only(backend: Backend, tenants: None) -> None:
    await stored(backend, draft())
    links = [
        SigningLink(id=f"link-{n}", tenant_id=ACME, envelope_id="env-1", signer_id=signer, token_hash=str(n) * 64,
                    created_at=T0, expires_at=T0 + timedelta(days=7), channel=channel)
        for n, (signer, channel) in enumerate(
            (("s-1", LinkChannel.EMAIL), ("s-1", LinkChannel.EMAIL), ("s-1", LinkChannel.API), ("s-2", LinkChannel.EMAIL))
        )
    ]
    async with backend.uow() as uow:
        for link in links:
            await uow.signing_links.add(link)
        await uow.commit()

    async with backend.uow() as uow:
        await uow.signing_links.revoke(ACME, "env-1", "s-1", channels=frozenset({LinkChannel.EMAIL}), at=T0 + timedelta(hours=1))
        await uow.commit()

    async with backend.uow() as uow:
        found = [await uow.signing_links.by_token_hash(str(n) * 64) for n in range(4)]
    assert [link.revoked_at for link in found] == [T0 + timedelta(hours=1)] * 2 + [None, None]  # type: ignore[union-attr]
    assert [link.channel for link in found] == [link.channel for link in links]  # type: ignore[union-attr]


async def test_tenants_are_found_by_slug_and_slugs_are_unique(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        assert await uow.tenants.by_slug("acme") == Tenant(id=ACME, slug="acme", created_at=T0)
        assert await uow.tenants.by_slug("initech") is None

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.tenants.add(Tenant(id="tenant-other", slug="acme", created_at=T0))
            await uow.commit()


async def test_tenants_are_found_by_id_with_their_sender_name(backend: Backend, tenants: None) -> None:
    initech = Tenant(id="tenant-initech", slug="initech", created_at=T0, sender_name="Initech — Signatures « Paris »")
    async with backend.uow() as uow:
        await uow.tenants.add(initech)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.tenants.get("tenant-initech") == initech
        assert await uow.tenants.by_slug("initech") == initech
        assert await uow.tenants.get(ACME) == Tenant(id=ACME, slug="acme", created_at=T0)
        assert await uow.tenants.get("tenant-unknown") is None
        assert await uow.tenants.get("initech") is None  # a slug is not an id


async def test_api_keys_are_found_by_id(backend: Backend, tenants: None) -> None:
    active = ApiKey(id="key-1", tenant_id=ACME, role=ApiKeyRole.SENDER, secret_hash="9" * 64, created_at=T0)
    revoked = ApiKey(id="key-2", tenant_id=GLOBEX, role=ApiKeyRole.VIEWER, secret_hash="8" * 64, created_at=T0,
                     revoked_at=T0 + timedelta(days=1, microseconds=3))
    async with backend.uow() as uow:
        await uow.api_keys.add(active)
        await uow.api_keys.add(revoked)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.api_keys.get("key-1") == active
        assert await uow.api_keys.get("key-2") == revoked
        assert await uow.api_keys.get("key-3") is None


async def test_the_policy_added_last_is_the_tenants_default(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        assert await uow.policies.default_for(ACME) == default_policy(policy_id=f"policy-{ACME}", tenant_id=ACME)
        assert await uow.policies.default_for("tenant-unknown") is None

    stricter = Policy(id="policy-2", tenant_id=ACME, name="Stricter", version=2,
                      signature_level=SignatureLevel.PADES_B_LT, signer_auth=SignerAuth.ACCESS_CODE,
                      routing_default=Routing.PARALLEL, expiry_days=7, reminder_days=1, retention_days=365,
                      decline_allowed=False, consent_text="Custom consent")
    async with backend.uow() as uow:
        await uow.policies.add(stricter)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.policies.default_for(ACME) == stricter
        assert (await uow.policies.default_for(GLOBEX)).id == f"policy-{GLOBEX}"


# -- the use cases over each backend --------------------------------------------------------------


class PlatformOn(FakePlatform):
    """Every use case wired as in the fakes, but on this backend's units of work."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        super().__init__()
        self.blob_store = backend.blobs

    def unit_of_work(self) -> UnitOfWork:  # type: ignore[override]
        return self._backend.uow()


async def test_parallel_signers_signing_at_once_all_get_their_signature_in(backend: Backend) -> None:
    platform = PlatformOn(backend)
    await platform.tenants.create("acme")
    caller = await platform.tenants.authenticate((await platform.tenants.create_api_key("acme", ApiKeyRole.ADMIN)).key)
    envelope = await platform.create_envelope(CreateEnvelope(caller=caller, subject="NDA", routing=Routing.PARALLEL))
    document = await platform.add_document(
        AddDocument(caller=caller, envelope_id=envelope.id, filename="nda.pdf", content=b"%PDF-1.7 pages=1")
    )
    signer_ids = []
    for name in ("Ada", "Bob", "Cy"):
        signer = await platform.add_signer(
            AddSigner(caller=caller, envelope_id=envelope.id, name=name, email=f"{name.lower()}@example.com")
        )
        await platform.place_field(
            PlaceField(caller=caller, envelope_id=envelope.id, document_id=document.id, signer_id=signer.id,
                       kind=FieldKind.SIGNATURE, placement=Placement(page=1, x=50, y=700, width=150, height=40))
        )
        signer_ids.append(signer.id)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope.id))
    links = [CreateSigningLink(caller=caller, envelope_id=envelope.id, signer_id=s) for s in signer_ids]
    tokens = [(await platform.create_signing_link(link)).token for link in links]

    await asyncio.wait_for(
        asyncio.gather(*(
            platform.sign(Sign(token=token, field_values={}, signature_text=f"Signer {i}", consent=True))
            for i, token in enumerate(tokens)
        )),
        timeout=60,
    )
    # The seal is a job, which the completion's outbox message sets in motion.
    while await platform.dispatcher.dispatch():
        pass
    seal_jobs = platform.job_queue.take(SealEnvelopeJob.name)
    assert [job.args for job in seal_jobs] == [{"tenant_id": caller.tenant_id, "envelope_id": envelope.id}]
    await platform.seal_envelope(SealEnvelopeJob.of(seal_jobs[0]))

    envelope, documents = await platform.envelope_queries.get(caller, envelope.id)
    assert envelope.status is EnvelopeStatus.COMPLETED
    assert [r.kind for r in documents[0].revisions] == [
        RevisionKind.ORIGINAL, RevisionKind.PREPARED, RevisionKind.SIGNED, RevisionKind.SIGNED, RevisionKind.SIGNED,
        RevisionKind.SEALED,
    ]
    assert set(backend.blobs.blobs) == {r.blob_key for r in documents[0].revisions}
    trail = await platform.envelope_queries.audit_trail(caller, envelope.id)
    assert trail.chain_valid
    assert sum(e.type == "SignerSigned" for e in trail.entries) == 3


# -- migrations ---------------------------------------------------------------------------------


APP_TABLES = {
    "tenants", "api_keys", "policies", "envelopes", "signers", "fields", "documents", "document_revisions",
    "audit_events", "signing_links", "idempotency_keys", "outbox", "jobs", "dead_letters", "webhook_endpoints",
    "webhook_deliveries", "webhook_attempts",
}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migrations_upgrade_downgrade_and_upgrade_again(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        assert migrate.current(url) is None

        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
        assert await _tables(url) == APP_TABLES | {"alembic_version"}

        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        assert await _tables(url) == {"alembic_version"}

        migrate.upgrade(url)
        assert migrate.current(url) == migrate.head()
        assert await _tables(url) == APP_TABLES | {"alembic_version"}


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_the_migrated_schema_is_the_one_the_row_classes_describe(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        assert await _schema_differences(url) == []

        migrate.downgrade(url, "base")
        assert migrate.current(url) is None
        assert await _schema_differences(url) != []

        migrate.upgrade(url)
        assert await _schema_differences(url) == []


async def _schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()


# -- listing with filters -------------------------------------------------------------------


def _with_recipients(envelope: Envelope, *recipients: tuple[str, Role]) -> Envelope:
    for n, (email, role) in enumerate(recipients, start=1):
        envelope.signers.append(
            Signer(id=f"{envelope.id}-s{n}", name=email.split("@")[0].title(), email=email, role=role, routing_order=n)
        )
    return envelope


@pytest.fixture
async def thirty(backend: Backend, tenants: None) -> list[Envelope]:
    """30 envelopes of ACME over three days, two at each instant, with ada, bob and carol among
    their recipients in different roles; GLOBEX has envelopes for ada too. Newest first."""
    envelopes = []
    for i, envelope_id in enumerate(_random_ids(30)):
        recipients = []
        if i % 2 == 0:
            recipients.append(("ada@example.com", Role.SIGNER))
        if i % 3 == 0:
            recipients.append(("bob@example.com", Role.APPROVER))
        if i % 5 == 0:
            recipients.append(("carol@example.com", Role.CC))
        status = EnvelopeStatus.SENT if i % 4 == 0 else EnvelopeStatus.DRAFT
        envelopes.append(_with_recipients(listed(envelope_id, T0 + timedelta(hours=5 * (i // 2)), status), *recipients))
    others = [
        _with_recipients(listed(f"globex-{i}", T0 + timedelta(hours=i), EnvelopeStatus.SENT, tenant_id=GLOBEX),
                         ("ada@example.com", Role.SIGNER))
        for i in range(3)
    ]
    await stored(backend, *envelopes[1::2], *others, *envelopes[::2])
    return sorted(envelopes, key=lambda e: (e.created_at, e.id), reverse=True)


async def _pages(backend: Backend, limit: int, after: EnvelopeCursor | None = None, **filters: Any) -> list[list[str]]:
    pages = []
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.list(ACME, where=EnvelopeFilter(**filters), limit=limit, after=after)
        if not page:
            return pages
        pages.append([e.id for e in page])
        after = EnvelopeCursor(created_at=page[-1].created_at, id=page[-1].id)


def _ids(pages: list[list[str]]) -> list[str]:
    return [i for page in pages for i in page]


async def test_listing_filters_by_any_recipients_email(backend: Backend, thirty: list[Envelope]) -> None:
    for email in ("ada@example.com", "bob@example.com", "carol@example.com"):
        expected = [e.id for e in thirty if any(s.email == email for s in e.signers)]

        assert _ids(await _pages(backend, 4, signer_email=email)) == expected

    assert await _pages(backend, 4, signer_email="nobody@example.com") == []


async def test_listing_filters_by_creation_time_from_inclusive_to_exclusive(
    backend: Backend, thirty: list[Envelope]
) -> None:
    start, end = T0 + timedelta(hours=10), T0 + timedelta(hours=40)  # both instants of two envelopes
    expected = [e.id for e in thirty if start <= e.created_at < end]
    assert len(expected) == 12

    assert _ids(await _pages(backend, 5, created_after=start, created_before=end)) == expected
    paris = timezone(timedelta(hours=2))  # the same instants, written with another offset
    assert _ids(await _pages(backend, 5, created_after=start.astimezone(paris), created_before=end.astimezone(paris))) == expected
    assert _ids(await _pages(backend, 5, created_before=T0 + timedelta(microseconds=1))) == [e.id for e in thirty[-2:]]
    assert await _pages(backend, 5, created_after=end, created_before=start) == []


async def test_listing_filters_combine(backend: Backend, thirty: list[Envelope]) -> None:
    start = T0 + timedelta(hours=15)
    expected = [
        e.id for e in thirty
        if e.status is EnvelopeStatus.SENT and e.created_at >= start and any(s.email == "ada@example.com" for s in e.signers)
    ]
    assert len(expected) == 6

    pages = await _pages(backend, 4, status=EnvelopeStatus.SENT, created_after=start, signer_email="ada@example.com")

    assert [len(p) for p in pages] == [4, 2]
    assert _ids(pages) == expected


async def test_a_cursor_from_other_filters_still_continues_from_its_position(
    backend: Backend, thirty: list[Envelope]
) -> None:
    async with backend.uow() as uow:
        first = await uow.envelopes.list(ACME, where=EnvelopeFilter(status=EnvelopeStatus.SENT), limit=3, after=None)
    cursor = EnvelopeCursor(created_at=first[-1].created_at, id=first[-1].id)
    ada = [e for e in thirty if any(s.email == "ada@example.com" for s in e.signers)]

    continued = _ids(await _pages(backend, 4, after=cursor, signer_email="ada@example.com"))

    assert continued == [e.id for e in ada if (e.created_at, e.id) < (cursor.created_at, cursor.id)]
    # Another tenant's position only says where to start: ACME's envelopes are all that come back.
    globex = EnvelopeCursor(created_at=T0 + timedelta(hours=2), id="globex-2")
    assert _ids(await _pages(backend, 10, after=globex)) == [e.id for e in thirty if e.created_at < globex.created_at]


# -- idempotency keys -----------------------------------------------------------------------


@pytest.fixture
def idempotency_keys(backend: Backend, tenants: None) -> IdempotencyKeys:
    """The port over the backend's database: not part of a unit of work, each call commits itself."""
    if backend.engine is None:
        return FakeIdempotencyKeys()
    return SqlIdempotencyKeys(create_session_factory(backend.engine))


def _record(
    key: str = "key-1", tenant_id: str = ACME, claim: str = "claim-1", at: datetime = T0, credential_id: str = "apikey-1"
) -> IdempotencyRecord:
    return IdempotencyRecord(
        tenant_id=tenant_id, credential_id=credential_id, key=key, fingerprint="f" * 64, claim=claim,
        created_at=at, expires_at=at + timedelta(hours=24),
    )


async def test_an_idempotency_record_round_trips_with_its_response(idempotency_keys: IdempotencyKeys) -> None:
    record = _record(key="Key/With~Symbols_" + "k" * 238)  # the longest key there is
    assert await idempotency_keys.add(record)
    assert await idempotency_keys.get(ACME, "apikey-1", record.key) == record

    body = b'{"id":"env-1","subject":"Lease \xe2\x80\x94 3rd floor"}' + bytes(range(256)) * 300  # beyond 64 KB
    done = replace(record, response=StoredResponse(status=201, headers={"content-type": "application/json", "etag": '"env-1-0"'}, body=body))
    assert await idempotency_keys.replace(done, held_by=record.claim)

    assert await idempotency_keys.get(ACME, "apikey-1", record.key) == done


async def test_a_tenant_holds_each_idempotency_key_once(idempotency_keys: IdempotencyKeys) -> None:
    assert await idempotency_keys.add(_record())
    assert not await idempotency_keys.add(_record(claim="claim-2"))
    assert (await idempotency_keys.get(ACME, "apikey-1", "key-1")).claim == "claim-1"  # type: ignore[union-attr]

    assert await idempotency_keys.add(_record(tenant_id=GLOBEX, claim="claim-3"))  # keys are per tenant
    assert await idempotency_keys.get(GLOBEX, "apikey-1", "key-1") == _record(tenant_id=GLOBEX, claim="claim-3")
    assert await idempotency_keys.get(ACME, "apikey-1", "KEY-1") is None  # and compared byte by byte

    # ... and per API key: another key of the tenant has a record of its own under the same name.
    assert await idempotency_keys.get(ACME, "apikey-2", "key-1") is None
    assert await idempotency_keys.add(_record(credential_id="apikey-2", claim="claim-4"))
    assert (await idempotency_keys.get(ACME, "apikey-2", "key-1")).claim == "claim-4"  # type: ignore[union-attr]
    assert (await idempotency_keys.get(ACME, "apikey-1", "key-1")).claim == "claim-1"  # type: ignore[union-attr]


async def test_only_the_holder_of_an_idempotency_claim_replaces_or_deletes_it(idempotency_keys: IdempotencyKeys) -> None:
    await idempotency_keys.add(_record())
    takeover = _record(claim="claim-2", at=T0 + timedelta(minutes=10))

    assert not await idempotency_keys.replace(takeover, held_by="claim-x")
    assert await idempotency_keys.replace(takeover, held_by="claim-1")
    assert not await idempotency_keys.replace(_record(claim="claim-3"), held_by="claim-1")  # lost: claim-2 has it
    await idempotency_keys.delete(ACME, "apikey-1", "key-1", held_by="claim-1")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") == takeover

    await idempotency_keys.delete(ACME, "apikey-1", "key-1", held_by="claim-2")
    assert await idempotency_keys.get(ACME, "apikey-1", "key-1") is None


async def test_purging_removes_a_tenants_expired_idempotency_keys_only(idempotency_keys: IdempotencyKeys) -> None:
    for n, hours in enumerate((0, 1, 2)):
        await idempotency_keys.add(_record(key=f"key-{n}", at=T0 + timedelta(hours=hours)))
    await idempotency_keys.add(_record(tenant_id=GLOBEX))

    assert await idempotency_keys.purge(ACME, expired_at=T0 + timedelta(hours=25)) == 2  # expiring at 24 h and 25 h

    assert [await idempotency_keys.get(ACME, "apikey-1", f"key-{n}") is None for n in range(3)] == [True, True, False]
    assert await idempotency_keys.get(GLOBEX, "apikey-1", "key-1") is not None


async def test_concurrent_claims_of_one_idempotency_key_leave_exactly_one_winner(
    idempotency_keys: IdempotencyKeys,
) -> None:
    results = await asyncio.gather(*(idempotency_keys.add(_record(claim=f"claim-{n}")) for n in range(6)))

    assert sorted(results) == [False] * 5 + [True]
    winner = await idempotency_keys.get(ACME, "apikey-1", "key-1")
    assert winner is not None and winner.claim == f"claim-{results.index(True)}"


# -- migration 0002 -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migration_0002_downgrades_and_upgrades_with_recipients_kept(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            backend = Backend(name, sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore()), FakeBlobStore())
            async with backend.uow() as uow:
                await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0))
                await uow.commit()
            await stored(backend, _with_recipients(draft(), ("ada@example.com", Role.SIGNER)))

            migrate.downgrade(url, "0001")
            assert "idempotency_keys" not in await _tables(url)
            migrate.upgrade(url)

            async with backend.uow() as uow:
                page = await uow.envelopes.list(ACME, where=EnvelopeFilter(signer_email="ada@example.com"), limit=5, after=None)
            assert [s.email for e in page for s in e.signers] == ["ada@example.com"]
        finally:
            await engine.dispose()


# -- envelopes waiting for their recipients -------------------------------------------------------


async def test_waiting_envelopes_are_every_tenants_sent_ones_by_id(backend: Backend, tenants: None) -> None:
    statuses = [EnvelopeStatus.SENT, EnvelopeStatus.DRAFT, EnvelopeStatus.COMPLETED, EnvelopeStatus.SENT,
                EnvelopeStatus.VOIDED, EnvelopeStatus.EXPIRED, EnvelopeStatus.DECLINED]
    envelopes = [
        _with_recipients(listed(envelope_id, T0 + timedelta(minutes=i), statuses[i % len(statuses)],
                                tenant_id=ACME if i % 2 else GLOBEX), ("ada@example.com", Role.SIGNER))
        for i, envelope_id in enumerate(_random_ids(20))
    ]
    await stored(backend, *envelopes)
    sent = sorted((e for e in envelopes if e.status is EnvelopeStatus.SENT), key=lambda e: e.id)
    assert len(sent) == 6 and {e.tenant_id for e in sent} == {ACME, GLOBEX}

    pages, after = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.envelopes.waiting(after=after, limit=4)
        if not page:
            break
        pages.append(page)
        after = page[-1].id

    assert [len(p) for p in pages] == [4, 2]
    assert [e for page in pages for e in page] == sent  # whole envelopes, recipients included


# -- the outbox -----------------------------------------------------------------------------------


def _message(message_id: str, at: datetime, tenant_id: str = ACME, **data: Any) -> OutboxMessage:
    return OutboxMessage(
        id=message_id, tenant_id=tenant_id, envelope_id=message_id.split(":")[0], type="SignerNotified", at=at,
        actor="system", data=data,
    )


async def test_committing_writes_one_outbox_message_per_audit_entry(backend: Backend, tenants: None) -> None:
    envelope = draft()
    envelope.add_signer(signer_id="s-1", name="Zoë", email="zoe@example.com", role=Role.SIGNER, routing_order=None,
                        now=T0 + timedelta(microseconds=1), actor="api_key:k1")
    await stored(backend, envelope, draft("env-2", tenant_id=GLOBEX, now=T0 + timedelta(seconds=1)))
    async with backend.uow() as uow:  # not committed: nothing is announced
        await uow.envelopes.add(draft("env-3"))

    async with backend.uow() as uow:
        entries = await uow.audit.entries(ACME, "env-1") + await uow.audit.entries(GLOBEX, "env-2")
        pending = await uow.outbox.pending(10)

    assert [m.id for m in pending] == ["env-1:1", "env-1:2", "env-2:1"]
    assert pending == [
        OutboxMessage(id=f"{e.envelope_id}:{e.seq}", tenant_id=ACME if e.envelope_id == "env-1" else GLOBEX,
                      envelope_id=e.envelope_id, type=e.type, at=e.at, actor=e.actor, data=e.data)
        for e in entries
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


# -- webhooks -------------------------------------------------------------------------------------


def _endpoint(endpoint_id: str, tenant_id: str = ACME, created_at: datetime = T0) -> WebhookEndpoint:
    return WebhookEndpoint.register(
        endpoint_id=endpoint_id, tenant_id=tenant_id, url="https://hooks.example.com/undersign?source=é&x=" + "q" * 1900,
        events=["recipient.signed", "envelope.sent", "envelope.completed"], secret=f"whsec_{endpoint_id}-secret",
        description="CRM sync — « prod »", now=created_at,
    )


async def test_webhook_endpoints_round_trip_oldest_first_per_tenant(backend: Backend, tenants: None) -> None:
    endpoints = [_endpoint("wh-b", created_at=T0), _endpoint("wh-c", created_at=T0 - timedelta(microseconds=1)),
                 _endpoint("wh-a", created_at=T0), _endpoint("wh-globex", tenant_id=GLOBEX)]
    async with backend.uow() as uow:
        for endpoint in endpoints:
            await uow.webhook_endpoints.add(endpoint)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_endpoints.for_tenant(ACME) == [endpoints[1], endpoints[2], endpoints[0]]
        assert await uow.webhook_endpoints.for_tenant(GLOBEX) == [endpoints[3]]
        assert await uow.webhook_endpoints.get(ACME, "wh-a") == endpoints[2]
        assert await uow.webhook_endpoints.get(GLOBEX, "wh-a") is None
        assert await uow.webhook_endpoints.get(ACME, "wh-globex") is None

    async with backend.uow() as uow:
        rotated = await uow.webhook_endpoints.get(ACME, "wh-a")
        rotated.rotate_secret(new_secret="whsec_new", now=T0 + timedelta(days=1, microseconds=3), overlap=timedelta(hours=24))
        await uow.webhook_endpoints.save(rotated)
        await uow.webhook_endpoints.delete(GLOBEX, "wh-b")  # another tenant's: nothing happens
        await uow.commit()

    async with backend.uow() as uow:
        loaded = await uow.webhook_endpoints.get(ACME, "wh-a")
        assert loaded == rotated
        assert loaded.previous_secret == "whsec_wh-a-secret"
        assert loaded.previous_secret_until == T0 + timedelta(days=2, microseconds=3)
        assert loaded.previous_secret_until.utcoffset() == timedelta(0)
        assert loaded.events == frozenset({"recipient.signed", "envelope.sent", "envelope.completed"})
        assert await uow.webhook_endpoints.get(ACME, "wh-b") == endpoints[0]
        await uow.webhook_endpoints.delete(ACME, "wh-b")
        await uow.commit()

    async with backend.uow() as uow:
        assert [e.id for e in await uow.webhook_endpoints.for_tenant(ACME)] == ["wh-c", "wh-a"]
        assert await uow.webhook_endpoints.get(ACME, "wh-b") is None


def _delivery(
    delivery_id: str, endpoint_id: str = "wh-1", tenant_id: str = ACME, subject: str = "signed", created_at: datetime = T0
) -> WebhookDelivery:
    payload = {"type": "recipient.signed", "timestamp": T0.isoformat(),
               "data": {"envelope_id": "env-1", "signer_id": "s-1", "note": subject}}
    return WebhookDelivery(id=delivery_id, tenant_id=tenant_id, endpoint_id=endpoint_id, event_type="recipient.signed",
                           payload=payload, created_at=created_at)


async def test_a_delivery_round_trips_with_its_attempts(backend: Backend, tenants: None) -> None:
    delivery = _delivery("msg_1")
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(delivery)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == delivery
        assert await uow.webhook_deliveries.get(GLOBEX, "msg_1") is None
        loaded = await uow.webhook_deliveries.get(ACME, "msg_1")
        loaded.record_attempt(at=T0 + timedelta(seconds=1, microseconds=1), status_code=None,
                              error="connection refused — 127.0.0.1", duration_ms=3)
        loaded.record_attempt(at=T0 + timedelta(seconds=30), status_code=503, error=None, duration_ms=15_000)
        await uow.webhook_deliveries.save(loaded)
        await uow.commit()

    async with backend.uow() as uow:
        again = await uow.webhook_deliveries.get(ACME, "msg_1")
        assert again == loaded
        again.record_attempt(at=T0 + timedelta(minutes=5), status_code=204, error=None, duration_ms=40)
        await uow.webhook_deliveries.save(again)
        await uow.commit()

    async with backend.uow() as uow:
        final = await uow.webhook_deliveries.get(ACME, "msg_1")
    assert final == again
    assert final.status is DeliveryStatus.SUCCEEDED
    assert [(a.number, a.status_code) for a in final.attempts] == [(1, None), (2, 503), (3, 204)]
    assert all(d.utcoffset() == timedelta(0) for d in datetimes_in(final))

    async with backend.uow() as uow:  # a status change alone, on a delivery not read in this unit of work
        final.redeliver()
        await uow.webhook_deliveries.save(final)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == final
        assert final.status is DeliveryStatus.PENDING and len(final.attempts) == 3


async def test_adding_a_delivery_again_keeps_the_first(backend: Backend, tenants: None) -> None:
    first = _delivery("msg_1")
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(first)
        await uow.webhook_deliveries.add(_delivery("msg_1", subject="same unit of work"))
        await uow.commit()

    async with backend.uow() as uow:  # a repeated dispatch
        await uow.webhook_deliveries.add(_delivery("msg_1", subject="repeated"))
        await uow.webhook_deliveries.add(_delivery("msg_2"))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.get(ACME, "msg_1") == first
        assert await uow.webhook_deliveries.get(ACME, "msg_2") == _delivery("msg_2")


async def test_two_workers_recording_the_same_attempt_conflict(backend: Backend, tenants: None) -> None:
    async with backend.uow() as uow:
        await uow.webhook_deliveries.add(_delivery("msg_1"))
        await uow.commit()
    both_read = asyncio.Barrier(2)

    async def attempt(status_code: int) -> int:
        try:
            async with backend.uow() as uow:
                delivery = await uow.webhook_deliveries.get(ACME, "msg_1")
                await both_read.wait()
                delivery.record_attempt(at=T0, status_code=status_code, error=None, duration_ms=1)
                await uow.webhook_deliveries.save(delivery)
                await uow.commit()
            return status_code
        except ConcurrencyConflict:
            return 0

    results = await asyncio.wait_for(asyncio.gather(attempt(500), attempt(502)), timeout=30)

    assert sorted(results) in ([0, 500], [0, 502])
    async with backend.uow() as uow:
        delivery = await uow.webhook_deliveries.get(ACME, "msg_1")
    assert [(a.number, a.status_code) for a in delivery.attempts] == [(1, max(results))]


async def test_an_endpoints_deliveries_page_newest_first_then_by_id(backend: Backend, tenants: None) -> None:
    ids = _random_ids(11)
    # Delivery ids are hashes, not times: the order is by creation, ids only break ties.
    created = {delivery_id: T0 + timedelta(minutes=n % 3) for n, delivery_id in enumerate(ids[:7])}
    async with backend.uow() as uow:
        await uow.webhook_endpoints.add(_endpoint("wh-1"))
        for delivery_id in ids[:7]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, created_at=created[delivery_id]))
        for delivery_id in ids[7:9]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, endpoint_id="wh-2"))
        for delivery_id in ids[9:]:
            await uow.webhook_deliveries.add(_delivery(delivery_id, tenant_id=GLOBEX))
        await uow.commit()
    async with backend.uow() as uow:  # deliveries outlive their endpoint
        await uow.webhook_endpoints.delete(ACME, "wh-1")
        await uow.commit()

    pages, before = [], None
    while True:
        async with backend.uow() as uow:
            page = await uow.webhook_deliveries.for_endpoint(ACME, "wh-1", limit=3, before=before)
        if not page:
            break
        pages.append([d.id for d in page])
        before = page[-1].id

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == sorted(ids[:7], key=lambda i: (created[i], i), reverse=True)
    async with backend.uow() as uow:
        assert await uow.webhook_deliveries.for_endpoint(GLOBEX, "wh-1", limit=10, before=None) == [
            _delivery(i, tenant_id=GLOBEX) for i in sorted(ids[9:], reverse=True)
        ]
        assert await uow.webhook_deliveries.for_endpoint(GLOBEX, "wh-2", limit=10, before=None) == []


# -- migration 0003 -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_BACKENDS)
async def test_migration_0003_gives_waiting_recipients_the_time_their_turn_came(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sent_at, signed_at = T0 + timedelta(minutes=5, microseconds=7), T0 + timedelta(days=1, microseconds=9)
    async with empty_database(name, request, tmp_path) as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            backend = Backend(name, sql_unit_of_work_factory(create_session_factory(engine), FakeBlobStore()), FakeBlobStore())
            async with backend.uow() as uow:
                await uow.tenants.add(Tenant(id=ACME, slug="acme", created_at=T0, sender_name="Acme"))
                await uow.commit()
            envelope = draft()
            envelope.add_document(document_id="doc-1", filename="lease.pdf", now=T0, actor="api_key:k1")
            for signer_id in ("s-ada", "s-bob", "s-cy"):
                envelope.add_signer(signer_id=signer_id, name=signer_id, email=f"{signer_id}@example.com",
                                    role=Role.SIGNER, routing_order=None, now=T0, actor="api_key:k1")
            envelope.send(policy=default_policy(policy_id="p", tenant_id=ACME), now=sent_at, actor="api_key:k1")
            values = envelope.resolve_field_values(signer_id="s-ada", values={}, signature_text="Ada", now=signed_at)
            envelope.sign(signer_id="s-ada", field_values=values, actor="signer:s-ada", evidence=SigningEvidence(
                at=signed_at, ip=None, user_agent=None, auth_method="link", signature_text="Ada", consent_text="ok",
                certificate_serials=("1",),
            ))
            await stored(backend, envelope, _with_recipients(draft("env-draft"), ("dan@example.com", Role.SIGNER)))
            before = await fetch(backend)
            assert [s.notified_at for s in before.signers] == [sent_at, signed_at, None]

            migrate.downgrade(url, "0002")
            migrate.upgrade(url)

            after = await fetch(backend)
            assert after == before
            assert (await fetch(backend, "env-draft")).signers[0].notified_at is None
            async with backend.uow() as uow:
                assert await uow.tenants.get(ACME) == Tenant(id=ACME, slug="acme", created_at=T0)  # the column was dropped
        finally:
            await engine.dispose()
