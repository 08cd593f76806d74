"""Tenant events: the administrative acts in a tenant, written to the tenant's audit chain.

Like the envelope's events (domain/events.py): one frozen dataclass per kind of act, its
class name the stable name the chain stores, its own fields the data the chain hashes. The
`actor` names who acted (`api_key:<id>`, `cli:<user>`; later a user); `tenant_id` and `at`
say where and when. An event never carries a secret (a key's secret or its hash, a password,
a one-time code): the chain is read by auditors and kept for good.

Recorded: an API key created or revoked; a user invited, their role changed, disabled; a team
created, a member added or removed; the sign-in policy changed; a user signed in, someone an
identity provider vouched for refused, a local sign-in failed, an account locked, a password set, a second factor reset;
a signing policy created or revised, and the tenant's default policy changed; a stored document found corrupted.
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


# -- users and teams -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInvited(TenantEvent):
    """A user was invited: their id, email and role."""

    user_id: str
    email: str
    role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRoleChanged(TenantEvent):
    """A user's role changed from `old_role` to `new_role` (setting the role they have is no act)."""

    user_id: str
    old_role: str
    new_role: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UserDisabled(TenantEvent):
    """A user was disabled, and their sessions ended (only the first disabling is an act)."""

    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamCreated(TenantEvent):
    """A team was created: its id and name."""

    team_id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamMemberAdded(TenantEvent):
    """A user joined a team (adding a member again is no act)."""

    team_id: str
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamMemberRemoved(TenantEvent):
    """A user left a team (removing someone who is not a member is no act)."""

    team_id: str
    user_id: str


# -- sign-ins ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSignedIn(TenantEvent):
    """A user signed in: how (`oidc:<provider>`, `saml:<provider>`), and whether the user was made by it."""

    user_id: str
    method: str
    created_user: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInRefused(TenantEvent):
    """An identity provider vouched for someone the tenant does not let in (not invited, disabled);
    never the provider's answer itself."""

    method: str
    subject: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInPolicyChanged(TenantEvent):
    """The tenant's sign-in policy, as it is after the change."""

    just_in_time_users: bool
    require_mfa: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInFailed(TenantEvent):
    """A local sign-in of a user failed: a wrong password or second factor (never what was typed)."""

    user_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountLocked(TenantEvent):
    """Too many failures in a row: the user's local sign-ins are refused until `until` (ISO 8601)."""

    user_id: str
    until: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalPasswordSet(TenantEvent):
    """A user's password was set (never the password, nor its hash)."""

    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondFactorReset(TenantEvent):
    """A user's authenticator and recovery codes were removed by an operator (a lost device)."""

    user_id: str


# -- signing policies ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyCreated(TenantEvent):
    """A signing policy was created (version 1): its id, name, and whether it became the tenant's default."""

    policy_id: str
    name: str
    default: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRevised(TenantEvent):
    """A signing policy got a new version: which fields changed (envelopes already sent keep the version they had)."""

    policy_id: str
    version: int
    changed: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultPolicyChanged(TenantEvent):
    """The tenant's default policy (for envelopes that name none) is now `policy_id`, was `previous_policy_id`."""

    policy_id: str
    previous_policy_id: str | None


# -- storage ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredDocumentCorrupted(TenantEvent):
    """A stored file no longer has the SHA-256 recorded when it was stored (changed or damaged where it is
    kept): it was refused, not served. Recorded by the system the first time a process finds it."""

    blob_key: str
    expected_sha256: str
    actual_sha256: str


TENANT_EVENTS: dict[str, type[TenantEvent]] = {
    event.__name__: event
    for event in (
        ApiKeyCreated, ApiKeyRevoked, UserInvited, UserRoleChanged, UserDisabled, TeamCreated, TeamMemberAdded,
        TeamMemberRemoved, UserSignedIn, SignInRefused, SignInPolicyChanged, SignInFailed, AccountLocked,
        LocalPasswordSet, SecondFactorReset, PolicyCreated, PolicyRevised, DefaultPolicyChanged,
        StoredDocumentCorrupted,
    )
}
