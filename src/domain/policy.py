"""Policy: a tenant's named, versioned rules for the envelopes it sends."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from undersign.domain.errors import InvalidInput


class SignatureLevel(enum.StrEnum):
    PADES_B_B = "PAdES-B-B"
    PADES_B_T = "PAdES-B-T"
    PADES_B_LT = "PAdES-B-LT"
    PADES_B_LTA = "PAdES-B-LTA"


class SignerAuth(enum.StrEnum):
    LINK = "link"
    EMAIL_OTP = "email_otp"
    ACCESS_CODE = "access_code"
    OIDC = "oidc"


class Routing(enum.StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


DEFAULT_CONSENT_TEXT = (
    "I agree to use electronic records and signatures, and I intend my electronic "
    "signature to have the same effect as my handwritten signature."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Rules an envelope follows. An envelope keeps a copy taken when it is sent."""

    id: str
    tenant_id: str
    name: str
    version: int = 1
    # Long-term archival by default: signatures that can still be verified after every
    # certificate in them has expired.
    signature_level: SignatureLevel = SignatureLevel.PADES_B_LTA
    signer_auth: SignerAuth = SignerAuth.LINK
    routing_default: Routing = Routing.SEQUENTIAL
    expiry_days: int = 30
    reminder_days: int = 0
    retention_days: int = 3650
    decline_allowed: bool = True
    consent_text: str = DEFAULT_CONSENT_TEXT

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a policy needs a name")
        if self.expiry_days < 1:
            raise InvalidInput("expiry_days must be at least 1")
        if self.reminder_days < 0 or self.retention_days < 1:
            raise InvalidInput("reminder_days cannot be negative and retention_days must be at least 1")


def default_policy(*, policy_id: str, tenant_id: str) -> Policy:
    """The policy a new tenant starts with: PAdES B-LTA."""
    return Policy(id=policy_id, tenant_id=tenant_id, name="default")
