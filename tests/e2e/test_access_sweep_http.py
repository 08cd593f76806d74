"""Every route of the app, walked with every role, no key, and another tenant's key, from the app's own route table.

A new route cannot escape: it must declare who may call it (a permission from
application.access, or `public=` with the reason), and then this sweep holds it to that.
A route this sweep cannot call yet (no sample request below) fails here until one is added.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e import api
from tests.pdf_samples import make_pdf
from tests.stack import Stack, serve, settings_for
from undersign.application.access.permissions import Permission, allows
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.http.browser_sessions import BY_COOKIE, BY_PASSWORD, BY_PROVIDER
from undersign.entrypoints.http.guards import PERMISSION, PUBLIC

# Parts of the app that are Litestar's own (the OpenAPI documents) and say nothing about anyone.
PASSWORD = "a passphrase for the sweep"
LITESTAR_OWN = re.compile(r"^/schema(/|$)")
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def routes(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, options) of every route handler of the app, OPTIONS (CORS preflight) aside."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                found.append((method, route.path, handler.opt))
    return found


def sample_body(method: str, path: str, ids: dict[str, str]) -> dict[str, Any]:
    """A request the route accepts as far as its shape goes, so that what answers is its access rule."""
    pdf = {"files": {"file": ("lease.pdf", make_pdf(), "application/pdf")}}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/v1/envelopes"): {"json": {"subject": "Sweep"}},
        ("POST", "/v1/envelopes/{envelope_id}/documents"): pdf,
        ("POST", "/v1/envelopes/{envelope_id}/signers"): {"json": {"name": "Eve", "email": "eve@example.com"}},
        ("POST", "/v1/envelopes/{envelope_id}/fields"): {"json": {
            "document_id": ids["document_id"], "signer_id": ids["signer_id"], "kind": "text",
            "page": 1, "x": 10, "y": 10, "width": 50, "height": 20,
        }},
        ("POST", "/v1/envelopes/{envelope_id}/send"): {},
        ("POST", "/v1/envelopes/{envelope_id}/void"): {"json": {"reason": "sweep"}},
        # The release (DELETE) takes its reason in the query; sent without one it is a 422 for those allowed.
        ("PUT", "/v1/envelopes/{envelope_id}/legal-hold"): {"json": {"reason": "sweep"}},
        ("POST", "/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"): {},
        ("POST", "/v1/envelopes/{envelope_id}/signers/{signer_id}/unlock"): {},
        ("POST", "/v1/verify"): pdf,
        ("POST", "/v1/webhooks"): {"json": {"url": "https://93.184.215.14/hooks", "events": ["envelope.expired"]}},
        ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): {},
        ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): {},
        ("POST", "/v1/api-keys"): {"json": {"role": "viewer", "description": "sweep"}},
        ("POST", "/v1/api-keys/{api_key_id}/revoke"): {},  # a key of its own (ids), none the sweep calls with
        ("POST", "/v1/users"): {"json": {"email": "sweep@example.com", "name": "Sweep", "role": "viewer"}},
        ("POST", "/v1/users/{user_id}/role"): {"json": {"role": "viewer"}},
        ("POST", "/v1/users/{user_id}/disable"): {},
        ("POST", "/v1/teams"): {"json": {"name": "Sweep"}},
        ("POST", "/v1/teams/{team_id}/members"): {"json": {"user_id": ids["user_id"]}},
        ("POST", "/v1/policies"): {"json": {"name": "Sweep"}},
        ("PUT", "/v1/policies/{policy_id}"): {"json": {"name": "Sweep", "expiry_days": 7}},
        ("POST", "/v1/policies/{policy_id}/default"): {},
        ("POST", "/v1/signing/{token}/sign"): {"json": {"signature": {"kind": "typed", "text": "Ada"}, "consent": True}},
        ("POST", "/v1/signing/{token}/decline"): {"json": {"reason": "sweep"}},
        ("POST", "/v1/signing/{token}/authentication/code"): {},
        ("POST", "/v1/signing/{token}/authentication"): {"json": {"code": "123456"}},
        # The signer's page's forms, sent without the token its page hands out (signing_page.py).
        ("POST", "/sign/{token}/code"): {"data": {"csrf": "sweep"}},
        ("POST", "/sign/{token}/verify"): {"data": {"csrf": "sweep", "code": "123456"}},
        ("POST", "/sign/{token}/sign"): {"data": {"csrf": "sweep", "signature_text": "Ada", "consent": "yes"}},
        ("POST", "/sign/{token}/decline"): {"data": {"csrf": "sweep", "reason": "sweep"}},
        ("POST", "/pki/ocsp"): {"content": b"0\x00"},  # an OCSP request too short to be one
        ("POST", "/sign-in/saml/{name}/acs"): {"data": {"SAMLResponse": "PHg+"}},  # no sign-in of this browser's
        ("POST", "/sign-out"): {},
        ("POST", "/sign-in/password"): {"json": {"tenant": "acme", "email": "nobody@example.com", "password": "guess"}},
        ("POST", "/sign-in/password/enrol"): {},
        ("POST", "/sign-in/password/second-factor"): {"json": {"code": "123456"}},
    }
    if method in ("GET", "DELETE"):
        return {}
    key = (method, PARAMETER.sub(r"{\1}", path))
    assert key in bodies, f"no sample request for {method} {path}: add one to this sweep"
    return bodies[key]


def url(path: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        assert match.group(1) in ids, f"the sweep has no id for {{{match.group(1)}}} in {path}: add one"
        return ids[match.group(1)]

    return PARAMETER.sub(fill, path)


@dataclass
class World:
    stack: Stack
    keys: dict[AccessRole, str]
    stranger: str  # another tenant's admin key
    ids: dict[str, str]  # acme's resources, by path parameter name

    def headers(self, key: str | None) -> dict[str, str]:
        return api.bearer(key) if key else {}

    async def call(self, method: str, path: str, key: str | None, ids: dict[str, str] | None = None) -> httpx.Response:
        ids = ids or self.ids
        return await self.stack.client.request(
            method, url(path, ids), headers=self.headers(key), **sample_body(method, path, ids)
        )


@pytest.fixture
async def world(tmp_path):
    # Many refusals from one address by design: throttling is not what this sweep is about.
    settings = settings_for(tmp_path / "data", UNDERSIGN_THROTTLE_AUTH_FAILURES="0", UNDERSIGN_THROTTLE_TOKEN_FAILURES="0")
    async with serve(settings) as stack:
        keys = {role: await api.api_key(stack, role) for role in AccessRole}
        stranger = await api.api_key(stack, tenant="globex")

        envelope_id, document_id = await api.create_envelope(stack)
        signer_id = await api.add_signer(stack, envelope_id, "Ada")
        await api.place(stack, envelope_id, document_id, signer_id, "signature", 1, 72, 600)
        await api.send(stack, envelope_id)
        token = await api.signing_token(stack, envelope_id, signer_id)
        hook = await api.post(stack, "/v1/webhooks", {"url": "https://93.184.215.14/hooks", "events": ["envelope.expired"]})
        target_key = await api.api_key(stack, AccessRole.VIEWER)  # the one the revoke route revokes
        person = await api.post(stack, "/v1/users", {"email": "ada@example.com", "name": "Ada", "role": "sender"})
        team = await api.post(stack, "/v1/teams", {"name": "Legal"})
        policy = await api.post(stack, "/v1/policies", {"name": "Strict"})
        ids = {
            "envelope_id": envelope_id, "document_id": document_id, "signer_id": signer_id, "token": token,
            "webhook_id": hook["id"], "delivery_id": "no-such-delivery", "name": "sign.js", "encoded": "MAA=",
            "api_key_id": target_key.split("_")[1], "user_id": person["id"], "team_id": team["id"],
            "policy_id": policy["id"],
        }
        yield World(stack=stack, keys=keys, stranger=stranger, ids=ids)


def app_routes(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, o) for m, p, o in routes(world.stack.client._transport.app) if not LITESTAR_OWN.match(p)]  # type: ignore[attr-defined]


async def test_every_route_says_who_may_call_it(world: World) -> None:
    undeclared = [f"{m} {p}" for m, p, o in app_routes(world) if (PERMISSION in o) == (PUBLIC in o)]
    assert undeclared == [], "declare permission=Permission.X or public='why' on these routes"
    assert {o[PERMISSION] for _, _, o in app_routes(world) if PERMISSION in o} == set(Permission)


async def test_without_a_key_every_keyed_route_is_unauthorized(world: World) -> None:
    for method, path, options in app_routes(world):
        if PERMISSION in options:
            response = await world.call(method, path, None)
            api.problem(response, 401, "unauthenticated")


async def test_another_tenants_ids_are_not_found_and_its_lists_are_empty(world: World) -> None:
    """Globex's admin, who may do anything in its own tenant, finds nothing of acme's."""
    for method, path, options in app_routes(world):
        if PERMISSION not in options:
            continue
        response = await world.call(method, path, world.stranger)
        if PARAMETER.search(path):
            api.problem(response, 404, "not_found")
        else:
            assert response.status_code < 500, f"{method} {path}: {response.text}"
            for own in (world.ids[n] for n in ("envelope_id", "webhook_id", "document_id", "api_key_id", "user_id", "team_id", "policy_id")):
                assert own not in response.text, f"{method} {path} shows acme's {own} to globex"


async def test_a_signed_in_owner_of_another_tenant_finds_nothing_of_acmes_either(world: World) -> None:
    """The same walk with a person's browser session instead of a key: globex's owner, signed in with a password."""
    container = build_container(world.stack.settings)
    try:
        await container.use_cases().users.invite_for_tenant("globex", email="gus@globex.test", name="Gus", role=AccessRole.OWNER)
        await container.use_cases().local_sign_ins.set_password("globex", "gus@globex.test", PASSWORD, actor="cli:sweep")
    finally:
        await shutdown(container)
    signed_in = await world.stack.client.post(
        "/sign-in/password", json={"tenant": "globex", "email": "gus@globex.test", "password": PASSWORD}
    )
    cookie = {"cookie": f"undersign_session={signed_in.cookies['undersign_session']}"}
    session = (await world.stack.client.get("/v1/session", headers=cookie)).json()
    assert session["role"] == "owner"
    headers = {**cookie, "x-csrf-token": session["csrf_token"]}
    for method, path, options in app_routes(world):
        if PERMISSION not in options:
            continue
        response = await world.stack.client.request(
            method, url(path, world.ids), headers=headers, **sample_body(method, path, world.ids)
        )
        if PARAMETER.search(path):
            api.problem(response, 404, "not_found")
        else:
            assert response.status_code < 500, f"{method} {path}: {response.text}"
            for own in (world.ids[n] for n in ("envelope_id", "webhook_id", "document_id", "api_key_id", "user_id", "team_id", "policy_id")):
                assert own not in response.text, f"{method} {path} shows acme's {own} to globex's owner"


@pytest.mark.parametrize("role", list(AccessRole))
async def test_each_role_may_do_what_the_permission_table_says_and_nothing_else(world: World, role: AccessRole) -> None:
    for method, path, options in app_routes(world):
        if PERMISSION not in options:
            continue
        response = await world.call(method, path, world.keys[role])
        where = f"{role.value}: {method} {path} -> {response.status_code} {response.text[:200]}"
        if allows(role, options[PERMISSION]):
            assert response.status_code not in (401, 403) and response.status_code < 500, where
        else:
            assert api.problem(response, 403, "forbidden")["detail"], where


async def test_public_routes_take_no_key_and_refuse_a_made_up_token(world: World) -> None:
    guessed = {**world.ids, "token": "made-up-token"}
    for method, path, options in app_routes(world):
        if PUBLIC not in options:
            continue
        response = await world.call(method, path, None)
        if options[PUBLIC] in (BY_PROVIDER, BY_COOKIE, BY_PASSWORD):
            # Their credential is the session cookie, a password, or the answer to a sign-in this browser
            # started: without it, 401; a provider that is not configured (here: none is), 404.
            assert response.status_code in (401, 404), f"{method} {path}: {response.text}"
            continue
        # The signer's page refuses a form it did not hand out with a 403 page of its own: no key was asked for.
        page_refusal = path.startswith("/sign/{token") and response.headers["content-type"].startswith("text/html")
        assert response.status_code < 500 and (response.status_code not in (401, 403) or page_refusal), (
            f"{method} {path}: {response.text}"
        )
        if "{token" in path and "/sign/" not in path:
            api.problem(await world.call(method, path, None, guessed), 404, "not_found")


# -- stored responses are never handed to a caller who could not have made the request --------


async def test_a_viewer_replaying_an_admins_idempotency_key_is_refused_not_handed_the_token(world: World) -> None:
    link = "/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"
    headers = {"Idempotency-Key": "replay-me"}
    first = await world.stack.client.post(url(link, world.ids), headers={**world.headers(world.keys[AccessRole.ADMIN]), **headers})
    assert first.status_code == 201

    replay = await world.stack.client.post(url(link, world.ids), headers={**world.headers(world.keys[AccessRole.VIEWER]), **headers})
    api.problem(replay, 403, "forbidden")
    assert first.json()["token"] not in replay.text and "idempotent-replayed" not in replay.headers


async def test_another_key_of_the_tenant_never_gets_a_stored_response_back(world: World) -> None:
    """An owner may issue links too, but under the admin's Idempotency-Key it gets a link of its own."""
    link = "/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"
    headers = {"Idempotency-Key": "shared-key"}
    admins = await world.stack.client.post(url(link, world.ids), headers={**world.headers(world.keys[AccessRole.ADMIN]), **headers})
    owners = await world.stack.client.post(url(link, world.ids), headers={**world.headers(world.keys[AccessRole.OWNER]), **headers})

    assert admins.status_code == owners.status_code == 201
    assert "idempotent-replayed" not in owners.headers and owners.json()["token"] != admins.json()["token"]
    again = await world.stack.client.post(url(link, world.ids), headers={**world.headers(world.keys[AccessRole.OWNER]), **headers})
    assert again.headers["idempotent-replayed"] == "true" and again.json()["token"] == owners.json()["token"]


