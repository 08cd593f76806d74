"""The in-memory database: its tables, and the writes a unit of work stages until it commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from undersign.application.access.ports import StoredCredentials
from undersign.application.background.ports import DeadLetter
from undersign.application.shared.outbox import OutboxMessage
from undersign.domain.audit import AuditEntry, TenantAuditEntry
from undersign.domain.certificate_revocation import CertificateRevocation
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.policy import Policy
from undersign.domain.signing_link import SigningLink
from undersign.domain.tenant import ApiKey, Tenant
from undersign.domain.user import ExternalIdentity, Team, User
from undersign.domain.web_session import WebSession
from undersign.domain.webhook import WebhookDelivery, WebhookEndpoint


@dataclass
class FakeDatabase:
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    audit: dict[str, list[AuditEntry]] = field(default_factory=dict)
    links: dict[str, SigningLink] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)  # by slug
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    tenant_audit: dict[str, list[TenantAuditEntry]] = field(default_factory=dict)  # by tenant id
    policies: dict[str, Policy] = field(default_factory=dict)  # by tenant id: the tenant's default, current version
    policy_versions: dict[tuple[str, int], Policy] = field(default_factory=dict)  # every version, by (id, version)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    dispatched: dict[str, datetime] = field(default_factory=dict)  # outbox message id -> when
    webhook_endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    webhook_deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)
    dead_letters: dict[str, DeadLetter] = field(default_factory=dict)
    certificate_revocations: dict[str, CertificateRevocation] = field(default_factory=dict)  # by serial
    users: dict[str, User] = field(default_factory=dict)
    identities: dict[ExternalIdentity, str] = field(default_factory=dict)  # -> user id
    teams: dict[str, Team] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    local_credentials: dict[str, StoredCredentials] = field(default_factory=dict)  # by user id


class Writes:
    """What a unit of work will write when it commits."""

    def __init__(self) -> None:
        self.actions: list = []

    def stage(self, check, apply) -> None:
        self.actions.append((check, apply))

    def apply_all(self) -> None:
        for check, _ in self.actions:
            check()
        for _, apply in self.actions:
            apply()
        self.actions.clear()


class KeyedFake:
    """A repository that adds frozen records into one of the database's dicts."""

    def __init__(self, table: dict, writes: Writes) -> None:
        self._table, self._writes = table, writes

    def _stage(self, key: str, value: object, *, unique: bool = True) -> None:
        """Stage `value` under `key`; a key that is already taken is a conflict, as in SQL, unless not `unique`."""

        def check() -> None:
            if unique and key in self._table:
                raise ConcurrencyConflict(f"{key} already exists")

        self._writes.stage(check, lambda: self._table.__setitem__(key, value))
