"""What goes over the wire for signing policies: a policy's settings in, a version of it out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from undersign.domain.policy import (
    DEFAULT_CONSENT_TEXT,
    MAX_CONSENT_TEXT_LENGTH,
    MAX_EXPIRY_DAYS,
    MAX_NAME_LENGTH,
    MAX_REMINDER_DAYS,
    MAX_RETENTION_DAYS,
    SUPPORTED_LANGUAGES,
    Policy,
    Routing,
    SignatureLevel,
    SignerAuth,
)
from undersign.entrypoints.http.schemas import Request, SignerAuthName

# The domain's enums, spelled out so that the OpenAPI schema lists them (tests hold them equal).
SignatureLevelName = Literal["PAdES-B-B", "PAdES-B-T", "PAdES-B-LT", "PAdES-B-LTA"]
RoutingName = Literal["sequential", "parallel"]
LanguageCode = Literal["en", "ar"]


class PolicyIn(Request):
    """A policy's settings. On creation and on replacement (PUT) alike, a setting left out takes its default."""

    name: Annotated[str, Meta(max_length=MAX_NAME_LENGTH)]
    signature_level: SignatureLevelName = "PAdES-B-LTA"
    signer_auth: SignerAuthName = "link"
    routing_default: RoutingName = "sequential"
    expiry_days: Annotated[int, Meta(ge=1, le=MAX_EXPIRY_DAYS)] = 30
    reminder_days: Annotated[int, Meta(ge=0, le=MAX_REMINDER_DAYS)] = 0  # 0: no reminders; else fewer than expiry_days
    retention_days: Annotated[int, Meta(ge=1, le=MAX_RETENTION_DAYS)] = 3650
    decline_allowed: bool = True
    embedded_signing: bool = False  # your application may authenticate recipients itself and frame their page
    consent_text: Annotated[str, Meta(min_length=1, max_length=MAX_CONSENT_TEXT_LENGTH)] = DEFAULT_CONSENT_TEXT
    # The signing page's languages, the first shown when the recipient's browser asks for none of them.
    languages: Annotated[list[LanguageCode], Meta(min_length=1, max_length=len(SUPPORTED_LANGUAGES))] = msgspec.field(
        default_factory=lambda: ["en"]
    )


class CreatePolicyIn(PolicyIn):
    default: bool = False  # make it the tenant's default at once


class PolicyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    version: int  # each change is a new version; envelopes already sent keep the one they were sent with
    default: bool  # the tenant's default: envelopes that name no policy follow it
    signature_level: str
    signer_auth: str
    routing_default: str
    expiry_days: int
    reminder_days: int
    retention_days: int
    decline_allowed: bool
    embedded_signing: bool
    consent_text: str
    languages: list[str]


class PolicyListOut(msgspec.Struct, kw_only=True):
    items: list[PolicyOut]
    next_cursor: str | None


def policy_settings(data: PolicyIn) -> dict[str, Any]:
    """The domain's keyword arguments for Policy (or Policy.revised) from the body."""
    return {
        "name": data.name,
        "signature_level": SignatureLevel(data.signature_level),
        "signer_auth": SignerAuth(data.signer_auth),
        "routing_default": Routing(data.routing_default),
        "expiry_days": data.expiry_days,
        "reminder_days": data.reminder_days,
        "retention_days": data.retention_days,
        "decline_allowed": data.decline_allowed,
        "embedded_signing": data.embedded_signing,
        "consent_text": data.consent_text,
        "languages": tuple(data.languages),
    }


def policy_out(policy: Policy, *, default: bool) -> PolicyOut:
    return PolicyOut(
        id=policy.id, name=policy.name, version=policy.version, default=default,
        signature_level=policy.signature_level.value, signer_auth=policy.signer_auth.value,
        routing_default=policy.routing_default.value, expiry_days=policy.expiry_days,
        reminder_days=policy.reminder_days, retention_days=policy.retention_days,
        decline_allowed=policy.decline_allowed, embedded_signing=policy.embedded_signing, consent_text=policy.consent_text, languages=list(policy.languages),
    )
