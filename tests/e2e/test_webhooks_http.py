"""The webhooks API: register, list, read, rotate, delete, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.api import api_key, bearer, problem
from tests.stack import Stack, serve, settings_for
from undersign.domain.tenant import AccessRole

HOOK = {"url": "https://hooks.example.com/undersign", "events": ["envelope.sealed", "envelope.completed"]}


@pytest.fixture
async def stack(tmp_path: Path):
    # Targets here are IP literals (and localhost), so no test needs DNS; HOOK's name is only
    # used where the request is refused before its host is looked up.
    async with serve(settings_for(tmp_path / "data")) as stack:
        yield stack


async def register(stack: Stack, body: dict, expect: int = 201) -> dict:
    response = await stack.client.post("/v1/webhooks", json=body, headers=stack.headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_an_endpoint_is_registered_listed_rotated_and_deleted_and_its_secret_is_shown_only_twice(stack):
    created = await register(stack, {"url": "https://93.184.215.14/hooks", "events": ["envelope.sealed"], "description": "ERP"})
    assert created["secret"].startswith("whsec_") and created["events"] == ["envelope.sealed"]

    listed = (await stack.client.get("/v1/webhooks", headers=stack.headers)).json()["items"]
    assert [(h["id"], h["url"], h["description"]) for h in listed] == [(created["id"], "https://93.184.215.14/hooks", "ERP")]
    assert "secret" not in listed[0]
    one = (await stack.client.get(f"/v1/webhooks/{created['id']}", headers=stack.headers)).json()
    assert "secret" not in one and one["events"] == ["envelope.sealed"]

    rotated = (await stack.client.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=stack.headers)).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]

    deliveries = (await stack.client.get(f"/v1/webhooks/{created['id']}/deliveries", headers=stack.headers)).json()
    assert deliveries == {"items": [], "next_cursor": None}

    deleted = await stack.client.delete(f"/v1/webhooks/{created['id']}", headers=stack.headers)
    assert deleted.status_code == 204
    problem(await stack.client.get(f"/v1/webhooks/{created['id']}", headers=stack.headers), 404, "not_found")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9000/hooks", "127.0.0.1 is not allowed"),
        ("http://localhost/hooks", "localhost is not allowed"),
        ("https://10.1.2.3/hooks", "10.1.2.3 is not allowed"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is not allowed"),
        ("https://no-such-host.invalid/hooks", "no-such-host.invalid is not allowed"),  # the same words: no resolver oracle
        ("https://user:secret@93.184.215.14/hooks", "credentials"),
        ("ftp://93.184.215.14/hooks", "https://"),
    ],
)
async def test_targets_that_are_not_public_http_are_refused(stack, url, says):
    body = problem(await stack.client.post("/v1/webhooks", json={**HOOK, "url": url}, headers=stack.headers), 422, "invalid_input")
    assert says in body["detail"]
    assert "secret" not in body["detail"]


async def test_unknown_events_and_fields_are_refused(stack):
    body = problem(
        await stack.client.post("/v1/webhooks", json={**HOOK, "events": ["envelope.exploded"]}, headers=stack.headers),
        422, "invalid_input",
    )
    assert "unknown events envelope.exploded" in body["detail"]
    problem(await stack.client.post("/v1/webhooks", json={**HOOK, "secret": "mine"}, headers=stack.headers), 400)


async def test_only_admin_keys_manage_webhooks(stack, tmp_path):
    headers = bearer(await api_key(stack, AccessRole.SENDER))
    problem(await stack.client.post("/v1/webhooks", json=HOOK, headers=headers), 403, "forbidden")
    problem(await stack.client.get("/v1/webhooks", headers=headers), 403, "forbidden")


async def test_another_tenants_webhook_is_not_found(stack):
    created = await register(stack, {**HOOK, "url": "https://93.184.215.14/hooks"})
    headers = bearer(await api_key(stack, tenant="globex"))
    for path in ("", "/deliveries"):
        problem(await stack.client.get(f"/v1/webhooks/{created['id']}{path}", headers=headers), 404, "not_found")
    problem(await stack.client.delete(f"/v1/webhooks/{created['id']}", headers=headers), 404, "not_found")