async def test_a_sender_replaying_an_admins_webhook_registration_never_sees_its_secret(world: World) -> None:
    body = {"url": "https://93.184.215.14/other", "events": ["envelope.completed"]}
    headers = {"Idempotency-Key": "hook-key"}
    first = await world.stack.client.post("/v1/webhooks", json=body, headers={**world.headers(world.keys[AccessRole.ADMIN]), **headers})
    assert first.status_code == 201

    replay = await world.stack.client.post("/v1/webhooks", json=body, headers={**world.headers(world.keys[AccessRole.SENDER]), **headers})
    api.problem(replay, 403, "forbidden")
    assert first.json()["secret"] not in replay.text


async def test_a_stored_response_is_sealed_so_the_database_never_holds_a_token_in_clear(world: World) -> None:
    link = "/v1/envelopes/{envelope_id}/signers/{signer_id}/signing-link"
    headers = {**world.headers(world.keys[AccessRole.ADMIN]), "Idempotency-Key": "sealed"}
    token = (await world.stack.client.post(url(link, world.ids), headers=headers)).json()["token"]

    with sqlite3.connect(world.stack.settings.data_dir / "undersign.db") as database:
        bodies = [row[0] for row in database.execute("SELECT response_body FROM idempotency_keys WHERE idempotency_key = 'sealed'")]
    assert len(bodies) == 1 and token.encode() not in bodies[0]
    replayed = await world.stack.client.post(url(link, world.ids), headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json()["token"] == token


async def test_a_route_that_declares_no_rule_is_refused_to_everyone(tmp_path) -> None:
    from litestar import get

    @get("/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "s3cr3t"}

    async with serve(settings_for(tmp_path / "data")) as stack:
        app = stack.client._transport.app  # type: ignore[attr-defined]
        app.register(forgotten)
        for headers in ({}, stack.headers):
            response = await stack.client.get("/v1/forgotten", headers=headers)
            assert api.problem(response, 403, "forbidden") and "s3cr3t" not in response.text
