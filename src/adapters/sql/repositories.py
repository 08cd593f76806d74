"""The repository ports over one AsyncSession: the unit of work's transaction.

Reads go through the ORM row classes and come back as domain objects; nothing outside
this package sees a row or a session. Writes that can lose a race (a stale version, a
revision or audit sequence number someone else took, a duplicate id or slug) raise
ConcurrencyConflict, which the application's retry loop understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, delete, insert, or_, select, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from undersign.adapters.sql.driver_errors import driver_error_code
from undersign.adapters.sql.tables import (
    ApiKeyRow,
    AuditEventRow,
    Base,
    DeadLetterRow,
    DocumentRow,
    EnvelopeRow,
    FieldRow,
    OutboxMessageRow,
    PolicyRow,
    RevisionRow,
    SignerRow,
    SigningLinkRow,
    TenantRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    column_values,
)
from undersign.application.background.ports import DeadLetter
from undersign.application.envelopes.ports import EnvelopeCursor, EnvelopeFilter
from undersign.application.shared.outbox import OutboxMessage
from undersign.domain.audit import AuditEntry
from undersign.domain.document import Document, DocumentStatus
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.policy import Policy
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.tenant import ApiKey, Tenant
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint

# SQLite result codes (https://sqlite.org/rescode.html): the database is busy or locked,
# and the two constraint violations that mean another writer took the key first.
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_CONSTRAINT_PRIMARYKEY, _SQLITE_CONSTRAINT_UNIQUE = 1555, 2067
# PostgreSQL SQLSTATEs: unique violation, serialization failure, deadlock.
_PG_CONFLICTS = {"23505", "40001", "40P01"}
# MySQL/MariaDB error numbers: duplicate key, lock wait timeout, deadlock.
_MYSQL_CONFLICTS = {1062, 1205, 1213}


def is_conflict(error: DBAPIError) -> bool:
    """Whether a driver error means another writer got there first (retrying may succeed).

    Other integrity errors (a missing foreign key, a NULL) are bugs and are not conflicts.
    """
    orig = error.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return (sqlite_code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED) or sqlite_code in (
            _SQLITE_CONSTRAINT_PRIMARYKEY,
            _SQLITE_CONSTRAINT_UNIQUE,
        )
    code = driver_error_code(orig)
    return code in _MYSQL_CONFLICTS if isinstance(code, int) else code in _PG_CONFLICTS


@contextmanager
def conflicts_raise(detail: str) -> Iterator[None]:
    """Turn a lost race inside the block into ConcurrencyConflict(detail)."""
    try:
        yield
    except DBAPIError as error:
        if is_conflict(error):
            raise ConcurrencyConflict(detail) from error
        raise


async def _add(session: AsyncSession, row: Base, detail: str) -> None:
    session.add(row)
    with conflicts_raise(detail):
        await session.flush()


def rowcount(result: Any) -> int:
    """The rows an UPDATE or DELETE matched (execute() is typed as returning any Result)."""
    return cast(CursorResult[Any], result).rowcount


# Reads refresh rows already in the session's identity map: writes go through UPDATE
# statements that do not touch it, and a second read in one unit of work must see them.
_FRESH = {"populate_existing": True}
_NO_SYNC = {"synchronize_session": False}


class SqlEnvelopes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Envelope] = []

    async def add(self, envelope: Envelope) -> None:
        await _add(self._session, EnvelopeRow.from_domain(envelope), f"envelope {envelope.id} already exists")
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
                .execution_options(**_NO_SYNC)
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
            .execution_options(**_FRESH)
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


class SqlDocuments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Revision numbers each document had when this unit of work read or wrote it: only
        # later ones are inserted, so a revision someone else added meanwhile collides.
        self._stored: dict[str, set[int]] = {}

    async def add(self, document: Document) -> None:
        await _add(self._session, DocumentRow.from_domain(document), f"document {document.id} already exists")
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
                .execution_options(**_NO_SYNC)
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
        return select(DocumentRow).options(selectinload(DocumentRow.revisions)).execution_options(**_FRESH)


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last(self, tenant_id: str, envelope_id: str) -> AuditEntry | None:
        row = await self._session.scalar(
            self._select(tenant_id, envelope_id).order_by(AuditEventRow.seq.desc()).limit(1)
        )
        return row.to_domain() if row else None

    async def append(self, tenant_id: str, entry: AuditEntry) -> None:
        if entry.at.utcoffset() != timedelta(0):
            # Stored in UTC, `at` would come back with another isoformat() than the one hashed.
            raise ValueError(f"audit entries are timestamped in UTC, not {entry.at.isoformat()}")
        await _add(
            self._session,
            AuditEventRow.from_domain(tenant_id, entry),
            f"entry {entry.seq} of envelope {entry.envelope_id}'s audit chain was written by someone else",
        )

    async def entries(self, tenant_id: str, envelope_id: str) -> list[AuditEntry]:
        rows = await self._session.scalars(self._select(tenant_id, envelope_id).order_by(AuditEventRow.seq))
        return [row.to_domain() for row in rows]

    @staticmethod
    def _select(tenant_id: str, envelope_id: str) -> Select[AuditEventRow]:
        return (
            select(AuditEventRow)
            .where(AuditEventRow.tenant_id == tenant_id, AuditEventRow.envelope_id == envelope_id)
            .execution_options(**_FRESH)
        )


class SqlSigningLinks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, link: SigningLink) -> None:
        await _add(self._session, SigningLinkRow.from_domain(link), f"signing link {link.id} already exists")

    async def by_token_hash(self, token_hash: str) -> SigningLink | None:
        row = await self._session.scalar(
            select(SigningLinkRow).where(SigningLinkRow.token_hash == token_hash).execution_options(**_FRESH)
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


class SqlTenants:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, tenant: Tenant) -> None:
        await _add(self._session, TenantRow.from_domain(tenant), f"tenant {tenant.slug!r} already exists")

    async def get(self, tenant_id: str) -> Tenant | None:
        row = await self._session.get(TenantRow, tenant_id, populate_existing=True)
        return row.to_domain() if row else None

    async def by_slug(self, slug: str) -> Tenant | None:
        row = await self._session.scalar(
            select(TenantRow).where(TenantRow.slug == slug).execution_options(**_FRESH)
        )
        return row.to_domain() if row else None


class SqlApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, key: ApiKey) -> None:
        await _add(self._session, ApiKeyRow.from_domain(key), f"API key {key.id} already exists")

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return row.to_domain() if row else None


class SqlPolicies:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, policy: Policy) -> None:
        """The policy added last becomes its tenant's default."""
        detail = f"policy {policy.id} version {policy.version} or another default of the tenant was just added"
        with conflicts_raise(detail):
            await self._session.execute(
                update(PolicyRow)
                .where(PolicyRow.default_tenant_id == policy.tenant_id)
                .values(default_tenant_id=None)
                .execution_options(**_NO_SYNC)
            )
        await _add(self._session, PolicyRow.from_domain(policy, default=True), detail)

    async def default_for(self, tenant_id: str) -> Policy | None:
        row = await self._session.scalar(
            select(PolicyRow)
            .where(PolicyRow.tenant_id == tenant_id, PolicyRow.default_tenant_id == tenant_id)
            .execution_options(**_FRESH)
        )
        return row.to_domain() if row else None


