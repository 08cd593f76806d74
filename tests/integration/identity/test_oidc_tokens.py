"""API bearer tokens from a real OpenID Provider (oidc-provider on loopback), and every way a token must be refused.

Genuine tokens come from the provider's token endpoint (client-credentials grant, JWT access
tokens). Attack tokens are made here: some signed with the provider's own current key (so
only the claim under test is wrong), some with a key of our own, some not signed at all.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jws
from joserfc.jwk import RSAKey, import_key

from tests.integration.identity.conftest import API, OTHER_API
from tests.oidc_provider import ACCESS_TOKEN_TTL, OidcProvider
from tests.servers import free_port
from undersign.adapters.identity.oidc_tokens import OidcTokenVerifier
from undersign.adapters.identity.settings import IssuerConfig, parse_oidc_issuers
from undersign.application.access.identity_ports import (
    IdentityProviderUnavailable,
    TokenRejected,
    TokenRejection,
    VerifiedToken,
)

REFRESH_SECONDS = 60
MAX_AGE_SECONDS = 3600


class ManualClock:
    """A monotonic clock the test moves: refresh intervals pass without waiting."""

    def __init__(self) -> None:
        self.value = 1_000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


class Fetches:
    """What the verifier asked of the provider over HTTP (its httpx client's requests)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)

    def count(self, path: str) -> int:
        return self.paths.count(path)


def issuer_settings(issuer: str) -> IssuerConfig:
    """The provider's configuration, as an operator writes it in UNDERSIGN_OIDC_ISSUERS (no jwks_uri: discovered)."""
    text = json.dumps([{
        "issuer": issuer,
        "audience": API,
        "tenant": {"claim": "tenant"},
        "role": {"claim": "roles", "map": {
            "esign-admins": "admin", "esign-senders": "sender", "esign-auditors": "auditor", "esign-viewers": "viewer",
        }},
        "jwks_refresh_seconds": REFRESH_SECONDS,
        "jwks_max_age_seconds": MAX_AGE_SECONDS,
    }])  # fmt: skip
    (config,) = parse_oidc_issuers(text)
    return config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fetches() -> Fetches:
    return Fetches()


@pytest.fixture
async def verifier(
    oidc_provider: OidcProvider, clock: ManualClock, fetches: Fetches
) -> AsyncIterator[OidcTokenVerifier]:
    client = httpx.AsyncClient(timeout=5, follow_redirects=False, event_hooks={"request": [fetches]})
    verifier = OidcTokenVerifier([issuer_settings(oidc_provider.issuer)], client=client, monotonic=clock)
    try:
        yield verifier
    finally:
        await client.aclose()


def claims_for(provider: OidcProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": API, "sub": "forged-client", "iat": now, "exp": now + 300,
              "tenant": "acme", "roles": ["esign-senders"]}  # fmt: skip
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict[str, Any], key: dict[str, Any], *, alg: str = "RS256", kid: str | None = None) -> str:
    """A JWT over `claims` signed with the private JWK `key`, naming `kid` (the key's own by default)."""
    header = {"alg": alg, "typ": "at+jwt", "kid": kid or key["kid"]}
    return jws.serialize_compact(header, json.dumps(claims), import_key(key), algorithms=[alg])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


async def rejected(verifier: OidcTokenVerifier, token: str) -> TokenRejection:
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(token)
    if len(token) > 8:  # the message never carries the token (or any of its parts)
        assert all(part not in caught.value.detail for part in token.split(".") if len(part) > 8)
    return caught.value.reason


