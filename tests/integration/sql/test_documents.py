"""Documents and their revisions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.integration.sql.helpers import ACME, GLOBEX, T0, Backend, datetimes_in, draft, stored, uploaded
from undersign.domain.document import Document, DocumentStatus, RevisionKind
from undersign.domain.errors import ConcurrencyConflict

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


async def test_sealed_documents_of_every_tenant_are_listed_whole_by_id_page_by_page(
    backend: Backend, tenants: None
) -> None:
    def document(document_id: str, tenant_id: str, envelope_id: str, *, sealed: bool) -> Document:
        found = uploaded(document_id, envelope_id, tenant_id)
        if sealed:
            found.add_revision(kind=RevisionKind.SEALED, blob_key=f"{document_id}/seal.pdf", sha256="d" * 64,
                               size=60_001, now=T0 + timedelta(minutes=2, microseconds=5))
        return found

    # Stored out of id order, so an unordered query would show it.
    d_c, d_a = document("d-c", ACME, "env-1", sealed=True), document("d-a", GLOBEX, "env-g", sealed=True)
    d_b, d_d = document("d-b", ACME, "env-1", sealed=False), document("d-d", ACME, "env-1", sealed=True)
    await stored(backend, draft(), draft("env-g", GLOBEX), documents=(d_c, d_a, d_b, d_d))

    async with backend.uow() as uow:
        assert await uow.documents.sealed(after=None, limit=10) == [d_a, d_c, d_d]
        assert await uow.documents.sealed(after=None, limit=2) == [d_a, d_c]
        assert await uow.documents.sealed(after="d-a", limit=1) == [d_c]
        assert await uow.documents.sealed(after="d-c", limit=10) == [d_d]
        assert await uow.documents.sealed(after="d-d", limit=10) == []
