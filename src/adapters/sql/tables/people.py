"""A tenant's users, their local credentials, teams and external identities, browser sessions; ids used once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from undersign.adapters.sql.tables.base import MYSQL_TABLE_OPTIONS, Base, Id, JsonText, UtcDateTime
from undersign.domain.local_credentials import LocalCredentials, TotpEnrolment
from undersign.domain.tenant import AccessRole
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.domain.user import MAX_IDENTITY_PART_LENGTH, MAX_TEAM_NAME_LENGTH, MAX_USER_NAME_LENGTH, Team, User
from undersign.domain.web_session import WebSession


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    email: Mapped[str] = mapped_column(Id(MAX_EMAIL_LENGTH))
    name: Mapped[str] = mapped_column(String(MAX_USER_NAME_LENGTH))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, user: User) -> UserRow:
        return cls(
            id=user.id, tenant_id=user.tenant_id, email=user.email, name=user.name, role=user.role.value,
            created_at=user.created_at, disabled_at=user.disabled_at,
        )

    def to_domain(self, team_ids: frozenset[str]) -> User:
        return User(
            id=self.id, tenant_id=self.tenant_id, email=self.email, name=self.name, role=AccessRole(self.role),
            created_at=self.created_at, disabled_at=self.disabled_at, team_ids=team_ids,
        )


class LocalCredentialsRow(Base):
    """A user's password hash, TOTP authenticator, recovery codes' hashes and recent failures."""

    __tablename__ = "local_credentials"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    user_id: Mapped[str] = mapped_column(Id(), ForeignKey("users.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(128))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JsonText())
    failed_attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @staticmethod
    def values(credentials: LocalCredentials) -> dict[str, Any]:
        totp = credentials.totp
        return {
            "password_hash": credentials.password_hash,
            "totp_secret": totp.secret if totp else None,
            "totp_confirmed_at": totp.confirmed_at if totp else None,
            "totp_last_step": totp.last_used_step if totp else None,
            "recovery_code_hashes": list(credentials.recovery_code_hashes),
            "failed_attempts": credentials.failed_attempts,
            "locked_until": credentials.locked_until,
        }

    def to_domain(self) -> LocalCredentials:
        totp = None
        if self.totp_secret is not None:
            totp = TotpEnrolment(
                secret=self.totp_secret, confirmed_at=self.totp_confirmed_at, last_used_step=self.totp_last_step
            )
        return LocalCredentials(
            password_hash=self.password_hash, totp=totp, recovery_code_hashes=tuple(self.recovery_code_hashes),
            failed_attempts=self.failed_attempts, locked_until=self.locked_until,
        )


class TeamRow(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(MAX_TEAM_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, team: Team) -> TeamRow:
        return cls(id=team.id, tenant_id=team.tenant_id, name=team.name, created_at=team.created_at)

    def to_domain(self) -> Team:
        return Team(id=self.id, tenant_id=self.tenant_id, name=self.name, created_at=self.created_at)


class TeamMemberRow(Base):
    __tablename__ = "team_members"
    __table_args__ = (Index("ix_team_members_user", "user_id"), MYSQL_TABLE_OPTIONS)

    team_id: Mapped[str] = mapped_column(Id(), ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(Id(), ForeignKey("users.id"), primary_key=True)


class UserIdentityRow(Base):
    """An identity provider's subject linked to a user. Keyed by a hash of (issuer, subject): both may
    be long, and an index on them would pass MySQL's limit on key length."""

    __tablename__ = "user_identities"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    key: Mapped[str] = mapped_column(Id(), primary_key=True)
    user_id: Mapped[str] = mapped_column(Id(), ForeignKey("users.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(MAX_IDENTITY_PART_LENGTH))
    subject: Mapped[str] = mapped_column(String(MAX_IDENTITY_PART_LENGTH))


class WebSessionRow(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "tenant_id", "user_id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = mapped_column(Id(), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Id(), ForeignKey("tenants.id"))
    user_id: Mapped[str] = mapped_column(Id(), ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(Id(128), unique=True)
    method: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @classmethod
    def from_domain(cls, session: WebSession) -> WebSessionRow:
        return cls(
            id=session.id, tenant_id=session.tenant_id, user_id=session.user_id, token_hash=session.token_hash,
            method=session.method, created_at=session.created_at, last_seen_at=session.last_seen_at,
            ended_at=session.ended_at,
        )

    def to_domain(self) -> WebSession:
        return WebSession(
            id=self.id, tenant_id=self.tenant_id, user_id=self.user_id, token_hash=self.token_hash,
            method=self.method, created_at=self.created_at, last_seen_at=self.last_seen_at, ended_at=self.ended_at,
        )


class OneTimeIdRow(Base):
    """An id claimed once (a SAML assertion's, a sign-in's state), kept until it could no longer be accepted."""

    __tablename__ = "one_time_ids"
    __table_args__ = (Index("ix_one_time_ids_until", "until"), MYSQL_TABLE_OPTIONS)

    key: Mapped[str] = mapped_column(Id(), primary_key=True)
    until: Mapped[datetime] = mapped_column(UtcDateTime())
