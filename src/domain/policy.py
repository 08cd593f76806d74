"""Policy: a tenant's named, versioned rules for the envelopes it sends."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from typing import Any

from undersign.domain.errors import InvalidInput
from undersign.domain.text import multi_line, single_line


class UnknownPolicy(InvalidInput):
    """An envelope names a policy its tenant does not have (another tenant's is not one of them)."""

    code = "unknown_policy"


class SignatureLevel(enum.StrEnum):
    PADES_B_B = "PAdES-B-B"
    PADES_B_T = "PAdES-B-T"
    PADES_B_LT = "PAdES-B-LT"
    PADES_B_LTA = "PAdES-B-LTA"


class SignerAuth(enum.StrEnum):
    LINK = "link"
    EMAIL_OTP = "email_otp"
    ACCESS_CODE = "access_code"
    SMS_OTP = "sms_otp"
    OIDC = "oidc"


class Routing(enum.StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


# The languages a signing page can be shown in; a policy lists those its recipients are offered.
SUPPORTED_LANGUAGES = ("en", "ar")

MAX_NAME_LENGTH = 100
MAX_CONSENT_TEXT_LENGTH = 2_000
MAX_EXPIRY_DAYS = 3_650
MAX_REMINDER_DAYS = 365
# Evidence kept for up to a hundred years: long enough for any retention law we know of.
MAX_RETENTION_DAYS = 36_500

# What a revision may change: everything but who the policy is (id, tenant) and its version.
REVISABLE = frozenset(
    {
        "name", "signature_level", "signer_auth", "routing_default", "expiry_days", "reminder_days",
        "retention_days", "decline_allowed", "consent_text", "languages", "embedded_signing",
    }
)

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
    # Whether a sender's own application may authenticate recipients itself and frame their page
    # (embedded signing): that sets the signer authentication above aside, so the tenant decides.
    embedded_signing: bool = False
    consent_text: str = DEFAULT_CONSENT_TEXT

    # The signing page's languages, in the order offered; the first is shown when the
    # recipient's browser asks for none of them.
    languages: tuple[str, ...] = ("en",)

    def __post_init__(self) -> None:
        # Frozen: the cleaned text replaces what was passed through object.__setattr__.
        object.__setattr__(self, "name", single_line(self.name, what="a policy's name", max_length=MAX_NAME_LENGTH))
        object.__setattr__(
            self, "consent_text",
            multi_line(self.consent_text, what="the consent text", max_length=MAX_CONSENT_TEXT_LENGTH),
        )
        if self.version < 1:
            raise InvalidInput("a policy's version starts at 1")
        _within("expiry_days", self.expiry_days, 1, MAX_EXPIRY_DAYS)
        _within("reminder_days", self.reminder_days, 0, MAX_REMINDER_DAYS)
        _within("retention_days", self.retention_days, 1, MAX_RETENTION_DAYS)
        if self.reminder_days and self.reminder_days >= self.expiry_days:
            raise InvalidInput("reminder_days must be fewer than expiry_days: no reminder would ever be sent")
        object.__setattr__(self, "languages", tuple(self.languages))
        if not self.languages:
            raise InvalidInput("a policy offers at least one language")
        unknown = [code for code in self.languages if code not in SUPPORTED_LANGUAGES]
        if unknown:
            raise InvalidInput(f"unsupported languages {unknown}: choose among {list(SUPPORTED_LANGUAGES)}")
        if len(set(self.languages)) != len(self.languages):
            raise InvalidInput("a language is listed twice")

    @property
    def fallback_language(self) -> str:
        return self.languages[0]

    def revised(self, **changes: Any) -> Policy:
        """The next version: this one with `changes` (among REVISABLE), checked like a new policy."""
        unknown = set(changes) - REVISABLE
        if unknown:
            raise InvalidInput(f"a revision cannot change {sorted(unknown)}")
        return replace(self, version=self.version + 1, **changes)

    def differences(self, other: Policy) -> list[str]:
        """The names of the fields (among REVISABLE) whose values differ in `other`, in declaration order."""
        return [f.name for f in fields(self) if f.name in REVISABLE and getattr(self, f.name) != getattr(other, f.name)]


def _within(what: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low} to {high}")


def default_policy(*, policy_id: str, tenant_id: str) -> Policy:
    """The policy a new tenant starts with: PAdES B-LTA."""
    return Policy(id=policy_id, tenant_id=tenant_id, name="default")
