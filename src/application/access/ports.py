"""Where tenants, their users, teams and sessions, API keys, the tenant audit log and idempotency keys are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.domain.audit import TenantAuditEntry
from undersign.domain.local_credentials import LocalCredentials
from undersign.domain.tenant import ApiKey, Tenant
from undersign.domain.user import ExternalIdentity, Team, User
from undersign.domain.web_session import WebSession


class TenantRepository(Protocol):
    async def add(self, tenant: Tenant) -> None: ...

    async def get(self, tenant_id: str) -> Tenant | None: ...

    async def by_slug(self, slug: str) -> Tenant | None: ...

    async def save(self, tenant: Tenant) -> None:
        """Store the tenant's sender name and sign-in policy as they are now."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyCursor:
    """Where a page of a tenant's keys ended: the last key's creation time and id."""

    created_at: datetime
    id: str


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get(self, key_id: str) -> ApiKey | None:
        """The key of any tenant (authentication starts from the id alone); callers check the tenant."""
        ...

    async def for_tenant(self, tenant_id: str, *, limit: int, after: ApiKeyCursor | None = None) -> list[ApiKey]:
        """Up to `limit` of the tenant's keys, newest first (created_at, then id, descending), after `after`."""
        ...

    async def record_revocation(self, key: ApiKey) -> bool:
        """Store `key.revoked_at` unless the stored key is revoked already (the first revocation stays);
        whether it was stored (False: another revocation came first)."""
        ...

    async def touch(self, key_id: str, at: datetime) -> None:
        """Set the key's last use to `at`, unless a later one is stored; nothing else of the key changes."""
        ...


class UserRepository(Protocol):
    """A tenant's users; a user's teams (`User.team_ids`) are stored with them."""

    async def add(self, user: User) -> None:
        """A ConcurrencyConflict if the tenant has a user of that email (check by_email first)."""
        ...

    async def get(self, tenant_id: str, user_id: str) -> User | None: ...

    async def by_email(self, tenant_id: str, email: str) -> User | None: ...

    async def by_identity(self, identity: ExternalIdentity) -> User | None:
        """The user an identity provider's subject is linked to, in whichever tenant."""
        ...

    async def has_identity(self, user_id: str) -> bool:
        """Whether any identity provider's subject is linked to the user."""
        ...

    async def link(self, user: User, identity: ExternalIdentity) -> None:
        """Link the identity to the user; a ConcurrencyConflict if it is linked already."""
        ...

    async def save(self, user: User) -> None:
        """Store the user's role, teams and disabling as they are now."""
        ...

    async def for_tenant(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[User]:
        """Up to `limit` of the tenant's users by email, those after the email `after`."""
        ...


class TeamRepository(Protocol):
    async def add(self, team: Team) -> None:
        """A ConcurrencyConflict if the tenant has a team of that name."""
        ...

    async def get(self, tenant_id: str, team_id: str) -> Team | None: ...

    async def for_tenant(self, tenant_id: str) -> list[Team]:
        """The tenant's teams by name (a tenant has few)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCredentials:
    """A user's local credentials as stored, at `version` (what a save expects to replace)."""

    credentials: LocalCredentials
    version: int


class LocalCredentialsRepository(Protocol):
    async def get(self, user_id: str) -> StoredCredentials | None: ...

    async def save(self, user_id: str, credentials: LocalCredentials, *, expected_version: int | None) -> None:
        """Store them as the next version; `expected_version` None: the user has none yet. A
        ConcurrencyConflict if another write came first (two sign-ins with one TOTP code: one wins)."""
        ...


class WebSessionRepository(Protocol):
    async def add(self, session: WebSession) -> None: ...

    async def by_token_hash(self, token_hash: str) -> WebSession | None: ...

    async def save(self, session: WebSession) -> None:
        """Store its last activity and its end."""
        ...

    async def end_all(self, tenant_id: str, user_id: str, at: datetime) -> int:
        """End every live session of the user (disabled, or signed out everywhere); how many."""
        ...


class TenantAuditLog(Protocol):
    """Each tenant's chain of administrative acts, each sequence number written once: of two units of
    work appending after the same entry, the second to write is a ConcurrencyConflict."""

    async def last(self, tenant_id: str) -> TenantAuditEntry | None: ...

    async def append(self, entry: TenantAuditEntry) -> None: ...

    async def entries(self, tenant_id: str, *, limit: int, after: int | None = None) -> list[TenantAuditEntry]:
        """Up to `limit` of the tenant's entries in chain order (by sequence), those after sequence `after`,
        exactly as stored."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    """What the first request under an idempotency key answered, to answer its repeats with."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """An idempotency key of one API key (`credential_id`) of a tenant: claimed by one request
    (`claim`), then holding its response."""

    tenant_id: str
    credential_id: str
    key: str
    fingerprint: str
    claim: str
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None


class IdempotencyKeys(Protocol):
    """Idempotency records, one per tenant, credential and key.

    Unlike the repositories, this port is not part of a unit of work: each call is a short
    transaction of its own, because a claim must be visible to a concurrent duplicate
    before the work it guards starts, and must not hold a write lock while that work runs.
    """

    async def add(self, record: IdempotencyRecord) -> bool:
        """Store a new record; False (and nothing stored) if the credential has one under that key already."""
        ...

    async def get(self, tenant_id: str, credential_id: str, key: str) -> IdempotencyRecord | None: ...

    async def replace(self, record: IdempotencyRecord, *, held_by: str) -> bool:
        """Overwrite the record under `record`'s key if its claim is still `held_by`; False otherwise."""
        ...

    async def delete(self, tenant_id: str, credential_id: str, key: str, *, held_by: str) -> None:
        """Remove the record if its claim is still `held_by`."""
        ...

    async def purge(self, tenant_id: str, *, expired_at: datetime) -> int:
        """Remove the tenant's records that expire at or before `expired_at`; how many went."""
        ...