# -- genuine tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("client_id", "tenant", "role"), [
    ("acme-sender", "acme", "sender"),  # RS256
    ("acme-admin", "acme", "admin"),  # PS256; carries the sender group too: the first in the map wins
    ("globex-viewer", "globex", "viewer"),  # ES256
    ("initech-auditor", "initech", "auditor"),  # EdDSA (Ed25519)
])  # fmt: skip
async def test_a_token_from_the_provider_verifies_and_maps_to_tenant_and_role(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, client_id: str, tenant: str, role: str
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    verified = await verifier.verify(oidc_provider.token(client_id))
    assert verified == VerifiedToken(
        issuer=oidc_provider.issuer, subject=client_id, email=None, tenant_slug=tenant, role_name=role,
        expires_at=verified.expires_at,
    )  # fmt: skip
    assert before + timedelta(seconds=ACCESS_TOKEN_TTL - 5) <= verified.expires_at
    assert verified.expires_at <= datetime.now(UTC) + timedelta(seconds=ACCESS_TOKEN_TTL)


async def test_keys_are_discovered_once_and_cached(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, fetches: Fetches
) -> None:
    for client_id in ("acme-sender", "globex-viewer", "acme-sender"):
        await verifier.verify(oidc_provider.token(client_id))
    assert fetches.paths == ["/.well-known/openid-configuration", "/jwks"]


# -- claims ------------------------------------------------------------------------------------------------


async def test_a_token_for_another_api_is_refused(oidc_provider: OidcProvider, verifier: OidcTokenVerifier) -> None:
    token = oidc_provider.token("acme-sender", resource=OTHER_API)
    assert await rejected(verifier, token) == TokenRejection.WRONG_AUDIENCE


@pytest.mark.parametrize("client_id", ["acme-marketing", "tenantless"])
async def test_a_token_without_a_mapped_role_or_tenant_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, client_id: str
) -> None:
    assert await rejected(verifier, oidc_provider.token(client_id)) == TokenRejection.UNMAPPED


@pytest.mark.parametrize(("changes", "reason"), [
    ({"exp": int(time.time()) - 3600}, TokenRejection.EXPIRED),
    ({"nbf": int(time.time()) + 3600}, TokenRejection.NOT_YET_VALID),
    ({"iat": int(time.time()) + 3600}, TokenRejection.NOT_YET_VALID),
    ({"aud": ["https://other.test/api"]}, TokenRejection.WRONG_AUDIENCE),
    ({"aud": None}, TokenRejection.WRONG_AUDIENCE),
    ({"exp": None}, TokenRejection.MALFORMED),
    ({"exp": True}, TokenRejection.MALFORMED),
    ({"sub": ""}, TokenRejection.MALFORMED),
    ({"roles": "marketing"}, TokenRejection.UNMAPPED),
    ({"tenant": "Not A Slug"}, TokenRejection.UNMAPPED),
])  # fmt: skip
async def test_a_token_signed_by_the_provider_with_a_bad_claim_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, changes: dict[str, Any], reason: TokenRejection
) -> None:
    token = signed(claims_for(oidc_provider, **changes), oidc_provider.private_key("RSA"))
    assert await rejected(verifier, token) == reason


async def test_the_leeway_forgives_a_few_seconds_of_clock_difference(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    now = int(time.time())
    skewed = claims_for(oidc_provider, exp=now - 10, nbf=now + 10, iat=now + 10)
    token = signed(skewed, oidc_provider.private_key("RSA"))
    assert (await verifier.verify(token)).subject == "forged-client"


async def test_a_token_from_another_issuer_is_refused(oidc_provider: OidcProvider, verifier: OidcTokenVerifier) -> None:
    for issuer in ("https://evil.example", oidc_provider.issuer + "/", None):
        token = signed(claims_for(oidc_provider, iss=issuer), oidc_provider.private_key("RSA"))
        assert await rejected(verifier, token) == TokenRejection.WRONG_ISSUER


# -- algorithms and signatures ---------------------------------------------------------------------------------


async def test_an_unsigned_token_is_refused(oidc_provider: OidcProvider, verifier: OidcTokenVerifier) -> None:
    for alg in ("none", "None", "NONE"):
        token = unsigned({"alg": alg, "typ": "JWT", "kid": "rsa-1"}, claims_for(oidc_provider))
        assert await rejected(verifier, token) == TokenRejection.DISALLOWED_ALGORITHM


async def test_hs256_signed_with_the_providers_public_key_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, fetches: Fetches
) -> None:
    """The key-confusion attack: the public key, which anyone can fetch, used as an HMAC secret."""
    published = httpx.get(oidc_provider.jwks_uri).json()["keys"]
    rsa = next(key for key in published if key["kty"] == "RSA")
    secrets = [import_key(rsa).as_pem(private=False), json.dumps(rsa).encode()]
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        for secret in secrets:
            header = {"alg": alg, "typ": "JWT", "kid": rsa["kid"]}
            signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_for(oidc_provider)).encode())}"
            token = f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), digest).digest())}"
            assert await rejected(verifier, token) == TokenRejection.DISALLOWED_ALGORITHM
    assert fetches.paths == []  # refused before any key was looked up


