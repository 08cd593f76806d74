"""Who is calling, and what they may do: the one table of permissions.

Every use case that acts for an API caller asks `caller.require(permission)` before it
reads or changes anything; the HTTP edge asks the same table before it runs a handler or
replays a stored response, so a cached answer is never handed to a caller who could not
have made the request. Another tenant's resources are not a matter of permission: they
are not found (repositories are scoped by tenant).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from undersign.application.shared.errors import Forbidden
from undersign.domain.tenant import AccessRole, ApiKey
from undersign.domain.user import User


class Permission(enum.StrEnum):
    READ_ENVELOPES = "envelopes:read"  # envelopes and their documents
    READ_EVIDENCE = "evidence:read"  # audit trails and certificates of completion: what an auditor reads
    WRITE_ENVELOPES = "envelopes:write"  # create, edit drafts, send, void
    ISSUE_SIGNING_LINKS = "signing-links:issue"  # a link is the power to sign as that recipient
    VERIFY_DOCUMENTS = "documents:verify"  # any PDF, ours or not; reads no tenant data
    MANAGE_WEBHOOKS = "webhooks:manage"  # endpoints hear about every envelope and carry secrets
    MANAGE_API_KEYS = "api-keys:manage"  # create, list and revoke keys, up to the caller's own role (RANK)
    MANAGE_USERS = "users:manage"  # invite, change the role of and disable users, and their teams, up to RANK
    READ_TENANT_AUDIT = "audit-log:read"  # the tenant's log of administrative acts: owners and auditors only
    READ_POLICIES = "policies:read"  # the tenant's signing policies: what its envelopes follow
    MANAGE_POLICIES = "policies:manage"  # create and revise signing policies, choose the tenant's default
    MANAGE_LEGAL_HOLDS = "legal-holds:manage"  # keep an envelope's documents past their retention, and let them go


GRANTS: dict[AccessRole, frozenset[Permission]] = {
    AccessRole.OWNER: frozenset(Permission),
    # Everything an owner may do, except acting on owner keys (RANK below) and reading the log of
    # administrative acts: those who administer are not those who audit them.
    AccessRole.ADMIN: frozenset(Permission) - {Permission.READ_TENANT_AUDIT},
    AccessRole.SENDER: frozenset(
        {
            Permission.READ_ENVELOPES, Permission.READ_EVIDENCE, Permission.WRITE_ENVELOPES,
            Permission.ISSUE_SIGNING_LINKS, Permission.VERIFY_DOCUMENTS, Permission.READ_POLICIES,
        }
    ),
    AccessRole.VIEWER: frozenset(
        {Permission.READ_ENVELOPES, Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS, Permission.READ_POLICIES}
    ),
    AccessRole.AUDITOR: frozenset(
        {Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS, Permission.READ_TENANT_AUDIT, Permission.READ_POLICIES}
    ),
}


# What each permission allows, in words: the README's table of permissions is made from these
# and GRANTS (tests/e2e/test_permission_table_readme.py holds it to them).
SUMMARIES: dict[Permission, str] = {
    Permission.READ_ENVELOPES: "read envelopes and their documents",
    Permission.READ_EVIDENCE: "read audit trails and certificates of completion",
    Permission.WRITE_ENVELOPES: "create, edit, send and void envelopes",
    Permission.ISSUE_SIGNING_LINKS: "issue signing links (the power to sign as a recipient)",
    Permission.VERIFY_DOCUMENTS: "verify any PDF",
    Permission.MANAGE_WEBHOOKS: "manage webhooks (they hear about every envelope and hold secrets)",
    Permission.MANAGE_API_KEYS: "make, list and revoke API keys, up to its own role",
    Permission.MANAGE_USERS: "invite, list, change and disable users, and manage teams, up to its own role",
    Permission.READ_TENANT_AUDIT: "read and verify the tenant's audit log of administrative acts",
    Permission.READ_POLICIES: "read the tenant's signing policies",
    Permission.MANAGE_POLICIES: "create and revise signing policies, and choose the tenant's default",
    Permission.MANAGE_LEGAL_HOLDS: "set and release legal holds, which keep documents past their retention",
}


# Who outranks whom among keys: a key creates keys of a role ranked at most its own, and only
# an owner revokes an owner key. Without it an admin could make itself an owner key.
RANK: dict[AccessRole, int] = {
    AccessRole.OWNER: 3, AccessRole.ADMIN: 2, AccessRole.SENDER: 1, AccessRole.VIEWER: 1, AccessRole.AUDITOR: 1,
}


def allows(role: AccessRole, permission: Permission) -> bool:
    return permission in GRANTS[role]


def outranks_or_equals(role: AccessRole, other: AccessRole) -> bool:
    return RANK[role] >= RANK[other]


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who is behind a request: the tenant, the role that decides what they may do, the credential
    they presented, and the person when there is one (a user's session or bearer token).

    `credential_id` is what idempotency keys belong to (the API key's id, `session:<id>`,
    `token:<issuer's hash>:<subject>`); `actor` is how audit chains name the caller
    (`api_key:<id>`, `user:<id>`); a sender sees the envelopes whose owner is `actor` and those
    shared with one of `team_ids` (visibility.py). `kind` words refusals: "key", "user".
    """

    tenant_id: str
    role: AccessRole
    credential_id: str
    actor: str
    user_id: str | None = None
    team_ids: frozenset[str] = frozenset()
    kind: str = "key"

    @classmethod
    def of_api_key(cls, key: ApiKey) -> Caller:
        team_ids = frozenset() if key.team_id is None else frozenset({key.team_id})
        return cls(
            tenant_id=key.tenant_id, role=key.role, credential_id=key.id, actor=f"api_key:{key.id}", team_ids=team_ids
        )

    @classmethod
    def of_user(cls, user: User, *, credential_id: str, role: AccessRole | None = None) -> Caller:
        """The user behind a session or a token; `role`, when the identity provider maps one, rules."""
        return cls(
            tenant_id=user.tenant_id, role=role or user.role, credential_id=credential_id, actor=f"user:{user.id}",
            user_id=user.id, team_ids=user.team_ids, kind="user",
        )

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless this caller's role grants `permission`."""
        if not allows(self.role, permission):
            raise Forbidden(f"{_a(self.role)} {self.kind} may not do this (it needs {permission.value})")

    def require_rank_of(self, role: AccessRole, act: str, what: str = "key") -> None:
        """Raise Forbidden unless this caller's role ranks at least as high as `role` (RANK):
        `act` ("create", "revoke") says what it was about to do to `what` (a key, a user) of that role."""
        if not outranks_or_equals(self.role, role):
            raise Forbidden(f"{_a(self.role)} {self.kind} may not {act} {_a(role)} {what}")


def _a(role: AccessRole) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"
