"""Bearer tokens from the real OpenID Provider, presented to the whole app instead of an API key.

The issuer is configured as an operator would (UNDERSIGN_OIDC_ISSUERS); the tokens are the
provider's own access tokens (client credentials, JWTs for this API's audience).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import api
from tests.integration.identity.conftest import API, OTHER_API
from tests.oidc_provider import OidcProvider
from tests.stack import Stack, serve, settings_for


@pytest.fixture
async def stack(oidc_provider: OidcProvider, tmp_path: Path) -> AsyncIterator[Stack]:
    issuers = json.dumps([{
        "issuer": oidc_provider.issuer, "audience": API, "tenant": {"claim": "tenant"},
        "role": {"claim": "roles", "map": {"esign-admins": "admin", "esign-senders": "sender", "esign-viewers": "viewer"}},
    }])  # fmt: skip
    async with serve(settings_for(tmp_path / "data", UNDERSIGN_OIDC_ISSUERS=issuers)) as stack:
        yield stack


def bearer(oidc_provider: OidcProvider, client_id: str, *, resource: str = API) -> dict[str, str]:
    return {"Authorization": f"Bearer {oidc_provider.token(client_id, resource=resource)}"}


async def test_a_token_of_a_mapped_client_works_like_a_key_of_its_role(stack: Stack, oidc_provider: OidcProvider) -> None:
    sender = bearer(oidc_provider, "acme-sender")
    made = await stack.client.post("/v1/envelopes", json={"subject": "By token"}, headers=sender)
    assert made.status_code == 201, made.text
    listed = await stack.client.get("/v1/envelopes", headers=sender)
    assert [e["id"] for e in listed.json()["items"]] == [made.json()["id"]]
    refused = await stack.client.post("/v1/api-keys", json={"role": "viewer"}, headers=sender)
    api.problem(refused, 403, "forbidden")


async def test_a_senders_token_does_not_see_what_an_api_key_made(stack: Stack, oidc_provider: OidcProvider) -> None:
    envelope_id, _document_id = await api.create_envelope(stack)  # with the admin's key
    seen = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=bearer(oidc_provider, "acme-sender"))
    api.problem(seen, 404, "not_found")
    admin = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=bearer(oidc_provider, "acme-admin"))
    assert admin.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "resource"),
    [("acme-marketing", API), ("acme-sender", OTHER_API), ("globex-viewer", API)],
    ids=["no-mapped-role", "another-audience", "a-tenant-this-installation-lacks"],
)
async def test_a_token_that_maps_to_nothing_here_is_refused(
    stack: Stack, oidc_provider: OidcProvider, client_id: str, resource: str
) -> None:
    refused = await stack.client.get("/v1/envelopes", headers=bearer(oidc_provider, client_id, resource=resource))
    assert refused.status_code == 401
    assert refused.json()["code"] in ("invalid_token", "unauthenticated")


async def test_a_made_up_jwt_is_refused_without_repeating_it(stack: Stack) -> None:
    made_up = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0."
    refused = await stack.client.get("/v1/envelopes", headers={"Authorization": f"Bearer {made_up}"})
    assert api.problem(refused, 401, "invalid_token")
    assert "eyJ" not in refused.text


async def test_a_repeat_with_a_fresh_token_of_the_same_client_is_answered_from_the_first(
    stack: Stack, oidc_provider: OidcProvider
) -> None:
    headers = {"Idempotency-Key": "by-token-1"}
    first = await stack.client.post(
        "/v1/envelopes", json={"subject": "Once"}, headers={**bearer(oidc_provider, "acme-sender"), **headers}
    )
    again = await stack.client.post(
        "/v1/envelopes", json={"subject": "Once"}, headers={**bearer(oidc_provider, "acme-sender"), **headers}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]
    other = await stack.client.post(
        "/v1/envelopes", json={"subject": "Once"}, headers={**bearer(oidc_provider, "acme-admin"), **headers}
    )
    assert "idempotent-replayed" not in other.headers and other.json()["id"] != first.json()["id"]
