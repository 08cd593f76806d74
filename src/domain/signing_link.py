"""Signing links: the credential a recipient holds to view and sign their part."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class LinkChannel(enum.StrEnum):
    """How a link reached its recipient: handed to the sender's system, or emailed by the platform."""

    API = "api"
    EMAIL = "email"

    @property
    def revokes(self) -> frozenset[LinkChannel]:
        """Which of the recipient's older links a new link of this channel revokes.

        A link the sender asks for revokes them all: that is how a sender kills a link that
        leaked. A link the platform emails (an invitation, a reminder) revokes earlier emails'
        links only, so it never pulls a link from under a session the sender's system opened.
        """
        return frozenset(LinkChannel) if self is LinkChannel.API else frozenset({LinkChannel.EMAIL})


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
    channel: LinkChannel = LinkChannel.API
    revoked_at: datetime | None = None  # a newer link was issued for the same recipient
    # Embedded signing: the sender's application authenticated the recipient itself (how, in its
    # words) and frames the page; the platform asks nothing more, and the evidence says so.
    embedded_by: str | None = None

    def is_unexpired_at(self, now: datetime) -> bool:
        """Within its lifetime at `now` (whether it was revoked meanwhile is `revoked_at`)."""
        return self.created_at <= now < self.expires_at
