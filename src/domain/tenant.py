"""Tenants, and the API keys through which their systems call Undersign."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from undersign.domain.errors import InvalidInput
from undersign.domain.text import single_line

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


MAX_SENDER_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    id: str
    slug: str
    created_at: datetime
    sender_name: str | None = None  # how the tenant's emails are signed off and shown in From; None: the slug
    # Sign-in policy: a first sign-in through a configured identity provider creates the user
    # (else only invited users sign in); local sign-ins need a second factor.
    just_in_time_users: bool = False
    require_mfa: bool = False

    def __post_init__(self) -> None:
        if not SLUG.match(self.slug):
            raise InvalidInput(
                f"{self.slug!r} is not a valid tenant slug: use 1 to 63 lowercase letters, digits "
                "and inner hyphens"
            )
        name = self.sender_name
        # A mail header carries it: a line break would let it write headers of its own.
        if name is not None and (
            not name.strip() or len(name) > MAX_SENDER_NAME_LENGTH or not name.isprintable()
        ):
            raise InvalidInput(f"a sender name has 1 to {MAX_SENDER_NAME_LENGTH} printable characters on one line")

    @property
    def display_name(self) -> str:
        return self.sender_name or self.slug


class AccessRole(enum.StrEnum):
    """A user's or an API key's role; what each may do is application.access.permissions' table.

    The values are stored: admin, sender and viewer keys made before owner and auditor
    existed keep their meaning.
    """

    OWNER = "owner"
    ADMIN = "admin"
    SENDER = "sender"
    VIEWER = "viewer"
    AUDITOR = "auditor"


MAX_KEY_DESCRIPTION_LENGTH = 200
MAX_CREATED_BY_LENGTH = 100
MAX_KEY_LIFETIME = timedelta(days=3650)  # ten years: past that a key is as good as one that never ends


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A key's public half. The secret is never stored, only its hash.

    A key works until it expires (`expires_at`, if set) or is revoked, whichever comes
    first; revoking is final, and revoking again keeps the first time.
    """

    id: str
    tenant_id: str
    role: AccessRole
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    description: str = ""
    created_by: str | None = None  # the actor that made it: `api_key:<id>` or `cli:<user>`
    team_id: str | None = None  # a key scoped to a team: as a sender, it sees that team's envelopes (and its own)

    @classmethod
    def issue(
        cls, *, key_id: str, tenant_id: str, role: AccessRole, secret_hash: str, now: datetime,
        expires_at: datetime | None = None, description: str = "", created_by: str | None = None,
        team_id: str | None = None,
    ) -> ApiKey:
        """A new key; `expires_at`, if given, must lie after `now` and within MAX_KEY_LIFETIME of it."""
        if expires_at is not None:
            if expires_at.utcoffset() is None:
                raise InvalidInput("an API key's expiry must carry a UTC offset")
            if expires_at <= now:
                raise InvalidInput("an API key's expiry must lie in the future")
            if expires_at > now + MAX_KEY_LIFETIME:
                raise InvalidInput(f"an API key expires within {MAX_KEY_LIFETIME.days} days at most")
        description = single_line(
            description, what="an API key's description", max_length=MAX_KEY_DESCRIPTION_LENGTH, required=False
        )
        if created_by is not None:
            created_by = single_line(created_by, what="an API key's creator", max_length=MAX_CREATED_BY_LENGTH)
        return cls(
            id=key_id, tenant_id=tenant_id, role=role, secret_hash=secret_hash, created_at=now,
            expires_at=expires_at, description=description, created_by=created_by, team_id=team_id,
        )

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def revoked(self, now: datetime) -> ApiKey:
        """This key revoked at `now`; a revoked key stays revoked since the first time."""
        return self if self.revoked_at is not None else replace(self, revoked_at=now)
