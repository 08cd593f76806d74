"""Where a tenant's signing policies are kept: every version of each, and which one is the tenant's default."""

from __future__ import annotations

from typing import Protocol

from undersign.domain.policy import Policy


class PolicyRepository(Protocol):
    """Policies by tenant. Reads of another tenant's policy find nothing (None), as if it did not exist.

    A policy is kept as all of its versions, (id, version) unique: two revisions of one version
    racing are a ConcurrencyConflict for the second to write. One policy of a tenant at most is
    its default; the default follows the policy to its newer versions.
    """

    async def add(self, policy: Policy, *, default: bool = True) -> None:
        """Store a new policy (usually version 1); with `default`, it becomes the tenant's default."""
        ...

    async def add_version(self, policy: Policy) -> None:
        """Store a newer version of a stored policy; it stays the default if it was."""
        ...

    async def get(self, tenant_id: str, policy_id: str) -> Policy | None:
        """The latest version of the policy."""
        ...

    async def list(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[Policy]:
        """The latest version of each of the tenant's policies, by id, those after `after` (an id)."""
        ...

    async def set_default(self, tenant_id: str, policy_id: str) -> None:
        """Make the (stored) policy the tenant's default instead of the one that was."""
        ...

    async def default_for(self, tenant_id: str) -> Policy | None:
        """The latest version of the tenant's default policy."""
        ...
