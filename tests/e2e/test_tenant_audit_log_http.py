"""The tenant audit log over HTTP: keys made and revoked are in it, owners and auditors read it and its
verdict, every other role is refused, and another tenant's acts never show."""

from __future__ import annotations

from tests.e2e import api
from tests.stack import Stack
from undersign.domain.tenant import AccessRole


async def log(stack: Stack, key: str, **params) -> dict:
    response = await stack.client.get("/v1/audit-log", params=params, headers=api.bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


async def test_creating_and_revoking_a_key_is_in_the_log_that_owners_and_auditors_read(stack: Stack) -> None:
    owner, auditor = await api.api_key(stack, AccessRole.OWNER), await api.api_key(stack, AccessRole.AUDITOR)
    made = await api.post(stack, "/v1/api-keys", {"role": "viewer", "description": "CRM sync"})
    revoked = await stack.client.post(f"/v1/api-keys/{made['id']}/revoke", headers=stack.headers)
    assert revoked.status_code == 200
    again = await stack.client.post(f"/v1/api-keys/{made['id']}/revoke", headers=stack.headers)
    assert again.status_code == 200  # changes nothing, records nothing

    for reader in (owner, auditor):
        items = (await log(stack, reader))["items"]
        assert [e["seq"] for e in items] == list(range(1, len(items) + 1))
        created, revocation = items[-2:]
        assert created["type"] == "ApiKeyCreated" and created["actor"] == made["created_by"]
        assert created["data"] == {"key_id": made["id"], "role": "viewer", "expires_at": None,
                                   "description": "CRM sync"}
        assert revocation["type"] == "ApiKeyRevoked" and revocation["data"] == {"key_id": made["id"]}
        assert revocation["prev_hash"] == created["hash"] and set(created) == {
            "seq", "type", "at", "actor", "data", "prev_hash", "hash",
        }
        assert made["key"].split("_", 2)[2] not in str(items)

        verdict = (await stack.client.get("/v1/audit-log/verification", headers=api.bearer(reader))).json()
        assert verdict == {"chain_valid": True, "entries": len(items), "last_hash": revocation["hash"]}


async def test_the_log_comes_a_page_at_a_time(stack: Stack) -> None:
    owner = await api.api_key(stack, AccessRole.OWNER)
    for _ in range(3):
        await api.post(stack, "/v1/api-keys", {"role": "viewer"})
    seen, cursor = [], None
    while True:
        page = await log(stack, owner, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1)) and len(seen) >= 5
    bad = await stack.client.get("/v1/audit-log", params={"cursor": "abc"}, headers=api.bearer(owner))
    api.problem(bad, 422, "invalid_input")


async def test_admins_senders_and_viewers_are_refused(stack: Stack) -> None:
    for role in (AccessRole.ADMIN, AccessRole.SENDER, AccessRole.VIEWER):
        key = await api.api_key(stack, role)
        for path in ("/v1/audit-log", "/v1/audit-log/verification"):
            api.problem(await stack.client.get(path, headers=api.bearer(key)), 403, "forbidden")


async def test_another_tenants_acts_are_never_shown(stack: Stack) -> None:
    made = await api.post(stack, "/v1/api-keys", {"role": "viewer"})
    globex_owner = await api.api_key(stack, AccessRole.OWNER, tenant="globex")
    items = (await log(stack, globex_owner))["items"]
    assert [e["seq"] for e in items] == [1] and made["id"] not in str(items)
    assert items[0]["data"]["key_id"] == globex_owner.split("_")[1]


async def test_a_tampered_entry_breaks_the_verdict(stack: Stack) -> None:
    auditor = await api.api_key(stack, AccessRole.AUDITOR)
    await api.post(stack, "/v1/api-keys", {"role": "viewer"})
    changed = await api.write_behind_the_app(
        stack, "UPDATE tenant_audit_entries SET data = replace(data, '\"viewer\"', '\"owner\"') WHERE data LIKE '%viewer%'"
    )
    assert changed == 1
    verdict = (await stack.client.get("/v1/audit-log/verification", headers=api.bearer(auditor))).json()
    assert verdict["chain_valid"] is False and verdict["last_hash"] is None
