"""API keys over HTTP: made, listed, read and revoked by keys that may manage keys; refused once revoked or expired."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e import api
from tests.stack import Stack
from undersign.application.access.api_keys import KEY_FRESH_FOR
from undersign.domain.tenant import AccessRole

UNDERSIGN = str(Path(sys.executable).parent / "undersign")


async def create(stack: Stack, body: dict, key: str | None = None, expect: int = 201) -> dict:
    headers = api.bearer(key) if key else stack.headers
    response = await stack.client.post("/v1/api-keys", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def stored_api_keys(stack: Stack) -> list[tuple]:
    # A reader: with write-ahead logging it never waits for the app's writers.
    with sqlite3.connect(stack.settings.data_dir / "undersign.db", timeout=30) as database:
        return list(database.execute("SELECT * FROM api_keys"))


async def test_a_key_is_shown_once_and_then_only_described(stack: Stack) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    made = await create(stack, {"role": "sender", "expires_at": expires_at.isoformat(), "description": "CRM sync"})

    assert made["key"].startswith(f"usk_{made['id']}_") and made["role"] == "sender"
    assert made["description"] == "CRM sync" and made["revoked_at"] is None and made["last_used_at"] is None
    assert datetime.fromisoformat(made["expires_at"]) == expires_at
    assert made["created_by"].startswith("api_key:")

    listed = (await stack.client.get("/v1/api-keys", headers=stack.headers)).json()
    one = (await stack.client.get(f"/v1/api-keys/{made['id']}", headers=stack.headers)).json()
    secret = made["key"].split("_", 2)[2]
    assert made["id"] in [k["id"] for k in listed["items"]] and listed["next_cursor"] is None
    assert one == {k: v for k, v in made.items() if k != "key"}
    for answer in (listed, one):
        assert secret not in str(answer) and "secret_hash" not in str(answer) and "key" not in one
    assert not any(secret in str(row) for row in stored_api_keys(stack))


async def test_the_new_key_works_in_its_role_and_its_use_is_recorded(stack: Stack) -> None:
    made = await create(stack, {"role": "viewer"})
    viewer = api.bearer(made["key"])
    assert (await stack.client.get("/v1/envelopes", headers=viewer)).status_code == 200
    api.problem(await stack.client.post("/v1/envelopes", json={"subject": "x"}, headers=viewer), 403, "forbidden")
    api.problem(await create_raw(stack, {"role": "viewer"}, made["key"]), 403, "forbidden")

    one = (await stack.client.get(f"/v1/api-keys/{made['id']}", headers=stack.headers)).json()
    assert one["last_used_at"] is not None


async def create_raw(stack: Stack, body: dict, key: str):
    return await stack.client.post("/v1/api-keys", json=body, headers=api.bearer(key))


async def test_a_revoked_key_is_refused_on_its_next_request(stack: Stack) -> None:
    made = await create(stack, {"role": "sender"})
    assert (await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))).status_code == 200

    revoked = await stack.client.post(f"/v1/api-keys/{made['id']}/revoke", headers=stack.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None

    refused = await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))
    assert api.problem(refused, 401, "unauthenticated")["detail"] == "the API key was revoked"
    again = await stack.client.post(f"/v1/api-keys/{made['id']}/revoke", headers=stack.headers)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_a_key_revoking_itself_is_refused_from_then_on(stack: Stack) -> None:
    made = await create(stack, {"role": "admin"})
    own = api.bearer(made["key"])
    assert (await stack.client.post(f"/v1/api-keys/{made['id']}/revoke", headers=own)).status_code == 200
    api.problem(await stack.client.get("/v1/api-keys", headers=own), 401, "unauthenticated")


async def test_an_expired_key_is_refused(stack: Stack) -> None:
    """The stack runs on the system clock, so the key's expiry is moved into the past in its
    database (a key cannot be made with one there), as if its time had come: written there by
    someone else, it is seen once the server's copy of the key is older than KEY_FRESH_FOR."""
    made = await create(stack, {"role": "sender", "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    assert (await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))).status_code == 200

    await api.write_behind_the_app(stack, "UPDATE api_keys SET expires_at = created_at WHERE id = ?", (made["id"],))
    await asyncio.sleep(KEY_FRESH_FOR.total_seconds())

    refused = await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))
    assert api.problem(refused, 401, "unauthenticated")["detail"] == "the API key has expired"


async def test_a_key_revoked_by_another_process_is_refused_within_a_second(stack: Stack) -> None:
    """`undersign apikey revoke` is another process: the server reads the key again at most KEY_FRESH_FOR after it last did."""
    made = await create(stack, {"role": "sender"})
    assert (await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))).status_code == 200

    revoking = await asyncio.create_subprocess_exec(
        UNDERSIGN, "apikey", "revoke", made["id"], env={**os.environ, "UNDERSIGN_DATA_DIR": str(stack.settings.data_dir)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await revoking.communicate()
    assert revoking.returncode == 0, errors
    revoked_at = time.monotonic()
    while True:
        sent = time.monotonic()  # a request let in was handled after this, and before the bound
        response = await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))
        if response.status_code != 200:
            break
        assert sent - revoked_at < KEY_FRESH_FOR.total_seconds(), "still let in past the bound"
        await asyncio.sleep(0.05)
    assert api.problem(response, 401, "unauthenticated")["detail"] == "the API key was revoked"


