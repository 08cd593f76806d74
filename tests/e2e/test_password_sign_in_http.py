"""Local sign-in over HTTP: a password, a TOTP authenticator set up when the tenant requires one, the
session that follows; refusals, lockout and replays."""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest

from tests.e2e import api
from tests.stack import Stack, serve, settings_for
from undersign.entrypoints.container import build_container, shutdown

PASSWORD = "correct horse battery staple"


@pytest.fixture(params=["http"])
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    # The test client speaks plain HTTP, and sends no Secure cookie: so the public URL is http here,
    # except where the cookies' flags themselves are the subject (https).
    public_url = f"{request.param}://testserver.local"
    async with serve(settings_for(tmp_path / "data", UNDERSIGN_PUBLIC_URL=public_url)) as stack:
        await api.post(stack, "/v1/users", {"email": "ana@acme.test", "name": "Ana", "role": "sender"})
        container = build_container(stack.settings)
        try:
            await container.use_cases().local_sign_ins.set_password("acme", "ana@acme.test", PASSWORD, actor="cli:test")
        finally:
            await shutdown(container)
        yield stack


async def require_mfa(stack: Stack) -> None:
    container = build_container(stack.settings)
    try:
        await container.use_cases().tenants.set_sign_in_policy("acme", require_mfa=True, actor="cli:test")
    finally:
        await shutdown(container)


async def sign_in(stack: Stack, password: str = PASSWORD):  # noqa: ANN201 - httpx.Response
    stack.client.cookies.clear()
    return await stack.client.post(
        "/sign-in/password", json={"tenant": "acme", "email": "ana@acme.test", "password": password}
    )


@pytest.mark.parametrize("stack", ["https"], indirect=True)
async def test_behind_https_the_session_cookie_is_secure_httponly_and_lax(stack: Stack) -> None:
    signed_in = await sign_in(stack)
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("undersign_session=")
    assert all(flag in cookie for flag in ("HttpOnly", "SameSite=lax", "Secure", "Path=/"))


async def test_a_password_starts_a_session_that_changes_things_only_with_its_csrf_token(stack: Stack) -> None:
    signed_in = await sign_in(stack)
    assert signed_in.status_code == 200 and signed_in.json() == {"signed_in": True}
    session = (await stack.client.get("/v1/session")).json()
    assert session["role"] == "sender"
    refused = await stack.client.post("/v1/envelopes", json={"subject": "No token"})
    api.problem(refused, 403, "forbidden")
    made = await stack.client.post("/v1/envelopes", json={"subject": "Mine"}, headers={"x-csrf-token": session["csrf_token"]})
    assert made.status_code == 201
    assert (await stack.client.post("/sign-out", headers={"x-csrf-token": session["csrf_token"]})).status_code == 204
    api.problem(await stack.client.get("/v1/envelopes"), 401, "unauthenticated")


async def test_wrong_passwords_are_refused_alike_and_then_lock_the_account(stack: Stack) -> None:
    unknown = await stack.client.post(
        "/sign-in/password", json={"tenant": "acme", "email": "nobody@acme.test", "password": PASSWORD}
    )
    wrong = await sign_in(stack, "not the password")
    assert api.problem(unknown, 401, "sign_in_rejected")["detail"] == api.problem(wrong, 401, "sign_in_rejected")["detail"]
    for _ in range(4):
        await sign_in(stack, "not the password")
    locked = await sign_in(stack)
    api.problem(locked, 429, "too_many_requests")
    assert int(locked.headers["retry-after"]) > 0
    assert "undersign_session" not in locked.cookies


async def test_a_tenant_requiring_mfa_enrols_the_user_and_then_asks_for_codes(stack: Stack) -> None:
    await require_mfa(stack)
    asked = await sign_in(stack)
    assert asked.json() == {"signed_in": False, "second_factor": "enrol"} and "undersign_session" not in asked.cookies
    api.problem(await stack.client.get("/v1/session"), 401, "unauthenticated")

    setup = await stack.client.post("/sign-in/password/enrol")
    assert setup.headers["cache-control"] == "no-store"
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(setup.json()["otpauth_uri"]).query)["secret"][0]
    wrong = await stack.client.post("/sign-in/password/second-factor", json={"code": "000000"})
    api.problem(wrong, 401, "sign_in_rejected")
    enrolled = await stack.client.post("/sign-in/password/second-factor", json={"code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200 and enrolled.json()["signed_in"] and len(enrolled.json()["recovery_codes"]) == 10
    assert (await stack.client.get("/v1/session")).status_code == 200

    again = await sign_in(stack)
    assert again.json() == {"signed_in": False, "second_factor": "totp"}
    replayed = await stack.client.post("/sign-in/password/second-factor", json={"code": pyotp.TOTP(secret).now()})
    api.problem(replayed, 401, "sign_in_rejected")  # that code confirmed the authenticator: spent
    recovered = await stack.client.post(
        "/sign-in/password/second-factor", json={"code": enrolled.json()["recovery_codes"][0]}
    )
    assert recovered.status_code == 200 and recovered.json() == {"signed_in": True}


async def test_the_second_step_needs_the_first_in_this_browser(stack: Stack) -> None:
    await require_mfa(stack)
    stack.client.cookies.clear()
    alone = await stack.client.post("/sign-in/password/second-factor", json={"code": "123456"})
    api.problem(alone, 401, "unauthenticated")
    stack.client.cookies.set("undersign_sign_in", "00" * 40)
    forged = await stack.client.post("/sign-in/password/enrol")
    api.problem(forged, 401, "unauthenticated")


async def test_a_sign_in_body_is_held_to_its_shape(stack: Stack) -> None:
    extra = await stack.client.post(
        "/sign-in/password", json={"tenant": "acme", "email": "ana@acme.test", "password": PASSWORD, "role": "owner"}
    )
    assert extra.status_code == 400
    long = await stack.client.post("/sign-in/password", json={"tenant": "acme", "email": "a@b.c", "password": "x" * 300})
    assert long.status_code == 400


async def test_failed_sign_ins_from_one_address_are_throttled_whatever_the_account(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", UNDERSIGN_PUBLIC_URL="http://testserver.local", UNDERSIGN_THROTTLE_AUTH_FAILURES="3")
    async with serve(settings) as stack:
        for n in range(3):
            guess = {"tenant": "acme", "email": f"user{n}@acme.test", "password": "guessing"}
            api.problem(await stack.client.post("/sign-in/password", json=guess), 401, "sign_in_rejected")
        refused = await stack.client.post(
            "/sign-in/password", json={"tenant": "acme", "email": "user9@acme.test", "password": "guessing"}
        )
        api.problem(refused, 429, "too_many_requests")
        assert int(refused.headers["retry-after"]) > 0


async def test_a_sign_in_posted_as_a_form_or_text_by_another_site_is_refused(stack: Stack) -> None:
    """Login CSRF: a page elsewhere can post text/plain or a form without asking; read as JSON, it would sign
    this browser in to an account of the page's choosing."""
    body = '{"tenant": "acme", "email": "ana@acme.test", "password": "' + PASSWORD + '"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        stack.client.cookies.clear()
        refused = await stack.client.post("/sign-in/password", content=body, headers={"content-type": content_type})
        assert refused.status_code == 415, (content_type, refused.text)
        assert "undersign_session" not in refused.cookies
