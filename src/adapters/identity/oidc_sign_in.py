"""Browser sign-in through an OpenID Provider: the authorization code flow with PKCE, as its relying party.

`OidcSignIn` serves one configured provider (sign_in_settings.py). A sign-in has two halves,
with the browser's trip to the provider between them:

1. `begin(redirect_uri=...)` reads the provider's discovery document and returns the URL to
   send the browser to (response_type=code, the configured scopes, a random `state` and
   `nonce`, and the S256 challenge of a random PKCE verifier) with a `PendingSignIn` holding
   those secrets. The HTTP layer keeps the pending sign-in where only this browser can bring
   it back (a sealed, HttpOnly cookie: `to_bytes()` / `from_bytes()`).
2. `finish(pending, query=...)` takes the query of the provider's redirect back to
   `redirect_uri`: `state` must be the pending one (constant-time), the sign-in no older than
   ten minutes, `iss` (RFC 9207) the provider's when it sends one; an `error` is the provider
   refusing. The code is exchanged at the token endpoint with the PKCE verifier (client
   authentication as configured; a public client sends only its id). The ID token is checked
   by the bearer tokens' own verifier (oidc_tokens.py: signature against the provider's
   published keys, algorithm, issuer, audience == client_id, exp/nbf/iat with leeway, subject,
   tenant mapping), then `azp`, `iat` and the `nonce` here. The role maps by the same rule as
   the bearer tokens' (claims.py), and is None when the claims map to none.

Every refusal is a `SignInRejected` with a reason for the logs (state_mismatch, expired,
issuer_mismatch, provider_error, token_exchange_failed, bad_id_token, nonce_mismatch,
unmapped, bad_pending); a provider that cannot be reached is `IdentityProviderUnavailable`.
Requests to the provider are bounded: 5 s each in all, answers of at most 256 KiB, no
redirects followed. Codes, tokens and verifiers never appear in a log or an error.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from undersign.adapters.identity.claims import _mapped
from undersign.adapters.identity.jwks import MAX_DOCUMENT_BYTES, FetchFailed, fetch_json
from undersign.adapters.identity.oidc_tokens import MAX_TOKEN_LENGTH, OidcTokenVerifier
from undersign.adapters.identity.settings import ClaimMapping, IssuerConfig, OidcSettingsError, check_url
from undersign.adapters.identity.sign_in_settings import SignInProvider
from undersign.application.access.identity_ports import (
    IdentityProviderUnavailable,
    SignInRejected,
    TokenRejected,
    TokenRejection,
    VerifiedSignIn,
)

log = structlog.get_logger("undersign.identity")

PENDING_LIFETIME = timedelta(minutes=10)
MAX_PENDING_BYTES = 4096
MAX_NAME_LENGTH = 200
_MAX_PARAMETER_LENGTH = 2048  # a code or a state in the provider's answer
_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,64}$")
# The bearer tokens' verifier insists on a role; the sign-in's role is optional and mapped here.
_ANY_ROLE = ClaimMapping(value="viewer")
_PENDING_FIELDS = frozenset({"provider", "state", "nonce", "code_verifier", "redirect_uri", "created_at"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingSignIn:
    """A sign-in begun and not yet finished: what the provider's answer must match, and when it began (UTC).

    Secret to the browser that began it: the HTTP layer seals it (encrypts and authenticates)
    before it leaves the server, and takes it back once.
    """

    provider: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str
    created_at: datetime

    def to_bytes(self) -> bytes:
        return json.dumps({
            "provider": self.provider, "state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri, "created_at": self.created_at.astimezone(UTC).isoformat(),
        }, separators=(",", ":")).encode()  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> PendingSignIn:
        """The pending sign-in `to_bytes` wrote; SignInRejected("bad_pending") for anything else."""
        try:
            document = json.loads(data) if len(data) <= MAX_PENDING_BYTES else None
        except (ValueError, UnicodeDecodeError):
            document = None
        if not isinstance(document, dict) or set(document) != _PENDING_FIELDS:
            raise _bad_pending()
        if not all(isinstance(value, str) and 0 < len(value) <= _MAX_PARAMETER_LENGTH for value in document.values()):
            raise _bad_pending()
        try:
            created_at = datetime.fromisoformat(document["created_at"])
        except ValueError:
            raise _bad_pending() from None
        if created_at.tzinfo is None:
            raise _bad_pending()
        return cls(**{**document, "created_at": created_at.astimezone(UTC)})


@dataclass(frozen=True, slots=True, kw_only=True)
class _Endpoints:
    authorization: str
    token: str
    jwks_uri: str
    sends_iss: bool  # authorization_response_iss_parameter_supported: an answer without `iss` is then refused


class OidcSignIn:
    """Sign-in through the provider `config` names (see the module's docstring). `aclose()` at shutdown.

    `client` makes the requests to the provider (one is made if none is given); `now` is the
    clock for the pending sign-in's age and the ID token's times, `monotonic` for how long the
    discovery document and keys are kept (an hour; a failed fetch is retried after a minute).
    """

    def __init__(
        self, config: SignInProvider, *, client: httpx.AsyncClient | None = None, timeout_seconds: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC), monotonic: Callable[[], float] = time.monotonic,
        discovery_max_age_seconds: int = 3600, retry_seconds: int = 60,
    ) -> None:  # fmt: skip
        self.config = config
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            follow_redirects=False, timeout=httpx.Timeout(timeout_seconds), headers={"User-Agent": "Undersign"}
        )
        self._timeout = timeout_seconds
        self._now = now
        self._monotonic = monotonic
        self._max_age = discovery_max_age_seconds
        self._retry = retry_seconds
        self._endpoints: _Endpoints | None = None
        self._discovered_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self._verifier: OidcTokenVerifier | None = None
        self._token_config = IssuerConfig(
            issuer=config.issuer, audience=config.client_id, tenant=config.tenant, role=_ANY_ROLE,
            algorithms=config.algorithms, leeway_seconds=config.leeway_seconds,
            jwks_refresh_seconds=retry_seconds, jwks_max_age_seconds=max(discovery_max_age_seconds, retry_seconds),
        )  # fmt: skip

    @property
    def name(self) -> str:
        return self.config.name

    async def begin(self, *, redirect_uri: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and the sign-in to keep until it comes back.

        `redirect_uri` is where the provider sends the browser back (registered with the
        provider); ValueError if it is not https (or http on loopback).
        """
        try:
            check_url(redirect_uri, "redirect_uri")
        except OidcSettingsError as error:
            raise ValueError(str(error)) from None
        endpoints = await self._discovered()
        pending = PendingSignIn(
            provider=self.config.name, state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64), redirect_uri=redirect_uri, created_at=self._now().astimezone(UTC),
        )  # fmt: skip
        url = prepare_grant_uri(
            endpoints.authorization, self.config.client_id, "code", redirect_uri=redirect_uri,
            scope=" ".join(self.config.scopes), state=pending.state, nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier), code_challenge_method="S256",
        )  # fmt: skip
        return url, pending

    async def finish(self, pending: PendingSignIn, *, query: Mapping[str, str]) -> VerifiedSignIn:
        """Whom the provider vouched for in its answer (`query`: the redirect's query parameters) to `pending`.

        Raises SignInRejected (see the module's docstring), or IdentityProviderUnavailable.
        The HTTP layer must also take `pending` back only once (its state is single-use).
        """
        try:
            return await self._finish(pending, query)
        except SignInRejected as rejection:
            log.info("sign-in refused", provider=self.config.name, reason=rejection.reason, detail=rejection.detail)
            raise

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _finish(self, pending: PendingSignIn, query: Mapping[str, str]) -> VerifiedSignIn:
        if pending.provider != self.config.name:
            raise SignInRejected("state_mismatch", "the answer is not for a sign-in this browser began here")
        now = self._now()
        age = now - pending.created_at
        if age > PENDING_LIFETIME or age < -timedelta(seconds=self.config.leeway_seconds):
            raise SignInRejected("expired", "the sign-in took too long: please start again")
        state = _parameter(query, "state")
        if state is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SignInRejected("state_mismatch", "the answer is not for the sign-in this browser began")
        endpoints = await self._discovered()
        issuer = query.get("iss")
        if (issuer is None and endpoints.sends_iss) or (issuer is not None and issuer != self.config.issuer):
            raise SignInRejected("issuer_mismatch", "the answer does not come from the identity provider asked")
        if "error" in query:
            error = query["error"]
            code = error if isinstance(error, str) and _ERROR_CODE.match(error) else "unknown"
            raise SignInRejected("provider_error", f"the identity provider did not sign you in ({code})")
        code = _parameter(query, "code")
        if code is None:
            raise SignInRejected("provider_error", "the identity provider's answer has no authorization code")
        id_token = await self._exchange(endpoints.token, code, pending)
        return await self._verified(id_token, pending)

    async def _discovered(self) -> _Endpoints:
        """The provider's endpoints, from a discovery document fetched less than `discovery_max_age_seconds` ago
        (or the last one fetched, while a new one cannot be had)."""
        if self._endpoints is not None and self._discovered_at is not None:
            if self._monotonic() - self._discovered_at < self._max_age:
                return self._endpoints
        async with self._lock:
            stale = self._discovered_at is None or self._monotonic() - self._discovered_at >= self._max_age
            may_try = self._attempted_at is None or self._monotonic() - self._attempted_at >= self._retry
            if stale and may_try:
                self._attempted_at = self._monotonic()
                try:
                    endpoints = await self._discover()
                except FetchFailed as error:
                    log.warning("identity provider discovery failed", issuer=self.config.issuer, error=str(error))
                else:
                    if self._verifier is None or self._endpoints is None or self._endpoints.jwks_uri != endpoints.jwks_uri:
                        self._verifier = OidcTokenVerifier(
                            [replace(self._token_config, jwks_uri=endpoints.jwks_uri)], client=self._client,
                            timeout_seconds=self._timeout, now=self._now, monotonic=self._monotonic,
                        )  # fmt: skip
                    self._endpoints, self._discovered_at = endpoints, self._monotonic()
        if self._endpoints is None:
            raise IdentityProviderUnavailable("the identity provider cannot be reached right now")
        return self._endpoints

    async def _discover(self) -> _Endpoints:
        url = f"{self.config.issuer.rstrip('/')}/.well-known/openid-configuration"
        document = await fetch_json(self._client, url, timeout_seconds=self._timeout)
        if document.get("issuer") != self.config.issuer:
            raise FetchFailed(f"{url} names another issuer ({document.get('issuer')!r})")
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str):
                raise FetchFailed(f"{url} has no {name}")
            try:
                endpoints[name] = check_url(value, f"the discovered {name}")
            except OidcSettingsError as error:
                raise FetchFailed(str(error)) from None
        methods = document.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise FetchFailed(f"{url}: the provider does not support PKCE with S256")
        return _Endpoints(
            authorization=endpoints["authorization_endpoint"], token=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"], sends_iss=document.get("authorization_response_iss_parameter_supported") is True,
        )  # fmt: skip

    async def _exchange(self, token_endpoint: str, code: str, pending: PendingSignIn) -> str:
        """The ID token the token endpoint gives for `code` (with the PKCE verifier and the client's authentication)."""
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=pending.redirect_uri, code_verifier=pending.code_verifier
        )
        method = self.config.token_endpoint_auth_method
        auth = ClientAuth(self.config.client_id, self.config.client_secret,
                          _encode_client_secret_basic if method == "client_secret_basic" else method)  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        _, headers, body = auth.prepare("POST", token_endpoint, headers, body)
        status, document = await self._post(token_endpoint, headers, body)
        if status >= 500:
            log.warning("identity provider token endpoint failed", issuer=self.config.issuer, status=status)
            raise IdentityProviderUnavailable("the identity provider cannot be reached right now")
        if status != 200 or document is None:
            error = document.get("error") if document is not None else None
            log.info("identity provider refused the code", issuer=self.config.issuer, status=status,
                     error=error if isinstance(error, str) and _ERROR_CODE.match(error) else None)  # fmt: skip
            raise SignInRejected("token_exchange_failed", "the identity provider did not accept the sign-in's code")
        id_token = document.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInRejected("token_exchange_failed", "the identity provider's answer has no ID token")
        return id_token

    async def _post(self, url: str, headers: dict[str, str], body: str) -> tuple[int, dict[str, Any] | None]:
        """The status and JSON object (None if the answer is not one) of a bounded POST: no redirect,
        at most MAX_DOCUMENT_BYTES, within the timeout in all."""
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.stream("POST", url, headers=headers, content=body.encode()) as response:
                    received = bytearray()
                    async for chunk in response.aiter_bytes():
                        received += chunk
                        if len(received) > MAX_DOCUMENT_BYTES:
                            raise SignInRejected("token_exchange_failed", "the identity provider's answer is too long")
                    status = response.status_code
        except TimeoutError:
            log.warning("identity provider token endpoint timed out", issuer=self.config.issuer)
            raise IdentityProviderUnavailable("the identity provider cannot be reached right now") from None
        except httpx.HTTPError as error:
            log.warning("identity provider token endpoint unreachable", issuer=self.config.issuer,
                        error=type(error).__name__)  # fmt: skip
            raise IdentityProviderUnavailable("the identity provider cannot be reached right now") from None
        try:
            document = json.loads(received)
        except (ValueError, RecursionError):
            return status, None
        return status, document if isinstance(document, dict) else None

    async def _verified(self, id_token: str, pending: PendingSignIn) -> VerifiedSignIn:
        assert self._verifier is not None  # made with the endpoints
        try:
            verified = await self._verifier.verify(id_token)
        except TokenRejected as rejection:
            if rejection.reason is TokenRejection.UNMAPPED:
                raise SignInRejected("unmapped", "your identity provider's account names no tenant here") from None
            raise SignInRejected("bad_id_token", f"the identity provider's ID token was refused "
                                                 f"({rejection.reason.value})") from None  # fmt: skip
        # The verifier checked the signature over exactly these bytes; read them again for the ID token's own claims.
        claims = _payload(id_token)
        if claims.get("iat") is None:
            raise SignInRejected("bad_id_token", "the identity provider's ID token has no issue time (iat)")
        audience = claims.get("aud")
        azp = claims.get("azp")
        if azp is not None or (isinstance(audience, list) and len(audience) > 1):
            if azp != self.config.client_id:
                raise SignInRejected("bad_id_token", "the identity provider's ID token is for another party (azp)")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), pending.nonce.encode()):
            raise SignInRejected("nonce_mismatch", "the ID token is not the answer to this sign-in (nonce)")
        return VerifiedSignIn(
            issuer=verified.issuer, subject=verified.subject, tenant_slug=verified.tenant_slug,
            # An address the provider does not say it verified could be anyone's: users are linked by
            # email, so only a verified one is passed on.
            email=verified.email if claims.get("email_verified") is True else None,
            name=_name(claims.get("name")),
            role_name=None if self.config.role is None else _mapped(claims, self.config.role),
            maps_roles=self.config.role is not None,
        )  # fmt: skip


def _parameter(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_PARAMETER_LENGTH:
        return None
    return value


def _encode_client_secret_basic(
    auth: ClientAuth, method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    # RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined (authlib's own encoder does not).
    credentials = f"{urllib.parse.quote_plus(auth.client_id)}:{urllib.parse.quote_plus(auth.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return uri, headers, body


def _payload(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH:
        raise SignInRejected("bad_id_token", "the identity provider's ID token is too long")
    try:
        segment = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, binascii.Error, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise SignInRejected("bad_id_token", "the identity provider's ID token has no claims")
    return claims


def _name(value: object) -> str | None:
    """The person's display name, if it is one: printable (no control or format characters), of sensible length."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH or not value.isprintable():
        return None
    return value.strip()


def _bad_pending() -> SignInRejected:
    return SignInRejected("bad_pending", "the sign-in this browser began cannot be read: please start again")
