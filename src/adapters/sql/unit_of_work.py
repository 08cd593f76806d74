"""The unit of work over SQL: one session, so one transaction, per unit of work."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.availability import is_unavailable, unavailable, unavailable_raises
from undersign.adapters.sql.repositories.access import SqlApiKeys, SqlTenants
from undersign.adapters.sql.repositories.audit import SqlAuditLog, SqlTenantAuditLog
from undersign.adapters.sql.repositories.background import SqlDeadLetters, SqlOutbox
from undersign.adapters.sql.repositories.certificates import SqlCertificateRevocations
from undersign.adapters.sql.repositories.documents import SqlDocuments
from undersign.adapters.sql.repositories.envelopes import SqlEnvelopes, SqlSigningLinks
from undersign.adapters.sql.repositories.people import SqlLocalCredentials, SqlTeams, SqlUsers, SqlWebSessions
from undersign.adapters.sql.repositories.policies import SqlPolicies
from undersign.adapters.sql.repositories.shared import conflicts_raise
from undersign.adapters.sql.repositories.webhooks import SqlWebhookDeliveries, SqlWebhookEndpoints
from undersign.application.shared.ports import BlobStore
from undersign.application.shared.unit_of_work import TrackedBlobs, UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """Opens a session on entry and closes it on exit; rolls back unless committed.

    On SQLite nothing is locked until the first write, so reading, then signing for a
    while, then writing keeps other writers waiting only for the writing part.

    A database that is down, too slow or out of connections, wherever in the unit of work
    it shows, leaves it as DatabaseUnavailable.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        blob_store: BlobStore,
        published: Callable[[], None] | None = None,
    ) -> None:
        """`published` is called after a commit that wrote outbox messages (a doorbell's ring)."""
        self._session_factory = session_factory
        self.blobs = TrackedBlobs(blob_store)
        self._on_published = published

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with unavailable_raises():  # the rollback itself may find the database gone
            await super().__aexit__(exc_type, exc, tb)
        if exc is not None and is_unavailable(exc):
            raise unavailable(exc) from exc

    async def _begin(self) -> None:
        self._session = session = self._session_factory()
        self.audit = audit = SqlAuditLog(session)
        self.envelopes = SqlEnvelopes(session, audit)
        self.documents = SqlDocuments(session)
        self.signing_links = SqlSigningLinks(session)
        self.tenants = SqlTenants(session)
        self.api_keys = SqlApiKeys(session)
        self.tenant_audit = SqlTenantAuditLog(session)
        self.users = SqlUsers(session)
        self.teams = SqlTeams(session)
        self.web_sessions = SqlWebSessions(session)
        self.local_credentials = SqlLocalCredentials(session)
        self.policies = SqlPolicies(session)
        self.outbox = SqlOutbox(session)
        self.webhook_endpoints = SqlWebhookEndpoints(session)
        self.webhook_deliveries = SqlWebhookDeliveries(session)
        self.dead_letters = SqlDeadLetters(session)
        self.certificate_revocations = SqlCertificateRevocations(session)

    async def _commit(self) -> None:
        with conflicts_raise("another writer got there first"):
            await self._session.commit()

    async def _rollback(self) -> None:
        await self._session.rollback()

    async def _close(self) -> None:
        await self._session.close()

    def _published(self) -> None:
        if self._on_published is not None:
            self._on_published()


def sql_unit_of_work_factory(
    session_factory: async_sessionmaker[AsyncSession],
    blob_store: BlobStore,
    published: Callable[[], None] | None = None,
) -> Callable[[], SqlUnitOfWork]:
    """What the use cases take as their UnitOfWorkFactory."""
    return partial(SqlUnitOfWork, session_factory, blob_store, published)
