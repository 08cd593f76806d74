"""Tenants, their API keys and the idempotency keys those keys claim: the access subject's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import MYSQL_TABLE_OPTIONS, Base, Blob, Id, JsonText, UtcDateTime
from undersign.application.access.idempotency import MAX_KEY_LENGTH
from undersign.application.access.ports import IdempotencyRecord, StoredResponse
from undersign.domain.tenant import (
    MAX_CREATED_BY_LENGTH,
    MAX_KEY_DESCRIPTION_LENGTH,
    MAX_SENDER_NAME_LENGTH,
    AccessRole,
    ApiKey,
    Tenant,
)

# -- tenants and their keys ---------------------------------------------------------------


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    slug: Mapped[str] = mapped_column(Id(63), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sender_name: Mapped[str | None] = mapped_column(String(MAX_SENDER_NAME_LENGTH))
    just_in_time_users: Mapped[bool] = mapped_column(Boolean)
    require_mfa: Mapped[bool] = mapped_column(Boolean)

    @classmethod
    def from_domain(cls, tenant: Tenant) -> TenantRow:
        return cls(
            id=tenant.id, slug=tenant.slug, created_at=tenant.created_at, sender_name=tenant.sender_name,
            just_in_time_users=tenant.just_in_time_users, require_mfa=tenant.require_mfa,
        )

    def to_domain(self) -> Tenant:
        return Tenant(
            id=self.id, slug=self.slug, created_at=self.created_at, sender_name=self.sender_name,
            just_in_time_users=self.just_in_time_users, require_mfa=self.require_mfa,
        )


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    # A tenant's keys newest first, a page at a time.
    __table_args__ = (Index("ix_api_keys_tenant_created", "tenant_id", "created_at", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(Id(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    description: Mapped[str] = mapped_column(String(MAX_KEY_DESCRIPTION_LENGTH))
    created_by: Mapped[str | None] = mapped_column(String(MAX_CREATED_BY_LENGTH))
    team_id: Mapped[str | None] = mapped_column(Id(), ForeignKey("teams.id"))

    @classmethod
    def from_domain(cls, key: ApiKey) -> ApiKeyRow:
        return cls(
            id=key.id, tenant_id=key.tenant_id, role=key.role.value, secret_hash=key.secret_hash,
            created_at=key.created_at, revoked_at=key.revoked_at, expires_at=key.expires_at,
            last_used_at=key.last_used_at, description=key.description, created_by=key.created_by,
            team_id=key.team_id,
        )

    def to_domain(self) -> ApiKey:
        return ApiKey(
            id=self.id, tenant_id=self.tenant_id, role=AccessRole(self.role), secret_hash=self.secret_hash,
            created_at=self.created_at, revoked_at=self.revoked_at, expires_at=self.expires_at,
            last_used_at=self.last_used_at, description=self.description, created_by=self.created_by,
            team_id=self.team_id,
        )


# -- idempotency keys ---------------------------------------------------------------------------


class IdempotencyKeyRow(Base):
    """An idempotency key of an API key of a tenant: the request that claimed it and, once done, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # The primary key (tenant_id, credential_id, idempotency_key) serves the lookups; this one the purge
        # of a tenant's expired keys.
        Index("ix_idempotency_keys_tenant_expires", "tenant_id", "expires_at"),
        MYSQL_TABLE_OPTIONS,
    )

    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(Id(), primary_key=True)  # the API key that claimed it
    idempotency_key: Mapped[str] = mapped_column(Id(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Id())
    claim: Mapped[str] = mapped_column(Id())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JsonText())
    response_body: Mapped[bytes | None] = mapped_column(Blob())

    @classmethod
    def from_domain(cls, record: IdempotencyRecord) -> IdempotencyKeyRow:
        response = record.response
        return cls(
            tenant_id=record.tenant_id,
            credential_id=record.credential_id,
            idempotency_key=record.key,
            fingerprint=record.fingerprint,
            claim=record.claim,
            created_at=record.created_at,
            expires_at=record.expires_at,
            response_status=response.status if response else None,
            response_headers=dict(response.headers) if response else None,
            response_body=response.body if response else None,
        )

    def to_domain(self) -> IdempotencyRecord:
        response = None
        if self.response_status is not None:
            response = StoredResponse(
                status=self.response_status, headers=dict(self.response_headers or {}), body=self.response_body or b""
            )
        return IdempotencyRecord(
            tenant_id=self.tenant_id,
            credential_id=self.credential_id,
            key=self.idempotency_key,
            fingerprint=self.fingerprint,
            claim=self.claim,
            created_at=self.created_at,
            expires_at=self.expires_at,
            response=response,
        )
