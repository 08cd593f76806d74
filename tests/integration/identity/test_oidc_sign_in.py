"""Browser sign-in (authorization code + PKCE) against a real OpenID Provider (oidc-provider on loopback).

The browser is played by httpx: `OidcProvider.log_in` follows the provider's redirects and
submits its development login and consent forms, and stops at the redirect back to the
client, whose query `finish` then reads. Attacks change one thing each: the state, the
nonce, the code (replayed, or with another verifier), the issuer, the token endpoint's
answer (another client's ID token, a forged one), or the time.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from tests.oidc_provider import Account, OidcProvider, WebClient
from tests.servers import free_port
from undersign.adapters.identity.oidc_sign_in import OidcSignIn, PendingSignIn
from undersign.adapters.identity.sign_in_settings import SignInProvider, parse_sign_in_providers
from undersign.application.access.identity_ports import IdentityProviderUnavailable, SignInRejected, VerifiedSignIn

REDIRECT_URI = "http://127.0.0.1:9/sign-in/oidc/test/callback"  # never served: the walk stops at the redirect
ACCOUNTS = [
    Account(account_id="alice", email="alice@acme.test", name="Alice Liddell", groups=("acme-staff", "esign-admins")),
    Account(account_id="bob", email="bob@acme.test", name="Bob", groups=("acme-staff", "marketing")),
    Account(account_id="carol", email="carol@acme.test", email_verified=False, groups=("acme-staff",)),
    Account(account_id="dave", email="dave@globex.test", groups=("globex-staff", "esign-admins")),
]


def sign_in_settings(provider: OidcProvider, client: WebClient, *, name: str = "test") -> SignInProvider:
    return sign_in_settings_for(provider.issuer, client, name=name)


def sign_in_settings_for(issuer: str, client: WebClient, *, name: str = "test") -> SignInProvider:
    """How an operator configures the provider in UNDERSIGN_OIDC_SIGN_IN."""
    item: dict[str, Any] = {
        "name": name, "issuer": issuer, "client_id": client.client_id,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "tenant": {"claim": "groups", "map": {"acme-staff": "acme"}},
        "role": {"claim": "groups", "map": {"esign-admins": "admin", "esign-senders": "sender"}},
    }  # fmt: skip
    if client.client_secret is not None:
        item["client_secret"] = client.client_secret
    (config,) = parse_sign_in_providers(json.dumps([item]))
    return config


@pytest.fixture
def accounts(oidc_provider: OidcProvider) -> Iterator[None]:
    oidc_provider.set_accounts(ACCOUNTS)
    yield
    oidc_provider.set_accounts([])


@pytest.fixture
def web_client(oidc_provider: OidcProvider, accounts: None) -> WebClient:
    return oidc_provider.register_web_client([REDIRECT_URI])


@pytest.fixture
async def sign_in(oidc_provider: OidcProvider, web_client: WebClient) -> AsyncIterator[OidcSignIn]:
    sign_in = OidcSignIn(sign_in_settings(oidc_provider, web_client))
    try:
        yield sign_in
    finally:
        await sign_in.aclose()


async def answer(
    provider: OidcProvider, sign_in: OidcSignIn, account_id: str, **options: Any
) -> tuple[PendingSignIn, dict[str, str]]:
    """A sign-in begun, and the query of the provider's redirect back after `account_id` logged in."""
    url, pending = await sign_in.begin(redirect_uri=REDIRECT_URI)
    callback = await asyncio.to_thread(provider.log_in, url, account_id=account_id, **options)
    assert callback.startswith(REDIRECT_URI + "?"), callback
    return pending, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))


async def rejected(sign_in: OidcSignIn, pending: PendingSignIn, query: dict[str, str], *, detail: str = "") -> str:
    """Why `finish` refused the answer (its detail holding `detail`, and none of the sign-in's secrets)."""
    with pytest.raises(SignInRejected) as caught:
        await sign_in.finish(pending, query=query)
    for secret in (query.get("code"), pending.code_verifier, pending.nonce):
        assert not secret or secret not in caught.value.detail
    assert detail in caught.value.detail
    return caught.value.reason


# -- the authorization request --------------------------------------------------------------------------


