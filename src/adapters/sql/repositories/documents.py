"""Documents and their revisions: a revision number is written once."""

from __future__ import annotations

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise
from undersign.adapters.sql.tables.base import column_values
from undersign.adapters.sql.tables.documents import DocumentRow, RevisionRow
from undersign.domain.document import Document, DocumentStatus


class SqlDocuments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Revision numbers each document had when this unit of work read or wrote it: only
        # later ones are inserted, so a revision someone else added meanwhile collides.
        self._stored: dict[str, set[int]] = {}

    async def add(self, document: Document) -> None:
        await add_row(self._session, DocumentRow.from_domain(document), f"document {document.id} already exists")
        self._stored[document.id] = {r.number for r in document.revisions}

    async def get(self, tenant_id: str, document_id: str) -> Document | None:
        row = await self._session.scalar(
            self._select().where(DocumentRow.tenant_id == tenant_id, DocumentRow.id == document_id)
        )
        return self._loaded(row).to_domain() if row else None

    async def save(self, document: Document) -> None:
        stored = self._stored.get(document.id)
        if stored is None:
            stored = set(
                await self._session.scalars(select(RevisionRow.number).where(RevisionRow.document_id == document.id))
            )
        new = [RevisionRow.from_domain(document, r) for r in document.revisions if r.number not in stored]
        with conflicts_raise(f"document {document.id} got a revision since it was read"):
            if new:
                await self._session.execute(insert(RevisionRow), [column_values(r) for r in new])
            await self._session.execute(
                update(DocumentRow)
                .where(DocumentRow.id == document.id, DocumentRow.tenant_id == document.tenant_id)
                .values(status=document.status.value, legal_hold=document.legal_hold)
                .execution_options(**NO_SYNC)
            )
        self._stored[document.id] = stored | {r.number for r in new}

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]:
        """In upload order."""
        rows = await self._session.scalars(
            self._select()
            .where(DocumentRow.tenant_id == tenant_id, DocumentRow.envelope_id == envelope_id)
            .order_by(DocumentRow.created_at, DocumentRow.id)
        )
        return [self._loaded(row).to_domain() for row in rows]

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        query = self._select().where(DocumentRow.status == DocumentStatus.SEALED.value)
        if after is not None:
            query = query.where(DocumentRow.id > after)
        rows = await self._session.scalars(query.order_by(DocumentRow.id).limit(limit))
        return [self._loaded(row).to_domain() for row in rows]

    def _loaded(self, row: DocumentRow) -> DocumentRow:
        self._stored[row.id] = {r.number for r in row.revisions}
        return row

    @staticmethod
    def _select() -> Select[DocumentRow]:
        return select(DocumentRow).options(selectinload(DocumentRow.revisions)).execution_options(**FRESH)
