"""Who is calling: the tenant and key behind an API request."""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import Forbidden
from domain.tenant import ApiKeyRole


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    tenant_id: str
    api_key_id: str
    role: ApiKeyRole

    @property
    def actor(self) -> str:
        """How the audit chain names this caller."""
        return f"api_key:{self.api_key_id}"

    def require_write(self) -> None:
        if not self.role.can_write:
            raise Forbidden(f"a {self.role.value} key can only read")

    def require_admin(self) -> None:
        if self.role is not ApiKeyRole.ADMIN:
            raise Forbidden(f"only an admin key may do this; this one is a {self.role.value} key")
