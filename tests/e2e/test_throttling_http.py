"""Repeated failures, and a tenant past its rate, get a 429 problem with Retry-After.

httpx's ASGI transport gives every request of a client the same address; the tests that
need several addresses run the app behind one client per address (`from_addresses`).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e import api
from tests.stack import Stack, running, serve, settings_for
from undersign.adapters.sql import migrate
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import Container, build_container
from undersign.entrypoints.http.app import create_app

LIMITS = {"UNDERSIGN_THROTTLE_AUTH_FAILURES": "3", "UNDERSIGN_THROTTLE_TOKEN_FAILURES": "3",
          "UNDERSIGN_THROTTLE_WINDOW_SECONDS": "120"}  # fmt: skip


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with serve(settings_for(tmp_path / "data", **LIMITS)) as stack:
        yield stack


def bad_key() -> dict[str, str]:
    return {"Authorization": f"Bearer usk_{secrets.token_hex(16)}_{secrets.token_urlsafe(32)}"}


def assert_refused(response: httpx.Response, window: int = 120) -> None:
    body = api.problem(response, 429, "too_many_requests")
    assert 0 < int(response.headers["retry-after"]) <= window
    assert body["type"] == "urn:undersign:problem:too_many_requests" and body["title"] == "Too Many Requests"
    assert response.headers["x-request-id"]


async def test_after_its_allowance_of_bad_keys_an_address_is_refused_even_with_a_good_key(stack) -> None:
    for _ in range(3):
        assert (await stack.client.get("/v1/envelopes", headers=bad_key())).status_code == 401

    assert_refused(await stack.client.get("/v1/envelopes", headers=stack.headers))
    assert_refused(await stack.client.post("/v1/envelopes", json={"subject": "x"}, headers=stack.headers))
    # Signing links are counted apart: a signer sharing the address still gets their link's answer.
    api.problem(await stack.client.get(f"/v1/signing/{secrets.token_urlsafe(32)}"), 404)


async def test_successful_requests_use_up_no_allowance(stack) -> None:
    for _ in range(10):
        assert (await stack.client.get("/v1/envelopes", headers=stack.headers)).status_code == 200
    for _ in range(2):
        assert (await stack.client.get("/v1/envelopes", headers=bad_key())).status_code == 401

    assert (await stack.client.get("/v1/envelopes", headers=stack.headers)).status_code == 200


async def test_guessed_signing_links_are_refused_after_the_allowance(stack) -> None:
    for _ in range(3):
        api.problem(await stack.client.get(f"/v1/signing/{secrets.token_urlsafe(32)}"), 404)

    assert_refused(await stack.client.get(f"/v1/signing/{secrets.token_urlsafe(32)}"))
    assert_refused(await stack.client.get(f"/sign/{secrets.token_urlsafe(32)}"))
    # The API keys of the same address are not what was guessed.
    assert (await stack.client.get("/v1/envelopes", headers=stack.headers)).status_code == 200


@dataclass
class Installation:
    container: Container
    keys: dict[str, dict[str, str]]  # the Authorization header of acme's admin key, and of globex's
    client: Callable[[str], httpx.AsyncClient]  # a client whose requests come from this address


@asynccontextmanager
async def from_addresses(data_dir: Path, **env: str) -> AsyncIterator[Installation]:
    """The app of tests.stack.serve, reached through a client per address, with two tenants."""
    settings = settings_for(data_dir, **env)
    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.database_url)
    container = build_container(settings)
    tenants, keys = container.use_cases().tenants, {}
    for slug in ("acme", "globex"):
        await tenants.create(slug)
        keys[slug] = (await tenants.create_api_key(slug, AccessRole.ADMIN)).key
    app = create_app(container)

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")

    async with running(app):
        yield Installation(container, {slug: {"Authorization": f"Bearer {key}"} for slug, key in keys.items()}, client)


async def test_a_refused_address_costs_no_key_lookup_and_other_addresses_are_served(tmp_path: Path, monkeypatch) -> None:
    async with from_addresses(tmp_path / "data", **LIMITS) as app:
        keys, tenants = app.keys, app.container.use_cases().tenants
        async with app.client("198.51.100.7") as attacker, app.client("203.0.113.20") as neighbour:
            for _ in range(3):
                await attacker.get("/v1/envelopes", headers=bad_key())
            lookups, authenticate = [], tenants.authenticate

            async def counted(key: str):
                lookups.append(1)
                return await authenticate(key)

            monkeypatch.setattr(tenants, "authenticate", counted)
            assert_refused(await attacker.get("/v1/envelopes", headers=keys["acme"]))
            assert lookups == []  # refused before the database was asked
            assert (await neighbour.get("/v1/envelopes", headers=keys["acme"])).status_code == 200
            assert lookups == [1]


async def test_a_key_id_that_failed_from_many_addresses_has_its_failures_slowed_but_its_owner_gets_in(tmp_path: Path) -> None:
    # A key's id is not secret (audit trails name it): anyone could send wrong secrets with it
    # from many addresses. Past the allowance they are told to wait, and the key's owner, with
    # the right secret, is served all the same.
    async with from_addresses(tmp_path / "data", **LIMITS) as app:
        client, keys = app.client, app.keys
        key_id = keys["acme"]["Authorization"].split("_")[1]

        def wrong() -> dict[str, str]:
            return {"Authorization": f"Bearer usk_{key_id}_{secrets.token_urlsafe(32)}"}

        for n in range(3):
            async with client(f"203.0.113.{n}") as guesser:
                assert (await guesser.get("/v1/envelopes", headers=wrong())).status_code == 401
        async with client("192.0.2.50") as elsewhere:
            assert_refused(await elsewhere.get("/v1/envelopes", headers=wrong()))
            assert (await elsewhere.get("/v1/envelopes", headers=keys["acme"])).status_code == 200


async def test_probes_and_the_signing_pages_assets_are_never_throttled(tmp_path: Path) -> None:
    async with from_addresses(tmp_path / "data", **LIMITS) as app, app.client("198.51.100.7") as client:
        for _ in range(3):
            await client.get("/v1/envelopes", headers=bad_key())
            await client.get("/sign/assets/no-such-asset.js")
        assert_refused(await client.get("/v1/envelopes", headers=app.keys["acme"]))
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/ready")).status_code == 200
        assert (await client.get("/v1/signing/made-up")).status_code == 404  # asset misses counted no token guess


async def test_a_tenant_past_its_rate_is_refused_and_others_are_not(tmp_path: Path) -> None:
    async with from_addresses(tmp_path / "data", UNDERSIGN_TENANT_REQUESTS_PER_MINUTE="3") as app:
        client, keys = app.client, app.keys
        async with client("198.51.100.7") as acme, client("203.0.113.20") as globex:
            for _ in range(3):
                assert (await acme.get("/v1/envelopes", headers=keys["acme"])).status_code == 200

            assert_refused(await acme.get("/v1/envelopes", headers=keys["acme"]), window=60)
            assert_refused(await acme.post("/v1/envelopes", json={"subject": "x"}, headers=keys["acme"]), window=60)
            # The rate is the tenant's, whichever address it comes from; another tenant has its own.
            assert_refused(await globex.get("/v1/envelopes", headers=keys["acme"]), window=60)
            assert (await globex.get("/v1/envelopes", headers=keys["globex"])).status_code == 200
            listed = await acme.get("/v1/envelopes", headers=keys["globex"])
            assert listed.status_code == 200 and listed.json()["items"] == []


async def test_a_signers_wrong_codes_use_up_neither_the_addresss_api_allowance_nor_its_link_allowance(stack) -> None:
    envelope_id, document_id = await api.create_envelope(stack, pages=1)
    ada = await api.add_signer(stack, envelope_id, "Ada Lovelace", authentication={"method": "access_code", "access_code": "blue-harbour-7"})
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = await api.signing_token(stack, envelope_id, ada)
    for _ in range(4):  # more than either allowance (3), fewer than the recipient's own lock (5)
        api.problem(await stack.client.post(f"/v1/signing/{token}/authentication", json={"code": "guess"}), 401, "wrong_code")
    assert (await stack.client.get("/v1/envelopes", headers=stack.headers)).status_code == 200
    assert (await stack.client.get(f"/v1/signing/{token}")).status_code == 200
