"""The records' view of stored blobs, over the fake database (application/storage/ports.py)."""

from __future__ import annotations

from collections.abc import Collection

from tests.fakes.database import FakeDatabase
from undersign.application.storage.ports import RecordedBlob


class FakeRecordedBlobs:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db

    def _all(self, tenant_id: str | None) -> list[RecordedBlob]:
        kept = {e.id for e in self._db.envelopes.values() if e.purge_started_at is None}  # purged: hashes, no blobs
        blobs = [
            RecordedBlob(key=r.blob_key, sha256=r.sha256, size=r.size, tenant_id=d.tenant_id)
            for d in self._db.documents.values() if d.envelope_id in kept for r in d.revisions
        ]
        for envelope in self._db.envelopes.values():
            if (certificate := envelope.completion_certificate) is not None and envelope.id in kept:
                blobs.append(RecordedBlob(
                    key=certificate.blob_key, sha256=certificate.sha256, size=certificate.size,
                    tenant_id=envelope.tenant_id,
                ))
        return sorted((b for b in blobs if tenant_id in (None, b.tenant_id)), key=lambda b: b.key)

    async def count(self, tenant_id: str | None) -> int:
        return len(self._all(tenant_id))

    async def page(self, tenant_id: str | None, *, after: str | None, limit: int) -> list[RecordedBlob]:
        return [b for b in self._all(tenant_id) if after is None or b.key > after][:limit]

    async def known(self, keys: Collection[str]) -> set[str]:
        return set(keys) & {b.key for b in self._all(None)}
