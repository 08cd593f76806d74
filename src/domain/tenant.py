"""Tenants, and the API keys through which their systems call Undersign."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from undersign.domain.errors import InvalidInput

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


MAX_SENDER_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    id: str
    slug: str
    created_at: datetime
    sender_name: str | None = None  # how the tenant's emails are signed off and shown in From; None: the slug

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


class ApiKeyRole(enum.StrEnum):
    """A key's role; what each may do is application.access.permissions' table."""

    ADMIN = "admin"
    SENDER = "sender"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A key's public half. The secret is never stored, only its hash."""

    id: str
    tenant_id: str
    role: ApiKeyRole
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
