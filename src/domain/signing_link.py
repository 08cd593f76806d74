"""Signing links: the credential a recipient holds to view and sign their part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningLink:
    """A link's record. Only the token's hash is kept; the token itself is shown once."""

    id: str
    tenant_id: str
    envelope_id: str
    signer_id: str
    token_hash: str
    created_at: datetime
    expires_at: datetime

    def is_valid_at(self, now: datetime) -> bool:
        return self.created_at <= now < self.expires_at
