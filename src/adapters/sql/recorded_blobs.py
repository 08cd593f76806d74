"""The blobs the records name, over SQL: document revisions and certificates of completion, of
every envelope whose purge has not begun (a purged envelope keeps its hashes, not its blobs).

Read-only, in short sessions of its own. Both key columns are indexed (migration 0015), so a
page by key and a lookup of a batch of keys never scan a table.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.availability import own_session
from undersign.adapters.sql.tables.documents import DocumentRow, RevisionRow
from undersign.adapters.sql.tables.envelopes import EnvelopeRow
from undersign.application.storage.ports import RecordedBlob

_REVISIONS = (RevisionRow.blob_key, RevisionRow.sha256, RevisionRow.size, RevisionRow.tenant_id)
_CERTIFICATES = (
    EnvelopeRow.certificate_blob_key, EnvelopeRow.certificate_sha256, EnvelopeRow.certificate_size,
    EnvelopeRow.tenant_id,
)


def _revisions(*columns: Any) -> Select:
    return (
        select(*columns)
        .select_from(RevisionRow)
        .join(DocumentRow, DocumentRow.id == RevisionRow.document_id)
        .join(EnvelopeRow, EnvelopeRow.id == DocumentRow.envelope_id)
        .where(EnvelopeRow.purge_started_at.is_(None))
    )


def _certificates(*columns: Any) -> Select:
    return (
        select(*columns)
        .select_from(EnvelopeRow)
        .where(EnvelopeRow.certificate_blob_key.is_not(None), EnvelopeRow.purge_started_at.is_(None))
    )


class SqlRecordedBlobs:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def count(self, tenant_id: str | None) -> int:
        async with own_session(self._sessions) as session:
            revisions = await session.scalar(_in(_revisions(func.count()), RevisionRow, tenant_id))
            certificates = await session.scalar(_in(_certificates(func.count()), EnvelopeRow, tenant_id))
        return (revisions or 0) + (certificates or 0)

    async def page(self, tenant_id: str | None, *, after: str | None, limit: int) -> list[RecordedBlob]:
        # Each table's next `limit` by key, merged: the first `limit` of both are the page.
        found: list[RecordedBlob] = []
        async with own_session(self._sessions) as session:
            for query, row in ((_revisions(*_REVISIONS), RevisionRow), (_certificates(*_CERTIFICATES), EnvelopeRow)):
                key = query.selected_columns[0]
                query = _in(query, row, tenant_id).order_by(key).limit(limit)
                if after is not None:
                    query = query.where(key > after)
                rows = await session.execute(query)
                found += [RecordedBlob(key=k, sha256=h, size=s, tenant_id=t) for k, h, s, t in rows]
        return sorted(found, key=lambda blob: blob.key)[:limit]

    async def known(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        async with own_session(self._sessions) as session:
            revisions = await session.scalars(_revisions(RevisionRow.blob_key).where(RevisionRow.blob_key.in_(keys)))
            certificates = await session.scalars(
                _certificates(EnvelopeRow.certificate_blob_key).where(EnvelopeRow.certificate_blob_key.in_(keys))
            )
            return set(revisions) | {key for key in certificates if key is not None}


def _in(query: Select, row: type[RevisionRow] | type[EnvelopeRow], tenant_id: str | None) -> Select:
    return query if tenant_id is None else query.where(row.tenant_id == tenant_id)
