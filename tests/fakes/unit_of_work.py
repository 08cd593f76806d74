"""The fakes' unit of work: every fake repository over one database, written at commit."""

from __future__ import annotations

from tests.fakes.access import FakeApiKeys, FakeTenantAuditLog, FakeTenants
from tests.fakes.background import FakeDeadLetters, FakeOutbox
from tests.fakes.certificates import FakeCertificateRevocations
from tests.fakes.database import FakeDatabase, Writes
from tests.fakes.envelopes import FakeAuditLog, FakeDocuments, FakeEnvelopes, FakePolicies, FakeSigningLinks
from tests.fakes.people import FakeLocalCredentials, FakeTeams, FakeUsers, FakeWebSessions
from tests.fakes.system import FakeBlobStore
from tests.fakes.webhooks import FakeWebhookDeliveries, FakeWebhookEndpoints
from undersign.application.shared.unit_of_work import TrackedBlobs, UnitOfWork


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, db: FakeDatabase, blobs: FakeBlobStore) -> None:
        self._db = db
        self._writes = Writes()
        self.envelopes = FakeEnvelopes(db, self._writes)
        self.documents = FakeDocuments(db, self._writes)
        self.audit = FakeAuditLog(db, self._writes)
        self.signing_links = FakeSigningLinks(db.links, self._writes)
        self.tenants = FakeTenants(db.tenants, self._writes)
        self.api_keys = FakeApiKeys(db.api_keys, self._writes)
        self.tenant_audit = FakeTenantAuditLog(db.tenant_audit, self._writes)
        self.users = FakeUsers(db, self._writes)
        self.teams = FakeTeams(db.teams, self._writes)
        self.web_sessions = FakeWebSessions(db.web_sessions, self._writes)
        self.local_credentials = FakeLocalCredentials(db.local_credentials, self._writes)
        self.policies = FakePolicies(db, self._writes)
        self.outbox = FakeOutbox(db, self._writes)
        self.webhook_endpoints = FakeWebhookEndpoints(db, self._writes)
        self.webhook_deliveries = FakeWebhookDeliveries(db, self._writes)
        self.dead_letters = FakeDeadLetters(db, self._writes)
        self.certificate_revocations = FakeCertificateRevocations(db.certificate_revocations, self._writes)
        self.blobs = TrackedBlobs(blobs)
        self.committed = False

    async def _commit(self) -> None:
        self._writes.apply_all()
        self.committed = True

    async def _rollback(self) -> None:
        self._writes.actions.clear()
