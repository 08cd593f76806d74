"""Storing a new revision of a document: the blob first, then its record."""

from __future__ import annotations

import hashlib
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from undersign.application.shared.ports import BlobStore, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.domain.document import Document, Revision, RevisionKind


def revision_file(blobs: BlobStore, revision: Revision) -> AbstractAsyncContextManager[str]:
    """The revision's PDF as a local file, checked against the SHA-256 recorded for it."""
    return blobs.local_file(revision.blob_key, revision.sha256)


async def revision_bytes(blobs: BlobStore, revision: Revision) -> bytes:
    """The revision's PDF, checked against the SHA-256 recorded for it (small documents only)."""
    return await blobs.get(revision.blob_key, revision.sha256)


def blob_key(tenant_id: str, document_id: str, number: int, unique: str) -> str:
    return f"{tenant_id}/documents/{document_id}/{number:04d}-{unique}.pdf"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def store_revision_file(
    uow: UnitOfWork,
    ids: IdGenerator,
    document: Document,
    path: str,
    *,
    kind: RevisionKind,
    now: datetime,
    signer_id: str | None = None,
) -> Revision:
    """The PDF in a scratch file (`uow.blobs.scratch_file`), which it takes, stored as `document`'s next revision."""
    key = _next_key(ids, document)
    stored = await uow.blobs.put_file(key, path)
    return document.add_revision(
        kind=kind, blob_key=key, sha256=stored.sha256, size=stored.size, now=now, signer_id=signer_id
    )


def _next_key(ids: IdGenerator, document: Document) -> str:
    return blob_key(document.tenant_id, document.id, document.current.number + 1, ids.new_id())