async def test_an_algorithm_the_issuer_is_not_allowed_is_refused(oidc_provider: OidcProvider) -> None:
    config = issuer_settings(oidc_provider.issuer)
    only_es256 = OidcTokenVerifier([dataclasses.replace(config, algorithms=("ES256",))])
    try:
        token = oidc_provider.token("acme-sender")  # RS256
        assert await rejected(only_es256, token) == TokenRejection.DISALLOWED_ALGORITHM
        assert (await only_es256.verify(oidc_provider.token("globex-viewer"))).role_name == "viewer"
    finally:
        await only_es256.aclose()


async def test_a_token_signed_with_another_key_under_the_providers_kid_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    impostor = RSAKey.generate_key(2048).as_dict(private=True)
    token = signed(claims_for(oidc_provider), impostor, kid=oidc_provider.private_key("RSA")["kid"])
    assert await rejected(verifier, token) == TokenRejection.BAD_SIGNATURE


async def test_a_key_carried_in_the_token_itself_is_never_used(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    """The embedded-key attack: the token brings its own public key (`jwk`) or a URL of keys (`jku`, `x5u`)."""
    attacker = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    claims = json.dumps(claims_for(oidc_provider))
    for kid, reason in (("attacker", TokenRejection.UNKNOWN_KEY),
                        (oidc_provider.private_key("RSA")["kid"], TokenRejection.BAD_SIGNATURE)):  # fmt: skip
        header = {"alg": "RS256", "kid": kid, "jwk": attacker.as_dict(private=False),
                  "jku": "http://127.0.0.1:9/keys", "x5u": "http://127.0.0.1:9/cert"}  # fmt: skip
        token = jws.serialize_compact(header, claims, attacker, algorithms=["RS256"])
        assert await rejected(verifier, token) == reason


async def test_a_genuine_token_with_changed_claims_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    header, _, signature = oidc_provider.token("acme-sender").split(".")
    promoted = claims_for(oidc_provider, roles=["esign-admins"])
    token = f"{header}.{b64(json.dumps(promoted).encode())}.{signature}"
    assert await rejected(verifier, token) == TokenRejection.BAD_SIGNATURE


async def test_a_token_naming_a_key_of_another_type_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    """ES256 over the provider's RSA key id: no key of that kid can check it."""
    ec_key = oidc_provider.private_key("EC")
    token = signed(claims_for(oidc_provider), ec_key, alg="ES256", kid=oidc_provider.private_key("RSA")["kid"])
    assert await rejected(verifier, token) == TokenRejection.BAD_SIGNATURE


# -- key ids, refresh and rotation ----------------------------------------------------------------------------


async def test_an_unknown_kid_refreshes_the_keys_at_most_once_per_interval(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, clock: ManualClock, fetches: Fetches
) -> None:
    await verifier.verify(oidc_provider.token("acme-sender"))
    assert fetches.count("/jwks") == 1
    own_key = RSAKey.generate_key(2048).as_dict(private=True)
    flood = [signed(claims_for(oidc_provider), own_key, kid=f"made-up-{n}") for n in range(20)]

    # Within the interval of the first fetch: refused without asking the provider.
    assert {await rejected(verifier, token) for token in flood} == {TokenRejection.UNKNOWN_KEY}
    assert fetches.count("/jwks") == 1

    # Once the interval has passed, a flood of concurrent unknown kids costs one fetch.
    clock.advance(REFRESH_SECONDS)
    results = await asyncio.gather(*(verifier.verify(token) for token in flood), return_exceptions=True)
    assert {result.reason for result in results if isinstance(result, TokenRejected)} == {TokenRejection.UNKNOWN_KEY}
    assert len(results) == len(flood)
    assert fetches.count("/jwks") == 2
    assert fetches.count("/.well-known/openid-configuration") == 1

    # The known key still verifies without a fetch.
    await verifier.verify(oidc_provider.token("acme-sender"))
    assert fetches.count("/jwks") == 2


async def test_a_token_without_kid_is_refused(oidc_provider: OidcProvider, verifier: OidcTokenVerifier) -> None:
    key = oidc_provider.private_key("RSA")
    token = jws.serialize_compact({"alg": "RS256"}, json.dumps(claims_for(oidc_provider)), import_key(key), ["RS256"])
    assert await rejected(verifier, token) == TokenRejection.UNKNOWN_KEY


async def test_after_the_provider_rotates_its_keys_new_tokens_verify_and_withdrawn_keys_expire(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, clock: ManualClock, fetches: Fetches
) -> None:
    old_token = oidc_provider.token("acme-sender")
    await verifier.verify(old_token)
    clock.advance(REFRESH_SECONDS)

    oidc_provider.rotate_keys()
    new_token = oidc_provider.token("acme-sender")
    assert json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "==")).get("kid").endswith(
        f"-{oidc_provider.generation}"
    )
    assert (await verifier.verify(new_token)).role_name == "sender"  # the unknown kid fetched the new set
    assert fetches.count("/jwks") == 2

    # The new set no longer has the old key: a token signed with it is refused from now on.
    assert await rejected(verifier, old_token) == TokenRejection.UNKNOWN_KEY


