"""Who a bearer token says the caller is: the port the API's authentication asks, and its answers.

An identity provider (an OpenID Provider) issues the token; an adapter checks it (signature
against the issuer's published keys, issuer, audience, lifetime) and maps its claims, by the
operator's configuration, to a tenant, a subject and a role. The application then turns a
`VerifiedToken` into its caller; it never sees the token's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from undersign.application.shared.errors import ServiceUnavailable, Unauthenticated


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedToken:
    """A bearer token that passed every check, and whom it names.

    `issuer` and `subject` together identify the person or client (a subject is unique only
    within its issuer); `email` is there when the token carries one; `tenant_slug` and
    `role_name` are what the issuer's configuration mapped the claims to; `expires_at` (UTC)
    is when the token stops being accepted.
    """

    issuer: str
    subject: str
    email: str | None
    tenant_slug: str
    role_name: str
    expires_at: datetime


class TokenRejection(StrEnum):
    """Why a bearer token was refused: for logs and metrics, not for the client."""

    MALFORMED = "malformed"  # not a compact JWS, bad base64 or JSON, a required claim missing or of the wrong type
    DISALLOWED_ALGORITHM = "disallowed_algorithm"  # `none`, HS*, or an algorithm the issuer is not allowed
    WRONG_ISSUER = "wrong_issuer"  # no configured issuer has this `iss`
    UNKNOWN_KEY = "unknown_key"  # the issuer's key set has no key with this `kid`, even after a refresh
    BAD_SIGNATURE = "bad_signature"  # the signature does not verify with the issuer's key of that `kid`
    WRONG_AUDIENCE = "wrong_audience"  # the token is not for this API
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"  # `nbf` or `iat` in the future
    UNMAPPED = "unmapped"  # signed and valid, but no tenant or no role maps from its claims


class TokenRejected(Unauthenticated):
    """The bearer token is not accepted (HTTP 401). The detail is safe to show and never holds
    the token; `reason` says which check failed."""

    code = "invalid_token"

    def __init__(self, reason: TokenRejection, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class IdentityProviderUnavailable(ServiceUnavailable):
    """The issuer's keys could not be fetched and none are known for this token: the token may
    be good, so this is not a rejection (HTTP 503). The adapter logged why."""

    code = "identity_provider_unavailable"


class BearerTokenVerifier(Protocol):
    """Checks a bearer token from the Authorization header and says whom it names.

    `verify` returns a `VerifiedToken`, or raises `TokenRejected` (the token is not accepted:
    malformed, wrongly signed, expired, for another audience, from an unknown issuer, or
    naming no tenant or role), or `IdentityProviderUnavailable` (the issuer's keys cannot be
    had right now). The token's text never appears in an error or a log.
    """

    async def verify(self, token: str) -> VerifiedToken: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedSignIn:
    """A person an identity provider vouched for in a browser sign-in (OIDC or SAML), after every
    check of the provider's answer passed.

    `issuer` (the OpenID Provider's issuer, or the SAML IdP's entity id) and `subject` (`sub`, or
    the persistent NameID) identify the person at that provider; `tenant_slug` is the tenant the
    sign-in was for; `role_name` is the role the provider's claims or attributes map to by the
    operator's configuration, None when they map to none (with `maps_roles`, the default role
    then; without, the user's stored role stands).
    """

    issuer: str
    subject: str
    tenant_slug: str
    email: str | None = None  # only one the provider vouches for (OIDC: email_verified true)
    name: str | None = None
    role_name: str | None = None
    maps_roles: bool = False  # the operator maps this provider's groups to roles: none mapped is the default role


class SignInRejected(Unauthenticated):
    """The identity provider's answer is not accepted (HTTP 401): bad signature, wrong audience or
    recipient, outside its time window, replayed, or not the answer to a sign-in we started. The
    detail is safe to show; `reason` is for the logs."""

    code = "sign_in_rejected"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class OneTimeIds(Protocol):
    """Ids that may be used once: a SAML assertion's id, a sign-in's `state`. Shared by every
    process (the database keeps them), so a replay to another process is refused too."""

    async def claim(self, key: str, *, until: datetime) -> bool:
        """True the first time `key` is claimed; False ever after, until `until` has passed (the
        id is no longer acceptable by then anyway, and is forgotten)."""
        ...


class SignInProvider(Protocol):
    """An identity provider people sign in with in a browser (OIDC or SAML), as the sign-in use case
    sees it: a redirect there, and the answer that comes back.

    `begin` returns the URL to send the browser to and the pending sign-in to keep where only
    this browser brings it back (the HTTP layer seals it into a cookie); `finish` checks the
    provider's answer (the callback's query, or the posted form) against it, and returns whom
    the provider vouched for, or raises SignInRejected / IdentityProviderUnavailable.
    """

    @property
    def key(self) -> str:
        """`oidc:<name>` or `saml:<name>`: how sessions and the audit log name the method."""
        ...

    @property
    def metadata(self) -> bytes | None:
        """What the provider needs to know of us, published (a SAML service provider's metadata); None for OIDC."""
        ...

    async def begin(self) -> tuple[str, bytes]: ...

    async def finish(self, pending: bytes, answer: Mapping[str, str]) -> VerifiedSignIn: ...