@pytest.mark.parametrize(
    "key",
    ["usk_", "usk_abc", "not-a-key", "usk_ab-cd_secret", "usk_" + "a" * 65 + "_secret", "usk_unknownid_secret"],
)
async def test_a_malformed_or_unknown_key_is_unauthenticated(stack: Stack, key: str) -> None:
    response = await stack.client.get("/v1/api-keys", headers=api.bearer(key))
    detail = api.problem(response, 401, "unauthenticated")["detail"]
    assert detail in ("the API key is malformed", "the API key is not valid")


async def test_an_admin_cannot_make_or_revoke_an_owner_key(stack: Stack) -> None:
    refused = await stack.client.post("/v1/api-keys", json={"role": "owner"}, headers=stack.headers)
    assert "an admin key may not create an owner key" in api.problem(refused, 403, "forbidden")["detail"]

    owner = await api.api_key(stack, AccessRole.OWNER)
    owner_id = owner.split("_")[1]
    api.problem(await stack.client.post(f"/v1/api-keys/{owner_id}/revoke", headers=stack.headers), 403, "forbidden")

    other_owner = await create(stack, {"role": "owner"}, key=owner)
    assert other_owner["role"] == "owner"
    revoked = await stack.client.post(f"/v1/api-keys/{other_owner['id']}/revoke", headers=api.bearer(owner))
    assert revoked.status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"role": "superuser"}, 400),
        ({"role": "viewer", "expires_at": "tomorrow"}, 400),
        ({"role": "viewer", "expires_at": 1767225600}, 400),
        ({"role": "viewer", "secret": "mine"}, 400),
        ({}, 400),
        ({"role": "viewer", "description": "x" * 201}, 400),
        ({"role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}, 422),
        ({"role": "viewer", "expires_at": "2100-01-01T00:00:00Z"}, 422),
        ({"role": "viewer", "expires_at": "2030-01-01T00:00:00"}, 422),
        ({"role": "viewer", "description": "line\nbreak"}, 422),
    ],
)
async def test_bad_bodies_are_refused_and_nothing_is_made(stack: Stack, body: dict, status: int) -> None:
    before = len(stored_api_keys(stack))
    response = await stack.client.post("/v1/api-keys", json=body, headers=stack.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(stored_api_keys(stack)) == before


async def test_keys_are_listed_a_page_at_a_time(stack: Stack) -> None:
    made = {(await create(stack, {"role": "viewer"}))["id"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = (await stack.client.get(f"/v1/api-keys{query}", headers=stack.headers)).json()
        seen += [k["id"] for k in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert made < set(seen) and len(seen) == len(set(seen)) == 4  # and the stack's own admin key
    api.problem(await stack.client.get("/v1/api-keys?cursor=bogus", headers=stack.headers), 422)


async def test_another_tenants_key_is_not_found(stack: Stack) -> None:
    made = await create(stack, {"role": "viewer"})
    stranger = api.bearer(await api.api_key(stack, AccessRole.OWNER, tenant="globex"))
    for method, path in (("GET", f"/v1/api-keys/{made['id']}"), ("POST", f"/v1/api-keys/{made['id']}/revoke")):
        api.problem(await stack.client.request(method, path, headers=stranger), 404, "not_found")
    assert made["id"] not in (await stack.client.get("/v1/api-keys", headers=stranger)).text
    assert (await stack.client.get("/v1/envelopes", headers=api.bearer(made["key"]))).status_code == 200


async def test_creating_a_key_again_under_an_idempotency_key_returns_the_same_key(stack: Stack) -> None:
    headers = {**stack.headers, "Idempotency-Key": "make-one-key"}
    first = await stack.client.post("/v1/api-keys", json={"role": "viewer"}, headers=headers)
    again = await stack.client.post("/v1/api-keys", json={"role": "viewer"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json()["key"] == first.json()["key"]
    assert len(stored_api_keys(stack)) == 2


async def test_a_key_scoped_to_a_team_shares_its_envelopes_with_the_team(stack: Stack) -> None:
    team = await api.post(stack, "/v1/teams", {"name": "Legal"})
    made = await api.post(stack, "/v1/api-keys", {"role": "sender", "team_id": team["id"], "description": "CRM"})
    assert made["team_id"] == team["id"]
    other = await api.post(stack, "/v1/api-keys", {"role": "sender"})
    assert other["team_id"] is None
    crm, loner = api.bearer(made["key"]), api.bearer(other["key"])
    envelope = await stack.client.post("/v1/envelopes", json={"subject": "Shared"}, headers=crm)
    assert envelope.json()["team_id"] == team["id"] and envelope.json()["owner"] == f"api_key:{made['id']}"
    api.problem(await stack.client.get(f"/v1/envelopes/{envelope.json()['id']}", headers=loner), 404, "not_found")
    unknown = await stack.client.post("/v1/api-keys", json={"role": "sender", "team_id": "no-such-team"}, headers=stack.headers)
    api.problem(unknown, 422, "invalid_input")
