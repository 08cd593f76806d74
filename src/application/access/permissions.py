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
    READ_ENVELOPES = "envelopes:read"  # envelopes, their documents, audit trails and certificates
    WRITE_ENVELOPES = "envelopes:write"  # create, edit drafts, send, void
    ISSUE_SIGNING_LINKS = "signing-links:issue"  # a link is the power to sign as that recipient
    VERIFY_DOCUMENTS = "documents:verify"  # any PDF, ours or not; reads no tenant data
    MANAGE_WEBHOOKS = "webhooks:manage"  # endpoints hear about every envelope and carry secrets


GRANTS: dict[ApiKeyRole, frozenset[Permission]] = {
    ApiKeyRole.ADMIN: frozenset(Permission),
    ApiKeyRole.SENDER: frozenset(
        {
            Permission.READ_ENVELOPES, Permission.WRITE_ENVELOPES,
            Permission.ISSUE_SIGNING_LINKS, Permission.VERIFY_DOCUMENTS,
        }
    ),
    ApiKeyRole.VIEWER: frozenset({Permission.READ_ENVELOPES, Permission.VERIFY_DOCUMENTS}),
}


def allows(role: ApiKeyRole, permission: Permission) -> bool:
    return permission in GRANTS[role]


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
            raise Forbidden(f"a {self.role.value} key may not do this (it needs {permission.value})")