# -- the outbox, dead letters and webhooks ---------------------------------------------------------


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: OutboxMessage) -> None:
        # Its id is its audit entry's: a taken id means someone else wrote that entry first.
        await _add(self._session, OutboxMessageRow.from_domain(message), f"outbox message {message.id} already exists")

    async def pending(self, limit: int) -> list[OutboxMessage]:
        """Along ix_outbox_pending; messages of one instant come in id order.

        Locked until the unit of work ends, passing over rows another dispatcher has locked
        (PostgreSQL, MariaDB), so that dispatchers in several workers share the work rather
        than each doing all of it. SQLite has one writer anyway: FOR UPDATE is not rendered.
        """
        rows = await self._session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.dispatched_at.is_(None))
            .order_by(OutboxMessageRow.at, OutboxMessageRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(**_FRESH)
        )
        return [row.to_domain() for row in rows]

    async def mark_dispatched(self, message_ids: list[str], at: datetime) -> None:
        if not message_ids:
            return
        # A message another dispatcher marked first keeps its time.
        await self._session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id.in_(message_ids), OutboxMessageRow.dispatched_at.is_(None))
            .values(dispatched_at=at)
            .execution_options(**_NO_SYNC)
        )

    async def purge(self, *, dispatched_before: datetime, limit: int) -> int:
        """Along ix_outbox_pending (dispatched_at first); ids first, as MySQL takes no LIMIT in a DELETE's subquery."""
        ids = list(await self._session.scalars(
            select(OutboxMessageRow.id)
            .where(OutboxMessageRow.dispatched_at < dispatched_before)
            .order_by(OutboxMessageRow.dispatched_at)
            .limit(limit)
        ))
        if ids:
            await self._session.execute(
                delete(OutboxMessageRow).where(OutboxMessageRow.id.in_(ids)).execution_options(**_NO_SYNC)
            )
        return len(ids)


class SqlDeadLetters:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, letter: DeadLetter) -> None:
        """DELETE then INSERT: a replacement the same way on every server (of two racing, one conflicts)."""
        await self.delete(letter.id)
        with conflicts_raise(f"dead letter {letter.id} was just added"):
            await self._session.execute(insert(DeadLetterRow).values(**column_values(DeadLetterRow.from_domain(letter))))

    async def get(self, letter_id: str) -> DeadLetter | None:
        row = await self._session.get(DeadLetterRow, letter_id, populate_existing=True)
        return row.to_domain() if row else None

    async def list(self, *, limit: int) -> list[DeadLetter]:
        rows = await self._session.scalars(
            select(DeadLetterRow)
            .order_by(DeadLetterRow.failed_at.desc(), DeadLetterRow.id.desc())
            .limit(limit)
            .execution_options(**_FRESH)
        )
        return [row.to_domain() for row in rows]

    async def delete(self, letter_id: str) -> None:
        await self._session.execute(
            delete(DeadLetterRow).where(DeadLetterRow.id == letter_id).execution_options(**_NO_SYNC)
        )


