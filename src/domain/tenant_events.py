"""Tenant events: the administrative acts in a tenant, written to the tenant's audit chain.

Like the envelope's events (domain/events.py): one frozen dataclass per kind of act, its
class name the stable name the chain stores, its own fields the data the chain hashes. The
`actor` names who acted (`api_key:<id>`, `cli:<user>`; later a user); `tenant_id` and `at`
say where and when. An event never carries a secret (a key's secret or its hash, a password,
a one-time code): the chain is read by auditors and kept for good.

Recorded now: an API key created or revoked. To come, in the same shape: a user invited, a
role changed, an SSO setting changed, a sign-in failed, an account locked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from undersign.domain.events import plain_value

# The tenant's part of every event: the rest of an event's fields are its data.
_EVERY_EVENT = frozenset({"tenant_id", "at", "actor"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantEvent:
    """An administrative act in a tenant, by whom and when."""

    tenant_id: str
    at: datetime
    actor: str

    @property
    def type(self) -> str:
        return type(self).__name__

    @property
    def data(self) -> dict[str, Any]:
        """The act's own facts as plain JSON values: what the tenant's audit chain hashes."""
        return {f.name: plain_value(getattr(self, f.name)) for f in fields(self) if f.name not in _EVERY_EVENT}


# -- API keys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyCreated(TenantEvent):
    """A key was issued: its id, role, expiry (ISO 8601, None: it does not expire) and description; never its secret."""

    key_id: str
    role: str
    expires_at: str | None
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyRevoked(TenantEvent):
    """A key was revoked (only the first revocation of a key is an act: revoking it again changes nothing)."""

    key_id: str


TENANT_EVENTS: dict[str, type[TenantEvent]] = {event.__name__: event for event in (ApiKeyCreated, ApiKeyRevoked)}
