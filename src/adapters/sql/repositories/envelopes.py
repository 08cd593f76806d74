"""Envelopes with their signers and fields, and the signing links issued to their recipients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise, rowcount
from undersign.adapters.sql.tables.base import column_values
from undersign.adapters.sql.tables.envelopes import EnvelopeRow, FieldRow, SignerRow, SigningLinkRow
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.signing_link import LinkChannel, SigningLink


class SqlEnvelopes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Envelope] = []

    async def add(self, envelope: Envelope) -> None:
        await add_row(self._session, EnvelopeRow.from_domain(envelope), f"envelope {envelope.id} already exists")
        self.seen.append(envelope)

    async def get(self, tenant_id: str, envelope_id: str) -> Envelope | None:
        row = await self._session.scalar(
            self._select().where(EnvelopeRow.tenant_id == tenant_id, EnvelopeRow.id == envelope_id)
        )
        return row.to_domain() if row else None

    async def hold(self, tenant_id: str, envelope_id: str) -> None:
        """SELECT ... FOR UPDATE: the row lock lasts until the transaction ends (SQLite ignores it)."""
        await self._session.execute(
            select(EnvelopeRow.id)
            .where(EnvelopeRow.tenant_id == tenant_id, EnvelopeRow.id == envelope_id)
            .with_for_update()
        )

    async def save(self, envelope: Envelope) -> None:
        """UPDATE ... WHERE version = the version read; then bring signers and fields in line."""
        expected = envelope.version
        values = EnvelopeRow.scalar_values(envelope)
        del values["id"], values["tenant_id"]
        values["version"] = expected + 1
        detail = f"envelope {envelope.id} changed since it was read"
        with conflicts_raise(detail):
            result = await self._session.execute(
                update(EnvelopeRow)
                .where(
                    EnvelopeRow.id == envelope.id,
                    EnvelopeRow.tenant_id == envelope.tenant_id,
                    EnvelopeRow.version == expected,
                )
                .values(**values)
                .execution_options(**NO_SYNC)
            )
            if rowcount(result) != 1:
                raise ConcurrencyConflict(detail)
            # The envelope's row is ours until commit now, so its children are as we read them.
            row = EnvelopeRow.from_domain(envelope)
            await self._upsert(SignerRow, [column_values(s) for s in row.signers], envelope.id)
            await self._upsert(FieldRow, [column_values(f) for f in row.fields], envelope.id)
        envelope.version = expected + 1
        self.seen.append(envelope)

    async def list(
        self, tenant_id: str, *, where: EnvelopeFilter, limit: int, after: EnvelopeCursor | None
    ) -> list[Envelope]:
        """Newest first, then by id descending; three queries per page whatever its size.

        Which index serves which page (checked with EXPLAIN on SQLite, PostgreSQL 15 and
        MariaDB 10.11); no page reads the rows before it, so a deep page costs what the
        first one does:
        - no status: ix_envelopes_tenant_created (tenant_id, created_at, id), read backwards
          from the cursor, the created_* bounds narrowing the same range;
        - a status: ix_envelopes_tenant_status_created (tenant_id, status, created_at, id);
        - a signer_email: ix_signers_tenant_email_envelope (tenant_id, email, envelope_id)
          gives that recipient's envelope ids from the index alone; their envelopes are
          fetched by primary key and sorted, so a page costs what that recipient's number
          of envelopes does (PostgreSQL walks the envelopes' index instead when that is cheaper).
        """
        query = self._select().where(EnvelopeRow.tenant_id == tenant_id)
        if where.status is not None:
            query = query.where(EnvelopeRow.status == where.status.value)
        if where.created_after is not None:
            query = query.where(EnvelopeRow.created_at >= where.created_after)
        if where.created_before is not None:
            query = query.where(EnvelopeRow.created_at < where.created_before)
        if where.signer_email is not None:
            recipients = select(SignerRow.envelope_id).where(
                SignerRow.tenant_id == tenant_id, SignerRow.email == where.signer_email
            )
            query = query.where(EnvelopeRow.id.in_(recipients))
        if where.scope is not None:
            shared = [EnvelopeRow.team_id.in_(sorted(where.scope.team_ids))] if where.scope.team_ids else []
            query = query.where(or_(EnvelopeRow.owner.is_(None), EnvelopeRow.owner == where.scope.owner, *shared))
        if after is not None:
            # (created_at, id) < (cursor) spelled out, row-value comparison not being portable;
            # the leading `created_at <=` gives every server's planner a range on the index.
            query = query.where(
                EnvelopeRow.created_at <= after.created_at,
                or_(
                    EnvelopeRow.created_at < after.created_at,
                    and_(EnvelopeRow.created_at == after.created_at, EnvelopeRow.id < after.id),
                ),
            )
        query = query.order_by(EnvelopeRow.created_at.desc(), EnvelopeRow.id.desc()).limit(limit)
        return [row.to_domain() for row in await self._session.scalars(query)]

    async def tenant_of(self, envelope_id: str) -> str | None:
        return await self._session.scalar(select(EnvelopeRow.tenant_id).where(EnvelopeRow.id == envelope_id))

    async def waiting(self, *, after: str | None, limit: int) -> list[Envelope]:
        """Read along ix_envelopes_status_id (status, id) from the cursor on."""
        query = self._select().where(EnvelopeRow.status == EnvelopeStatus.SENT.value)
        if after is not None:
            query = query.where(EnvelopeRow.id > after)
        rows = await self._session.scalars(query.order_by(EnvelopeRow.id).limit(limit))
        return [row.to_domain() for row in rows]

    @staticmethod
    def _select() -> Select[EnvelopeRow]:
        return (
            select(EnvelopeRow)
            .options(selectinload(EnvelopeRow.signers), selectinload(EnvelopeRow.fields))
            .execution_options(**FRESH)
        )

    async def _upsert(
        self, row_class: type[SignerRow] | type[FieldRow], rows: list[dict[str, Any]], envelope_id: str
    ) -> None:
        if not rows:
            return
        existing = set(
            await self._session.scalars(select(row_class.id).where(row_class.envelope_id == envelope_id))
        )
        updates = [r for r in rows if r["id"] in existing]
        inserts = [r for r in rows if r["id"] not in existing]
        if updates:
            await self._session.execute(update(row_class), updates)
        if inserts:
            await self._session.execute(insert(row_class), inserts)



class SqlSigningLinks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, link: SigningLink) -> None:
        await add_row(self._session, SigningLinkRow.from_domain(link), f"signing link {link.id} already exists")

    async def by_token_hash(self, token_hash: str) -> SigningLink | None:
        row = await self._session.scalar(
            select(SigningLinkRow).where(SigningLinkRow.token_hash == token_hash).execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def revoke(
        self, tenant_id: str, envelope_id: str, signer_id: str, *, channels: frozenset[LinkChannel], at: datetime
    ) -> None:
        await self._session.execute(
            update(SigningLinkRow)
            .where(
                SigningLinkRow.tenant_id == tenant_id,
                SigningLinkRow.envelope_id == envelope_id,
                SigningLinkRow.signer_id == signer_id,
                SigningLinkRow.channel.in_(sorted(channels)),
                SigningLinkRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