class SqlWebhookEndpoints:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, endpoint: WebhookEndpoint) -> None:
        await _add(self._session, WebhookEndpointRow.from_domain(endpoint), f"webhook {endpoint.id} already exists")

    async def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        row = await self._session.scalar(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id)
            .execution_options(**_FRESH)
        )
        return row.to_domain() if row else None

    async def save(self, endpoint: WebhookEndpoint) -> None:
        values = column_values(WebhookEndpointRow.from_domain(endpoint))
        del values["id"], values["tenant_id"]
        await self._session.execute(
            update(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint.id, WebhookEndpointRow.tenant_id == endpoint.tenant_id)
            .values(**values)
            .execution_options(**_NO_SYNC)
        )

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        await self._session.execute(
            delete(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id)
            .execution_options(**_NO_SYNC)
        )

    async def for_tenant(self, tenant_id: str) -> list[WebhookEndpoint]:
        rows = await self._session.scalars(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id)
            .order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
            .execution_options(**_FRESH)
        )
        return [row.to_domain() for row in rows]


class SqlWebhookDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Attempt numbers each delivery had when this unit of work read or wrote it: only
        # later ones are inserted, so an attempt someone else recorded meanwhile collides.
        self._stored: dict[str, set[int]] = {}

    async def add(self, delivery: WebhookDelivery) -> None:
        """Look, then insert: ids are deterministic, so a repeated dispatch finds its delivery here.

        Two dispatchers adding the same new delivery at once both find none; the second
        insert then fails on the primary key, as ConcurrencyConflict (its messages stay
        pending and the next dispatch finds the delivery).
        """
        exists = await self._session.scalar(select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.id == delivery.id))
        if exists is not None:
            return
        await _add(self._session, WebhookDeliveryRow.from_domain(delivery), f"delivery {delivery.id} was just added")
        self._stored[delivery.id] = {a.number for a in delivery.attempts}

    async def get(self, tenant_id: str, delivery_id: str) -> WebhookDelivery | None:
        row = await self._session.scalar(
            self._select().where(WebhookDeliveryRow.tenant_id == tenant_id, WebhookDeliveryRow.id == delivery_id)
        )
        return self._loaded(row).to_domain() if row else None

    async def save(self, delivery: WebhookDelivery) -> None:
        stored = self._stored.get(delivery.id)
        if stored is None:
            stored = set(
                await self._session.scalars(
                    select(WebhookAttemptRow.number).where(WebhookAttemptRow.delivery_id == delivery.id)
                )
            )
        new = [WebhookAttemptRow.from_domain(delivery.id, a) for a in delivery.attempts if a.number not in stored]
        with conflicts_raise(f"delivery {delivery.id} got an attempt since it was read"):
            if new:
                await self._session.execute(insert(WebhookAttemptRow), [column_values(a) for a in new])
            await self._session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery.id, WebhookDeliveryRow.tenant_id == delivery.tenant_id)
                .values(status=delivery.status.value)
                .execution_options(**_NO_SYNC)
            )
        self._stored[delivery.id] = stored | {a.number for a in new}

    async def for_endpoint(
        self, tenant_id: str, endpoint_id: str, *, limit: int, before: str | None
    ) -> list[WebhookDelivery]:
        """Along ix_webhook_deliveries_tenant_endpoint (tenant_id, endpoint_id, created_at, id), backwards from the cursor."""
        query = self._select().where(
            WebhookDeliveryRow.tenant_id == tenant_id, WebhookDeliveryRow.endpoint_id == endpoint_id
        )
        if before is not None:
            cursor = await self._session.get(WebhookDeliveryRow, before)
            if cursor is None or cursor.tenant_id != tenant_id or cursor.endpoint_id != endpoint_id:
                return []
            query = query.where(
                tuple_(WebhookDeliveryRow.created_at, WebhookDeliveryRow.id) < (cursor.created_at, cursor.id)
            )
        order = (WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc())
        rows = await self._session.scalars(query.order_by(*order).limit(limit))
        return [self._loaded(row).to_domain() for row in rows]

    def _loaded(self, row: WebhookDeliveryRow) -> WebhookDeliveryRow:
        self._stored[row.id] = {a.number for a in row.attempts}
        return row

    @staticmethod
    def _select() -> Select[WebhookDeliveryRow]:
        return (
            select(WebhookDeliveryRow)
            .options(selectinload(WebhookDeliveryRow.attempts))
            .execution_options(**_FRESH)
        )
