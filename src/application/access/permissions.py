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
from undersign.domain.tenant import ApiKeyRole


class Permission(enum.StrEnum):
    READ_ENVELOPES = "envelopes:read"  # envelopes and their documents
    READ_EVIDENCE = "evidence:read"  # audit trails and certificates of completion: what an auditor reads
    WRITE_ENVELOPES = "envelopes:write"  # create, edit drafts, send, void
    ISSUE_SIGNING_LINKS = "signing-links:issue"  # a link is the power to sign as that recipient
    VERIFY_DOCUMENTS = "documents:verify"  # any PDF, ours or not; reads no tenant data
    MANAGE_WEBHOOKS = "webhooks:manage"  # endpoints hear about every envelope and carry secrets
    MANAGE_API_KEYS = "api-keys:manage"  # create, list and revoke keys, up to the caller's own role (RANK)
    READ_TENANT_AUDIT = "audit-log:read"  # the tenant's log of administrative acts: owners and auditors only


GRANTS: dict[ApiKeyRole, frozenset[Permission]] = {
    ApiKeyRole.OWNER: frozenset(Permission),
    # Everything an owner may do, except acting on owner keys (RANK below) and reading the log of
    # administrative acts: those who administer are not those who audit them.
    ApiKeyRole.ADMIN: frozenset(Permission) - {Permission.READ_TENANT_AUDIT},
    ApiKeyRole.SENDER: frozenset(
        {
            Permission.READ_ENVELOPES, Permission.READ_EVIDENCE, Permission.WRITE_ENVELOPES,
            Permission.ISSUE_SIGNING_LINKS, Permission.VERIFY_DOCUMENTS,
        }
    ),
    ApiKeyRole.VIEWER: frozenset({Permission.READ_ENVELOPES, Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS}),
    ApiKeyRole.AUDITOR: frozenset(
        {Permission.READ_EVIDENCE, Permission.VERIFY_DOCUMENTS, Permission.READ_TENANT_AUDIT}
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
    Permission.READ_TENANT_AUDIT: "read and verify the tenant's audit log of administrative acts",
}


# Who outranks whom among keys: a key creates keys of a role ranked at most its own, and only
# an owner revokes an owner key. Without it an admin could make itself an owner key.
RANK: dict[ApiKeyRole, int] = {
    ApiKeyRole.OWNER: 3, ApiKeyRole.ADMIN: 2, ApiKeyRole.SENDER: 1, ApiKeyRole.VIEWER: 1, ApiKeyRole.AUDITOR: 1,
}


def allows(role: ApiKeyRole, permission: Permission) -> bool:
    return permission in GRANTS[role]


def outranks_or_equals(role: ApiKeyRole, other: ApiKeyRole) -> bool:
    return RANK[role] >= RANK[other]


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """The tenant and API key behind a request."""

    tenant_id: str
    api_key_id: str
    role: ApiKeyRole

    @property
    def actor(self) -> str:
        """How the audit chain names this caller."""
        return f"api_key:{self.api_key_id}"

    def require(self, permission: Permission) -> None:
        """Raise Forbidden unless this caller's role grants `permission`."""
        if not allows(self.role, permission):
            raise Forbidden(f"{_a(self.role)} key may not do this (it needs {permission.value})")

    def require_rank_of(self, role: ApiKeyRole, act: str) -> None:
        """Raise Forbidden unless this caller's role ranks at least as high as `role` (RANK):
        `act` ("create", "revoke") says what it was about to do to a key of that role."""
        if not outranks_or_equals(self.role, role):
            raise Forbidden(f"{_a(self.role)} key may not {act} {_a(role)} key")


def _a(role: ApiKeyRole) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"
