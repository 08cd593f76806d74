"""A recipient whose policy asks for a sign-in passes it at a real OpenID Provider (npm oidc-provider) over
HTTP: their verified email must be the recipient's; another account, or an unverified email, is refused and counted."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import api
from tests.oidc_provider import Account, OidcProvider
from tests.stack import Stack, serve, settings_for

PUBLIC_URL = "https://sign.example.test"
ACCOUNTS = [
    Account(account_id="ada", email="Ada.Lovelace@example.com", name="Ada Lovelace"),
    Account(account_id="eve", email="eve@example.com", name="Eve"),
    Account(account_id="ada-unverified", email="ada.lovelace@example.com", email_verified=False),
]


@pytest.fixture
async def stack(oidc_provider: OidcProvider, tmp_path: Path) -> AsyncIterator[Stack]:
    oidc_provider.set_accounts(ACCOUNTS)
    client = oidc_provider.register_web_client([f"{PUBLIC_URL}/sign/oidc/callback"])
    provider = {
        "name": "citizens", "issuer": oidc_provider.issuer, "client_id": client.client_id,
        "client_secret": client.client_secret, "tenant": {"value": "acme"},
    }  # fmt: skip
    settings = settings_for(
        tmp_path / "data", UNDERSIGN_OIDC_SIGN_IN=json.dumps([provider]), UNDERSIGN_SIGNER_OIDC_PROVIDER="citizens"
    )
    try:
        async with serve(settings) as stack:
            yield stack
    finally:
        oidc_provider.set_accounts([])


async def oidc_recipient(stack: Stack) -> tuple[str, str]:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace", authentication={"method": "oidc"})
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    return envelope_id, await api.signing_token(stack, envelope_id, ada)


def cookie_of(response, name: str) -> str:
    (value,) = [c.split(";", 1)[0] for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    return value


async def signed_in_as(stack: Stack, provider: OidcProvider, token: str, account_id: str):
    """The callback's answer after `account_id` signed in at the provider from the recipient's page."""
    started = await stack.client.get(f"/sign/{token}/oidc")
    assert started.status_code == 303, started.text
    assert started.headers["location"].startswith(provider.issuer)
    pending = cookie_of(started, "undersign_signer_sign_in")
    callback = await asyncio.to_thread(provider.log_in, started.headers["location"], account_id=account_id)
    assert callback.startswith(f"{PUBLIC_URL}/sign/oidc/callback?"), callback
    query = urllib.parse.urlsplit(callback).query
    return await stack.client.get(f"/sign/oidc/callback?{query}", headers={"Cookie": pending})


async def test_the_recipients_own_verified_email_passes(stack: Stack, oidc_provider: OidcProvider) -> None:
    envelope_id, token = await oidc_recipient(stack)
    assert (await stack.client.get(f"/v1/signing/{token}")).json()["authentication"]["method"] == "oidc"

    back = await signed_in_as(stack, oidc_provider, token, "ada")
    assert back.status_code == 303 and back.headers["location"] == f"/sign/{token}"
    assert back.headers["referrer-policy"] == "no-referrer"
    signer_pass = {"Cookie": cookie_of(back, "undersign_signer_pass")}
    session = (await stack.client.get(f"/v1/signing/{token}", headers=signer_pass)).json()
    assert session["authentication"]["passed"] and session["can_sign"]

    body = {"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True}
    assert (await stack.client.post(f"/v1/signing/{token}/sign", json=body, headers=signer_pass)).status_code == 200
    trail = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()["events"]
    passed = next(event for event in trail if event["type"] == "SignerAuthenticated")
    assert passed["data"] == {"signer_id": passed["data"]["signer_id"], "method": "oidc", "detail": oidc_provider.issuer}
    assert next(event for event in trail if event["type"] == "SignerSigned")["data"]["auth_method"] == "oidc"


@pytest.mark.parametrize("account_id", ["eve", "ada-unverified"])
async def test_another_account_or_an_unverified_email_is_refused(
    stack: Stack, oidc_provider: OidcProvider, account_id: str
) -> None:
    envelope_id, token = await oidc_recipient(stack)
    back = await signed_in_as(stack, oidc_provider, token, account_id)
    assert back.status_code == 303 and back.headers["location"] == f"/sign/{token}?sign_in=refused"
    assert "undersign_signer_pass=" not in " ".join(back.headers.get_list("set-cookie"))
    page = await stack.client.get(back.headers["location"])
    assert "is not the one this envelope was sent to" in page.text
    state = (await stack.client.get(f"/v1/signing/{token}")).json()["authentication"]
    assert state == {**state, "passed": False, "attempts_left": 4}
    trail = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()["events"]
    assert [event["data"]["method"] for event in trail if event["type"] == "SignerAuthenticationFailed"] == ["oidc"]


async def test_a_callback_without_the_browsers_sign_in_is_refused(stack: Stack, oidc_provider: OidcProvider) -> None:
    _, token = await oidc_recipient(stack)
    started = await stack.client.get(f"/sign/{token}/oidc")
    callback = await asyncio.to_thread(oidc_provider.log_in, started.headers["location"], account_id="ada")
    query = urllib.parse.urlsplit(callback).query
    api.problem(await stack.client.get(f"/sign/oidc/callback?{query}"), 401, "unauthenticated")


async def test_a_sign_in_is_refused_to_a_recipient_who_authenticates_otherwise(stack: Stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = await api.signing_token(stack, envelope_id, ada)
    api.problem(await stack.client.get(f"/sign/{token}/oidc"), 409, "invalid_state")
