"""An issuer's key set: the published keys kept; what a fetch refuses (size, redirects, non-JSON, another issuer)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from undersign.adapters.identity.jwks import MAX_DOCUMENT_BYTES, FetchFailed, IssuerKeys, fetch_json, signing_keys
from undersign.adapters.identity.settings import parse_oidc_issuers
from undersign.application.access.identity_ports import IdentityProviderUnavailable

ISSUER = "https://login.example.com"


def public(key: Any, **extra: str) -> dict[str, Any]:
    return {**key.as_dict(private=False), **extra}


def weak_rsa_jwk(*, kid: str) -> dict[str, Any]:
    """A 1024-bit RSA public key (the JOSE library refuses to make one)."""
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return {"kty": "RSA", "kid": kid, "n": b64(numbers.n), "e": b64(numbers.e)}


def test_only_asymmetric_signature_keys_are_kept() -> None:
    document = {"keys": [
        public(RSAKey.generate_key(2048), kid="rsa"),
        public(ECKey.generate_key("P-256"), kid="ec", use="sig"),
        public(OKPKey.generate_key("Ed25519"), kid="ed"),
        public(ECKey.generate_key("P-256"), kid="ec", alg="ES256"),  # a second key under the same kid is kept too
        public(OctKey.generate_key(256), kid="secret"),  # a shared secret: never
        public(RSAKey.generate_key(2048), kid="encryption", use="enc"),
        weak_rsa_jwk(kid="weak"),
        {**public(RSAKey.generate_key(2048)), "kid": None},
        {"kty": "RSA", "kid": "broken", "n": "AQAB", "e": 7},
        "not a key",
    ]}  # fmt: skip
    keys = signing_keys(document)
    assert sorted(keys) == ["ec", "ed", "rsa"]
    assert len(keys["ec"]) == 2
    assert not keys["rsa"][0].is_private  # a private part published by mistake is not kept either


def test_private_parts_published_by_mistake_are_dropped() -> None:
    rsa = RSAKey.generate_key(2048)
    (key,) = signing_keys({"keys": [{**rsa.as_dict(private=True), "kid": "oops"}]})["oops"]
    assert not key.is_private


def test_a_document_without_keys_is_refused() -> None:
    with pytest.raises(FetchFailed):
        signing_keys({"keys": "none"})


def serving(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=False)


@pytest.mark.parametrize(("response", "expected"), [
    (httpx.Response(302, headers={"Location": "https://elsewhere.example/keys"}), "answered HTTP 302"),
    (httpx.Response(500), "answered HTTP 500"),
    (httpx.Response(200, content=b"x" * (MAX_DOCUMENT_BYTES + 1)), f"more than {MAX_DOCUMENT_BYTES} bytes"),
    (httpx.Response(200, content=b"<html>"), "did not answer JSON"),
    (httpx.Response(200, json=[1, 2]), "did not answer a JSON object"),
])  # fmt: skip
async def test_a_fetch_refuses_what_is_not_a_small_json_object(response: httpx.Response, expected: str) -> None:
    async with serving(lambda request: response) as client:
        with pytest.raises(FetchFailed, match=expected):
            await fetch_json(client, f"{ISSUER}/keys", timeout_seconds=5)


async def test_discovery_must_name_the_same_issuer_and_a_secure_jwks_uri() -> None:
    (config,) = parse_oidc_issuers(json.dumps([{
        "issuer": ISSUER, "audience": "api", "tenant": {"value": "acme"}, "role": {"value": "viewer"},
    }]))  # fmt: skip
    for discovery in ({"issuer": "https://evil.example", "jwks_uri": f"{ISSUER}/keys"},
                      {"issuer": ISSUER, "jwks_uri": "http://login.example.com/keys"},
                      {"issuer": ISSUER}):  # fmt: skip
        requests: list[str] = []

        def handler(
            request: httpx.Request, discovery: dict[str, Any] = discovery, requests: list[str] = requests
        ) -> httpx.Response:
            requests.append(request.url.path)
            return httpx.Response(200, json=discovery)

        async with serving(handler) as client:
            keys = IssuerKeys(config, client)
            with pytest.raises(IdentityProviderUnavailable):
                await keys.keys_for("any")
        assert requests == ["/.well-known/openid-configuration"]  # the keys were never asked for
