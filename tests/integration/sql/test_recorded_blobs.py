"""The blobs the records name (adapters/sql/recorded_blobs.py), on every backend: paged by key in
Python's order (mixed case included), one tenant or all, certificates with revisions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from tests.fakes.storage import FakeRecordedBlobs
from tests.integration.sql.helpers import ACME, GLOBEX, T0, Backend, draft, random_ids, stored, uploaded
from undersign.adapters.sql.recorded_blobs import SqlRecordedBlobs
from undersign.application.storage.ports import RecordedBlob, RecordedBlobs
from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import EnvelopeStatus


def records(backend: Backend) -> RecordedBlobs:
    if backend.engine is None:
        return FakeRecordedBlobs(backend.db)
    return SqlRecordedBlobs(async_sessionmaker(backend.engine, expire_on_commit=False))


async def recorded_documents(backend: Backend) -> list[RecordedBlob]:
    """Documents in two tenants, ids of mixed case (`aB` sorts before `Ab` by byte in no database's
    default collation), each with two revisions; and one certificate of completion."""
    expected = []
    documents = []
    for n, document_id in enumerate(["aB", "Ab", "ab", *random_ids(7)]):
        tenant_id = (ACME, GLOBEX)[n % 2]
        document = uploaded(document_id, envelope_id=f"env-{tenant_id}", tenant_id=tenant_id)
        document.add_revision(
            kind=RevisionKind.SIGNED, blob_key=f"{tenant_id}/{document_id}/0002.pdf", sha256=f"{n:064x}",
            size=n + 1, now=T0 + timedelta(minutes=1),
        )
        documents.append(document)
        expected += [
            RecordedBlob(key=r.blob_key, sha256=r.sha256, size=r.size, tenant_id=tenant_id) for r in document.revisions
        ]
    envelopes = [draft(f"env-{tenant_id}", tenant_id=tenant_id) for tenant_id in (ACME, GLOBEX)]
    await stored(backend, *envelopes, documents=tuple(documents))
    certificate = StoredCertificate(
        blob_key=f"{ACME}/envelopes/env-x/certificate-of-completion-Z.pdf", sha256="cd" * 32, size=77, made_at=T0
    )
    async with backend.uow() as uow:
        envelope = await uow.envelopes.get(ACME, f"env-{ACME}")
        envelope.status = EnvelopeStatus.COMPLETED
        envelope.record_completion_certificate(certificate, actor="system")
        await uow.envelopes.save(envelope)
        await uow.commit()
    expected.append(RecordedBlob(key=certificate.blob_key, sha256=certificate.sha256, size=77, tenant_id=ACME))
    return sorted(expected, key=lambda blob: blob.key)


async def every_page(blobs: RecordedBlobs, tenant_id: str | None, limit: int) -> list[RecordedBlob]:
    found, after = [], None
    while page := await blobs.page(tenant_id, after=after, limit=limit):
        assert len(page) <= limit
        found += page
        after = page[-1].key
    return found


async def test_pages_by_key_give_every_blob_once_in_pythons_order(backend: Backend, tenants: None) -> None:
    expected = await recorded_documents(backend)
    blobs = records(backend)

    for limit in (1, 3, 100):
        assert await every_page(blobs, None, limit) == expected
    assert await blobs.count(None) == len(expected) == 21


async def test_one_tenants_blobs_alone(backend: Backend, tenants: None) -> None:
    expected = await recorded_documents(backend)
    blobs = records(backend)

    for tenant_id in (ACME, GLOBEX):
        mine = [b for b in expected if b.tenant_id == tenant_id]
        assert await every_page(blobs, tenant_id, 4) == mine and await blobs.count(tenant_id) == len(mine)
    assert await blobs.count("tenant-nobody") == 0 and await blobs.page("tenant-nobody", after=None, limit=5) == []


async def test_known_keys_are_those_a_record_names_byte_for_byte(backend: Backend, tenants: None) -> None:
    expected = await recorded_documents(backend)
    keys = [b.key for b in expected]

    known = await records(backend).known([keys[0], keys[-1], keys[0].upper(), "tenant-acme/none.pdf"])

    assert known == {keys[0], keys[-1]}  # a key that differs only in case is not a record's
    assert await records(backend).known([]) == set()