async def test_begin_asks_for_a_code_with_pkce_state_and_nonce(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    url, pending = await sign_in.begin(redirect_uri=REDIRECT_URI)
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == oidc_provider.issuer
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert query["response_type"] == "code" and query["scope"] == "openid email profile"
    assert query["client_id"] == sign_in.config.client_id and query["redirect_uri"] == REDIRECT_URI
    assert query["state"] == pending.state and query["nonce"] == pending.nonce
    assert query["code_challenge_method"] == "S256" and pending.code_verifier not in url
    assert len(query["code_challenge"]) == 43 and len(pending.code_verifier) >= 43
    _, again = await sign_in.begin(redirect_uri=REDIRECT_URI)
    assert {again.state, again.nonce, again.code_verifier}.isdisjoint({pending.state, pending.nonce, pending.code_verifier})
    assert pending.nonce not in repr(pending) and pending.code_verifier not in repr(pending)


async def test_a_redirect_uri_must_be_https_or_loopback(sign_in: OidcSignIn) -> None:
    with pytest.raises(ValueError, match="redirect_uri must be an https:// URL"):
        await sign_in.begin(redirect_uri="http://undersign.example/callback")


def test_a_pending_sign_in_survives_its_bytes_and_nothing_else_passes_for_one() -> None:
    pending = PendingSignIn(
        provider="test", state="s" * 43, nonce="n" * 43, code_verifier="v" * 86, redirect_uri=REDIRECT_URI,
        created_at=datetime(2026, 12, 2, 22, 0, tzinfo=UTC),
    )  # fmt: skip
    assert PendingSignIn.from_bytes(pending.to_bytes()) == pending
    document = json.loads(pending.to_bytes())
    for broken in (
        b"", b"not json", b"[]", json.dumps({**document, "extra": "x"}).encode(),
        json.dumps({k: v for k, v in document.items() if k != "nonce"}).encode(),
        json.dumps({**document, "state": 7}).encode(), json.dumps({**document, "created_at": "2026-12-02T22:00:00"}).encode(),
        json.dumps({**document, "created_at": "yesterday"}).encode(), b"{" + b" " * 5000 + b"}",
    ):  # fmt: skip
        with pytest.raises(SignInRejected) as caught:
            PendingSignIn.from_bytes(broken)
        assert caught.value.reason == "bad_pending"


# -- genuine sign-ins -----------------------------------------------------------------------------------


async def test_a_sign_in_maps_the_id_tokens_claims(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "alice")
    assert query["iss"] == oidc_provider.issuer
    assert await sign_in.finish(pending, query=query) == VerifiedSignIn(
        issuer=oidc_provider.issuer, subject="alice", tenant_slug="acme", email="alice@acme.test",
        name="Alice Liddell", role_name="admin", maps_roles=True,
    )  # fmt: skip


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post", "none"])
async def test_each_client_authentication_signs_in(oidc_provider: OidcProvider, accounts: None, auth_method: Any) -> None:
    client = oidc_provider.register_web_client([REDIRECT_URI], auth_method=auth_method)
    assert (client.client_secret is None) == (auth_method == "none")
    sign_in = OidcSignIn(sign_in_settings(oidc_provider, client))
    try:
        pending, query = await answer(oidc_provider, sign_in, "alice")
        verified = await sign_in.finish(pending, query=query)
    finally:
        await sign_in.aclose()
    assert (verified.subject, verified.tenant_slug, verified.role_name) == ("alice", "acme", "admin")


async def test_groups_mapping_to_no_role_name_none(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "bob")
    verified = await sign_in.finish(pending, query=query)
    assert (verified.subject, verified.tenant_slug, verified.role_name, verified.name) == ("bob", "acme", None, "Bob")


async def test_an_email_the_provider_says_is_unverified_is_not_passed_on(
    oidc_provider: OidcProvider, sign_in: OidcSignIn
) -> None:
    pending, query = await answer(oidc_provider, sign_in, "carol")
    verified = await sign_in.finish(pending, query=query)
    assert verified.subject == "carol" and verified.email is None and verified.name is None


async def test_an_account_mapping_to_no_tenant_is_unmapped(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "dave")
    assert await rejected(sign_in, pending, query) == "unmapped"


# -- attacks and refusals --------------------------------------------------------------------------------


async def test_a_state_that_is_not_the_pending_ones_is_refused(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "alice")
    assert await rejected(sign_in, pending, {**query, "state": pending.state[:-1] + "x"}) == "state_mismatch"
    assert await rejected(sign_in, pending, {k: v for k, v in query.items() if k != "state"}) == "state_mismatch"
    assert await rejected(sign_in, pending, {**query, "state": "é" * 43}) == "state_mismatch"
    other = replace(pending, provider="other")  # a sign-in begun with another provider
    assert await rejected(sign_in, other, query) == "state_mismatch"
    assert (await sign_in.finish(pending, query=query)).subject == "alice"  # the code was never spent


async def test_a_replayed_code_is_refused(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "alice")
    assert (await sign_in.finish(pending, query=query)).subject == "alice"
    assert await rejected(sign_in, pending, query) == "token_exchange_failed"


async def test_a_code_without_its_pkce_verifier_is_refused(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    """A code stolen from the redirect and injected into another browser's sign-in: that sign-in's verifier
    (and nonce) are not the code's."""
    _, stolen = await answer(oidc_provider, sign_in, "alice")
    victim, _ = await answer(oidc_provider, sign_in, "bob")
    assert await rejected(sign_in, victim, {**stolen, "state": victim.state}) == "token_exchange_failed"


async def test_an_id_token_with_another_nonce_is_refused(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "alice")
    assert await rejected(sign_in, replace(pending, nonce=pending.nonce[:-1] + "x"), query) == "nonce_mismatch"


@pytest.mark.parametrize("action", ["cancel", "query"])
async def test_an_error_from_the_provider_is_refused(
    oidc_provider: OidcProvider, sign_in: OidcSignIn, action: str
) -> None:
    if action == "cancel":  # the person cancels at the login page
        pending, query = await answer(oidc_provider, sign_in, "alice", action="cancel")
        assert query["error"] == "access_denied" and "code" not in query
    else:
        _, pending = await sign_in.begin(redirect_uri=REDIRECT_URI)
        query = {"error": "server_error\r\nX-Injected: 1", "state": pending.state, "iss": oidc_provider.issuer}
    with pytest.raises(SignInRejected) as caught:
        await sign_in.finish(pending, query=query)
    assert caught.value.reason == "provider_error"
    assert "\n" not in caught.value.detail and "Injected" not in caught.value.detail


async def test_an_answer_naming_another_issuer_or_none_is_refused(
    oidc_provider: OidcProvider, sign_in: OidcSignIn
) -> None:
    """RFC 9207: the provider says it names itself in every answer, so an answer without `iss` (or with
    another) may be another provider's (a mix-up attack)."""
    pending, query = await answer(oidc_provider, sign_in, "alice")
    assert await rejected(sign_in, pending, {**query, "iss": "https://evil.example"}) == "issuer_mismatch"
    assert await rejected(sign_in, pending, {k: v for k, v in query.items() if k != "iss"}) == "issuer_mismatch"


async def test_a_sign_in_older_than_ten_minutes_is_expired(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    pending, query = await answer(oidc_provider, sign_in, "alice")
    old = replace(pending, created_at=pending.created_at - timedelta(minutes=10, seconds=1))
    assert await rejected(sign_in, old, query) == "expired"
    future = replace(pending, created_at=pending.created_at + timedelta(minutes=5))
    assert await rejected(sign_in, future, query) == "expired"
    assert (await sign_in.finish(replace(pending, created_at=pending.created_at - timedelta(minutes=9)),
                                 query=query)).subject == "alice"  # fmt: skip


class SwappedTokenAnswer(httpx.AsyncBaseTransport):
    """The network between Undersign and the token endpoint, answering POSTs with `document` instead."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=self.document)
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


async def tokens_for(provider: OidcProvider, client: WebClient, pending: PendingSignIn, query: dict[str, str]) -> Any:
    """The token endpoint's genuine answer to `client` for the code in `query`."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(f"{provider.issuer}/token", auth=(client.client_id, client.client_secret or ""), data={
            "grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT_URI,
            "code_verifier": pending.code_verifier,
        })  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_id_token_for_another_client_is_refused(oidc_provider: OidcProvider, web_client: WebClient) -> None:
    """Another relying party's genuine ID token (right issuer, signature and nonce; audience not ours)."""
    other_client = oidc_provider.register_web_client([REDIRECT_URI])
    other = OidcSignIn(sign_in_settings(oidc_provider, other_client, name="other"))
    try:
        pending, query = await answer(oidc_provider, other, "alice")
    finally:
        await other.aclose()
    tokens = await tokens_for(oidc_provider, other_client, pending, query)
    async with httpx.AsyncClient(transport=SwappedTokenAnswer(tokens)) as http:
        ours = OidcSignIn(sign_in_settings(oidc_provider, web_client), client=http)
        assert await rejected(ours, replace(pending, provider="test"), query, detail="wrong_audience") == "bad_id_token"


async def test_a_forged_id_token_is_refused(oidc_provider: OidcProvider, sign_in: OidcSignIn) -> None:
    """Right claims, signed with a key of ours under the provider's key id."""
    pending, query = await answer(oidc_provider, sign_in, "alice")
    now = int(time.time())
    claims = {"iss": oidc_provider.issuer, "aud": sign_in.config.client_id, "sub": "alice", "iat": now, "exp": now + 60,
              "nonce": pending.nonce, "groups": ["acme-staff", "esign-admins"]}  # fmt: skip
    kid = oidc_provider.private_key("RSA")["kid"]
    forged = jws.serialize_compact({"alg": "RS256", "kid": kid}, json.dumps(claims), RSAKey.generate_key(2048))
    async with httpx.AsyncClient(transport=SwappedTokenAnswer({"id_token": forged, "token_type": "Bearer"})) as http:
        ours = OidcSignIn(sign_in.config, client=http)
        assert await rejected(ours, pending, query, detail="bad_signature") == "bad_id_token"
    async with httpx.AsyncClient(transport=SwappedTokenAnswer({"access_token": "x", "token_type": "Bearer"})) as http:
        ours = OidcSignIn(sign_in.config, client=http)
        assert await rejected(ours, pending, query) == "token_exchange_failed"


async def test_an_unreachable_provider_is_unavailable_not_a_rejection(web_client: WebClient) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    config = sign_in_settings_for(issuer, web_client)
    sign_in = OidcSignIn(config)
    try:
        with pytest.raises(IdentityProviderUnavailable):
            await sign_in.begin(redirect_uri=REDIRECT_URI)
    finally:
        await sign_in.aclose()
