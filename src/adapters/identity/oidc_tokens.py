"""API bearer tokens: JWTs from the configured OpenID Providers, verified against their published keys.

`OidcTokenVerifier` serves the `BearerTokenVerifier` port. For a token it:

1. reads the header and claims without trusting them, only to choose: the algorithm must be
   asymmetric (RS256, PS256, ES256, EdDSA/Ed25519; never `none` nor HS*, so a token "signed"
   with an issuer's public key as an HMAC secret is refused before any key is looked at) and
   allowed for the issuer named by `iss`, which must be one configured;
2. takes the issuer's key with the token's `kid` from its key set (jwks.py: cached, fetched
   again for an unknown kid at most once per interval), of the type the algorithm needs; keys
   named inside the token (`jwk`, `jku`, `x5u`, `x5c`) are never used;
3. verifies the signature with the JOSE library (joserfc, the JOSE implementation of the
   Authlib project, which `authlib.jose` now defers to);
4. checks issuer, audience, expiry, not-before and issued-at with a small leeway, and maps the
   claims to a tenant, a subject and a role by the issuer's configuration (claims.py).

Every refusal is a `TokenRejected` with a reason and a message that never holds the token.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning

from undersign.adapters.identity.claims import checked_identity
from undersign.adapters.identity.jwks import IssuerKeys, PublicKey
from undersign.adapters.identity.settings import IssuerConfig
from undersign.application.access.identity_ports import TokenRejected, TokenRejection, VerifiedToken

MAX_TOKEN_LENGTH = 16 * 1024
# The asymmetric algorithms of settings.ALGORITHMS, and the key type (and curves) each needs.
KEY_TYPES: dict[str, tuple[str, frozenset[str] | None]] = {
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    "ES256": ("EC", frozenset({"P-256"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
    "Ed25519": ("OKP", frozenset({"Ed25519"})),
}
# RFC 9864 names EdDSA over Ed25519 "Ed25519"; a key published for one serves the other.
_SAME_ALGORITHM = {"EdDSA": {"EdDSA", "Ed25519"}, "Ed25519": {"EdDSA", "Ed25519"}}
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class OidcTokenVerifier:
    """Verifies bearer JWTs from the `issuers` (see the module's docstring). `aclose()` at shutdown.

    `client` fetches discovery documents and key sets (one is made if none is given);
    `now` and `monotonic` are the clocks for token times and for the key sets' refresh intervals.
    """

    def __init__(
        self, issuers: Sequence[IssuerConfig], *, client: httpx.AsyncClient | None = None,
        timeout_seconds: float = 5.0, now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            follow_redirects=False, timeout=httpx.Timeout(timeout_seconds), headers={"User-Agent": "Undersign"}
        )
        self._now = now
        self._issuers = {config.issuer: config for config in issuers}
        self._keys = {
            config.issuer: IssuerKeys(config, self._client, timeout_seconds=timeout_seconds, monotonic=monotonic)
            for config in issuers
        }
        self._registry = jws.JWSRegistry(algorithms=list(KEY_TYPES), strict_check_header=False)
        self._registry.max_header_length = 8 * 1024  # a header may carry a certificate chain (x5c)

    async def verify(self, token: str) -> VerifiedToken:
        header, claims = _unverified(token)
        algorithm = header["alg"]
        if algorithm not in KEY_TYPES:
            raise TokenRejected(TokenRejection.DISALLOWED_ALGORITHM, "the token's signature algorithm is not accepted")
        issuer = claims.get("iss")
        config = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if config is None:
            raise TokenRejected(TokenRejection.WRONG_ISSUER, "the token is from an issuer this API does not trust")
        if algorithm not in config.algorithms:
            raise TokenRejected(TokenRejection.DISALLOWED_ALGORITHM, "the token's signature algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected(TokenRejection.UNKNOWN_KEY, "the token names no signing key (kid)")
        keys = await self._keys[config.issuer].keys_for(kid)
        if not keys:
            raise TokenRejected(TokenRejection.UNKNOWN_KEY, "the token names a signing key the issuer does not publish")
        key = _key_for(keys, algorithm)
        if key is None:
            raise TokenRejected(TokenRejection.BAD_SIGNATURE, "the token's key does not sign with its algorithm")
        verified = self._verified_payload(token, key, algorithm)
        return checked_identity(verified, config, now=self._now())

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _verified_payload(self, token: str, key: PublicKey, algorithm: str) -> dict[str, Any]:
        try:
            with warnings.catch_warnings():
                # joserfc warns that RFC 9864 deprecates the name EdDSA; identity providers still sign with it.
                warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
                # The registry allows every algorithm of KEY_TYPES; `algorithm` (the header's) was checked
                # against the issuer's list above, and `key` is of the type it needs.
                signed = jws.deserialize_compact(token, key, registry=self._registry)
        except BadSignatureError:
            raise TokenRejected(TokenRejection.BAD_SIGNATURE, "the token's signature does not verify") from None
        except (JoseError, ValueError, TypeError):
            raise _malformed("the token is not a well-formed signed JWT") from None
        claims = _json_object(signed.payload)
        if claims is None:
            raise _malformed("the token's claims are not a JSON object")
        return claims


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, read without trusting them; alg is a string."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _COMPACT.match(token):
        raise _malformed("the bearer token is not a compact JWT")
    encoded_header, encoded_claims, _ = token.split(".")
    header, claims = _json_object(_b64(encoded_header)), _json_object(_b64(encoded_claims))
    if header is None or claims is None:
        raise _malformed("the token's header or claims are not a JSON object")
    if not isinstance(header.get("alg"), str):
        raise _malformed("the token's header names no algorithm")
    return header, claims


def _b64(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json_object(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _key_for(keys: list[PublicKey], algorithm: str) -> PublicKey | None:
    """The key of the type (and curve) `algorithm` needs, whose own `alg`, if it names one, is that algorithm."""
    kty, curves = KEY_TYPES[algorithm]
    for key in keys:
        if key.key_type != kty or key.get("alg", algorithm) not in _SAME_ALGORITHM.get(algorithm, {algorithm}):
            continue
        if curves is None or key.get("crv") in curves:
            return key
    return None


def _malformed(detail: str) -> TokenRejected:
    return TokenRejected(TokenRejection.MALFORMED, detail)
