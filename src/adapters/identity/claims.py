"""A verified token's claims: its time window and audience checked, its tenant and role mapped by configuration."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from undersign.adapters.identity.settings import TENANT_SLUG, ClaimMapping, IssuerConfig
from undersign.application.access.identity_ports import TokenRejected, TokenRejection, VerifiedToken

MAX_SUBJECT_LENGTH = 255
MAX_EMAIL_LENGTH = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def checked_identity(claims: dict[str, Any], config: IssuerConfig, *, now: datetime) -> VerifiedToken:
    """Whom the (signature-verified) `claims` name, or TokenRejected saying which check failed."""
    if claims.get("iss") != config.issuer:
        raise TokenRejected(TokenRejection.WRONG_ISSUER, "the token is from an issuer this API does not trust")
    _check_audience(claims.get("aud"), config.audience)
    expires_at = _check_times(claims, now=now.timestamp(), leeway=config.leeway_seconds)
    subject = claims.get(config.subject_claim)
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH or _has_control(subject):
        raise _malformed(f"the token's {config.subject_claim!r} claim does not name a subject")
    tenant = _mapped(claims, config.tenant)
    if tenant is None or not TENANT_SLUG.match(tenant):
        raise TokenRejected(TokenRejection.UNMAPPED, "the token names no tenant that this issuer maps")
    role = _mapped(claims, config.role)
    if role is None:
        raise TokenRejected(TokenRejection.UNMAPPED, "the token names no role that this issuer maps")
    return VerifiedToken(
        issuer=config.issuer, subject=subject, email=_email(claims, config.email_claim), tenant_slug=tenant,
        role_name=role, expires_at=datetime.fromtimestamp(expires_at, UTC),
    )  # fmt: skip


def _check_audience(audience: object, expected: str) -> None:
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or expected not in audiences:
        raise TokenRejected(TokenRejection.WRONG_AUDIENCE, "the token is not meant for this API (audience)")


def _check_times(claims: dict[str, Any], *, now: float, leeway: int) -> float:
    """The token's expiry; refuses it outside [nbf, exp] or issued in the future, give or take `leeway` seconds."""
    expires = _numeric_date(claims, "exp", required=True)
    assert expires is not None
    if now > expires + leeway:
        raise TokenRejected(TokenRejection.EXPIRED, "the token has expired")
    not_before = _numeric_date(claims, "nbf", required=False)
    if not_before is not None and now < not_before - leeway:
        raise TokenRejected(TokenRejection.NOT_YET_VALID, "the token is not valid yet")
    issued = _numeric_date(claims, "iat", required=False)
    if issued is not None and now < issued - leeway:
        raise TokenRejected(TokenRejection.NOT_YET_VALID, "the token was issued in the future")
    return expires


def _numeric_date(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    # bool is an int to Python, not a time to JSON; and a date past year 9999 is not a date.
    if type(value) not in (int, float) or not 0 <= value < 253_402_300_800:
        raise _malformed(f"the token's {name!r} claim is not a time")
    return float(value)


def _mapped(claims: dict[str, Any], mapping: ClaimMapping) -> str | None:
    """Ours for the claim's value(s): the first entry of the map the token carries, the fixed value, or the claim's
    single value itself when there is no map."""
    if mapping.value is not None:
        return mapping.value
    assert mapping.claim is not None
    carried = _values(claims.get(mapping.claim), space_separated=mapping.space_separated)
    if mapping.values is None:
        return carried[0] if len(carried) == 1 else None
    return next((ours for theirs, ours in mapping.values if theirs in carried), None)


def _values(value: object, *, space_separated: bool) -> list[str]:
    if isinstance(value, str):
        return value.split() if space_separated else [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _email(claims: dict[str, Any], claim: str | None) -> str | None:
    if claim is None or claims.get(claim) is None:
        return None
    email = claims[claim]
    if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email) or _has_control(email):
        raise _malformed(f"the token's {claim!r} claim is not an email address")
    return email


def _has_control(text: str) -> bool:
    return any(ord(character) < 0x20 or 0x7F <= ord(character) < 0xA0 for character in text)


def _malformed(detail: str) -> TokenRejected:
    return TokenRejected(TokenRejection.MALFORMED, detail)