async def test_the_key_set_is_fetched_again_when_it_is_older_than_its_max_age(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier, clock: ManualClock, fetches: Fetches
) -> None:
    await verifier.verify(oidc_provider.token("acme-sender"))
    clock.advance(MAX_AGE_SECONDS)
    await verifier.verify(oidc_provider.token("acme-sender"))
    assert fetches.count("/jwks") == 2


# -- malformed input and an unreachable provider -------------------------------------------------------------------


@pytest.mark.parametrize("token", [
    "",
    "not-a-jwt",
    "a.b",
    "a.b.c.d.e",
    "eyJhbGciOiJSUzI1NiJ9.!!!.sig",
    f"{b64(b'not json')}.{b64(b'{}')}.c2ln",
    f"{b64(b'[1]')}.{b64(b'{}')}.c2ln",
    f"{b64(json.dumps({'alg': 'RS256'}).encode())}.{b64(b'[]')}.c2ln",
    f"{b64(json.dumps({'alg': 7}).encode())}.{b64(b'{}')}.c2ln",
    f"{b64(json.dumps({'alg': 'RS256'}).encode())}.{'A' * 20_000}.c2ln",
    "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
])  # fmt: skip
async def test_a_malformed_token_is_refused(verifier: OidcTokenVerifier, token: str) -> None:
    assert await rejected(verifier, token) == TokenRejection.MALFORMED


async def test_a_token_with_an_unknown_critical_header_is_refused(
    oidc_provider: OidcProvider, verifier: OidcTokenVerifier
) -> None:
    key = oidc_provider.private_key("RSA")
    header = {"alg": "RS256", "kid": key["kid"], "crit": ["urn:example:must-understand"],
              "urn:example:must-understand": True}  # fmt: skip
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_for(oidc_provider)).encode())}"
    # Signed by hand: the JOSE library rightly refuses to make a token with a header it does not understand.
    signature = import_key(key).raw_value.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert await rejected(verifier, f"{signing_input}.{b64(signature)}") == TokenRejection.MALFORMED


async def test_an_unreachable_provider_is_unavailable_not_a_rejection(clock: ManualClock, fetches: Fetches) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = httpx.AsyncClient(timeout=2, event_hooks={"request": [fetches]})
    verifier = OidcTokenVerifier([issuer_settings(issuer)], client=client, monotonic=clock)
    own_key = RSAKey.generate_key(2048, parameters={"kid": "k1"}).as_dict(private=True)
    token = signed({"iss": issuer, "aud": API, "sub": "x", "exp": int(time.time()) + 60}, own_key)
    try:
        for _ in range(3):
            with pytest.raises(IdentityProviderUnavailable):
                await verifier.verify(token)
        assert len(fetches.paths) == 1  # tried once per interval, not at every request
    finally:
        await client.aclose()
