"""Documents and their revisions: a revision number is written once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise
from undersign.adapters.sql.tables.base import column_values
from undersign.adapters.sql.tables.documents import DocumentRow, RevisionRow
from undersign.domain.document import Document, DocumentStatus


@dataclass(slots=True)
class _Stored:
    """A document as this unit of work last read or wrote it."""

    revisions: set[int]
    columns: dict[str, Any]  # the columns a save may change

    @classmethod
    def of(cls, document: Document) -> _Stored:
        return cls({r.number for r in document.revisions}, _mutable_columns(document))


def _mutable_columns(document: Document) -> dict[str, Any]:
    return {"status": document.status.value, "legal_hold": document.legal_hold}


class SqlDocuments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Each document as this unit of work read or wrote it: only later revision numbers are
        # inserted, so a revision someone else added meanwhile collides; and only the columns
        # this unit of work changed are written, so it does not undo someone else's change.
        self._stored: dict[str, _Stored] = {}

    async def add(self, document: Document) -> None:
        await add_row(self._session, DocumentRow.from_domain(document), f"document {document.id} already exists")
        self._stored[document.id] = _Stored.of(document)

    async def get(self, tenant_id: str, document_id: str) -> Document | None:
        rows = await self._session.scalars(
            self._joined().where(DocumentRow.tenant_id == tenant_id, DocumentRow.id == document_id)
        )
        row = rows.unique().first()
        return self._loaded(row) if row else None

    async def save(self, document: Document) -> None:
        stored = self._stored.get(document.id)
        if stored is None:  # not read in this unit of work: every column is written
            numbers = await self._session.scalars(select(RevisionRow.number).where(RevisionRow.document_id == document.id))
            stored = _Stored(set(numbers), {})
        new = [RevisionRow.from_domain(document, r) for r in document.revisions if r.number not in stored.revisions]
        columns = _mutable_columns(document)
        changed = {column: value for column, value in columns.items() if stored.columns.get(column) != value}
        with conflicts_raise(f"document {document.id} got a revision since it was read"):
            if new:
                await self._session.execute(insert(RevisionRow), [column_values(r) for r in new])
            if changed:
                await self._session.execute(
                    update(DocumentRow)
                    .where(DocumentRow.id == document.id, DocumentRow.tenant_id == document.tenant_id)
                    .values(**changed)
                    .execution_options(**NO_SYNC)
                )
        self._stored[document.id] = _Stored(stored.revisions | {r.number for r in new}, columns)

    async def for_envelope(self, tenant_id: str, envelope_id: str) -> list[Document]:
        """In upload order."""
        rows = await self._session.scalars(
            self._joined()
            .where(DocumentRow.tenant_id == tenant_id, DocumentRow.envelope_id == envelope_id)
            .order_by(DocumentRow.created_at, DocumentRow.id)
        )
        return [self._loaded(row) for row in rows.unique()]

    async def sealed(self, *, after: str | None, limit: int) -> list[Document]:
        query = self._select().where(DocumentRow.status == DocumentStatus.SEALED.value)
        if after is not None:
            query = query.where(DocumentRow.id > after)
        rows = await self._session.scalars(query.order_by(DocumentRow.id).limit(limit))
        return [self._loaded(row) for row in rows]

    def _loaded(self, row: DocumentRow) -> Document:
        document = row.to_domain()
        self._stored[document.id] = _Stored.of(document)
        return document

    @staticmethod
    def _select() -> Select[DocumentRow]:
        """For pages of documents: two queries whatever the page's size."""
        return select(DocumentRow).options(selectinload(DocumentRow.revisions)).execution_options(**FRESH)

    @staticmethod
    def _joined() -> Select[DocumentRow]:
        """For one envelope's few documents: with their revisions, in one query."""
        return select(DocumentRow).options(joinedload(DocumentRow.revisions)).execution_options(**FRESH)
