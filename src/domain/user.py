"""People of a tenant: users, the teams they share envelopes in, and who they are at an identity provider.

A user has one role (the same roles as API keys: domain.tenant.AccessRole) and belongs to any
number of the tenant's teams. A sender sees the envelopes they sent and those shared with a
team of theirs (application.access.visibility). A user signs in through an identity provider
the operator configured (OIDC or SAML): `ExternalIdentity` is who the provider says they are,
and links to one user of one tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from undersign.domain.errors import InvalidInput
from undersign.domain.tenant import AccessRole
from undersign.domain.text import email_address, single_line

MAX_USER_NAME_LENGTH = 200
MAX_TEAM_NAME_LENGTH = 100
MAX_TEAMS_PER_USER = 50  # a sender's list of envelopes filters on them: the list stays short
MAX_IDENTITY_PART_LENGTH = 500


def normalize_user_email(email: str) -> str:
    """How users' emails are kept and matched: a valid address, in lower case."""
    return email_address(email.strip()).lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A person of a tenant. A disabled user signs in no more; what they did stays theirs."""

    id: str
    tenant_id: str
    email: str
    name: str
    role: AccessRole
    created_at: datetime
    team_ids: frozenset[str] = frozenset()
    disabled_at: datetime | None = None

    @classmethod
    def invite(
        cls, *, user_id: str, tenant_id: str, email: str, name: str, role: AccessRole, now: datetime
    ) -> User:
        return cls(
            id=user_id, tenant_id=tenant_id, email=normalize_user_email(email),
            name=single_line(name, what="a user's name", max_length=MAX_USER_NAME_LENGTH), role=role, created_at=now,
        )

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def with_role(self, role: AccessRole) -> User:
        return replace(self, role=role)

    def joined(self, team_id: str) -> User:
        if team_id not in self.team_ids and len(self.team_ids) >= MAX_TEAMS_PER_USER:
            raise InvalidInput(f"a user belongs to at most {MAX_TEAMS_PER_USER} teams")
        return replace(self, team_ids=self.team_ids | {team_id})

    def left(self, team_id: str) -> User:
        return replace(self, team_ids=self.team_ids - {team_id})

    def disabled(self, now: datetime) -> User:
        return self if self.disabled_at is not None else replace(self, disabled_at=now)


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    """A group of a tenant's users who share their envelopes."""

    id: str
    tenant_id: str
    name: str
    created_at: datetime

    @classmethod
    def create(cls, *, team_id: str, tenant_id: str, name: str, now: datetime) -> Team:
        return cls(
            id=team_id, tenant_id=tenant_id, created_at=now,
            name=single_line(name, what="a team's name", max_length=MAX_TEAM_NAME_LENGTH),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdentity:
    """Who an identity provider says a person is: the provider (an OIDC issuer, a SAML IdP's
    entity id) and the subject it names them by. A subject is unique only within its provider."""

    issuer: str
    subject: str

    def __post_init__(self) -> None:
        for what, value in (("issuer", self.issuer), ("subject", self.subject)):
            if not value or len(value) > MAX_IDENTITY_PART_LENGTH or not value.isprintable():
                raise InvalidInput(f"an identity's {what} has 1 to {MAX_IDENTITY_PART_LENGTH} printable characters")
