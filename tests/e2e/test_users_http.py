"""Users and teams over HTTP: invited, listed page by page, read, their role changed, disabled (signed out
everywhere); teams made and members added and removed; ranks held; every act in the tenant's audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e import api
from tests.stack import Stack
from undersign.domain.tenant import AccessRole
from undersign.domain.web_session import WebSession
from undersign.entrypoints.container import build_container, shutdown


async def invite(stack: Stack, email: str, role: str = "sender", key: str | None = None, expect: int = 201) -> dict:
    headers = api.bearer(key) if key else stack.headers
    response = await stack.client.post("/v1/users", json={"email": email, "name": "Ada", "role": role}, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_a_user_is_invited_read_and_listed_page_by_page(stack: Stack) -> None:
    ada = await invite(stack, "Ada@Example.com")
    assert ada["email"] == "ada@example.com" and ada["role"] == "sender" and ada["team_ids"] == []
    assert ada["disabled_at"] is None and datetime.fromisoformat(ada["created_at"]).utcoffset().total_seconds() == 0
    assert (await stack.client.get(f"/v1/users/{ada['id']}", headers=stack.headers)).json() == ada
    api.problem(await stack.client.get("/v1/users/nobody", headers=stack.headers), 404, "not_found")

    for email in ("cy@example.com", "bob@example.com"):
        await invite(stack, email)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await stack.client.get("/v1/users", params=params, headers=stack.headers)
        assert page.status_code == 200, page.text
        seen += [u["email"] for u in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    assert seen == ["ada@example.com", "bob@example.com", "cy@example.com"]


async def test_bad_invitations_and_cursors_are_refused(stack: Stack) -> None:
    await invite(stack, "ada@example.com")
    api.problem(await stack.client.post(
        "/v1/users", json={"email": "ADA@example.com", "name": "Ada", "role": "sender"}, headers=stack.headers,
    ), 409, "already_exists")
    for body, status in (
        ({"email": "not an email", "name": "Ada", "role": "sender"}, 422),
        ({"email": "bob@example.com", "name": "Bob", "role": "emperor"}, 400),
        ({"email": "bob@example.com", "name": "Bob", "role": "sender", "admin": True}, 400),
        ({"email": "bob@example.com", "name": "B" * 201, "role": "sender"}, 400),
        ({"email": "bob@example.com", "role": "sender"}, 400),
    ):
        response = await stack.client.post("/v1/users", json=body, headers=stack.headers)
        assert response.status_code == status, (body, response.text)
    api.problem(await stack.client.get("/v1/users?cursor=%%%", headers=stack.headers), 422, "invalid_input")
    api.problem(await stack.client.get("/v1/users?cursor=YWJj", headers=stack.headers), 422, "invalid_input")
    api.problem(await stack.client.get("/v1/users?limit=0", headers=stack.headers), 400, "malformed_request")


async def test_an_admin_neither_invites_nor_changes_nor_disables_an_owner(stack: Stack) -> None:
    owner = await api.api_key(stack, AccessRole.OWNER)
    refused = await stack.client.post(
        "/v1/users", json={"email": "root@example.com", "name": "Root", "role": "owner"}, headers=stack.headers
    )
    assert "an admin key may not invite an owner user" in api.problem(refused, 403, "forbidden")["detail"]
    root = await invite(stack, "root@example.com", "owner", key=owner)
    ada = await invite(stack, "ada@example.com")

    for path, body in ((f"/v1/users/{root['id']}/role", {"role": "viewer"}), (f"/v1/users/{root['id']}/disable", None),
                       (f"/v1/users/{ada['id']}/role", {"role": "owner"})):
        api.problem(await stack.client.post(path, json=body, headers=stack.headers), 403, "forbidden")

    promoted = await stack.client.post(f"/v1/users/{ada['id']}/role", json={"role": "admin"}, headers=stack.headers)
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    demoted = await stack.client.post(f"/v1/users/{root['id']}/role", json={"role": "admin"}, headers=api.bearer(owner))
    assert demoted.status_code == 200 and demoted.json()["role"] == "admin"


async def test_disabling_a_user_ends_their_sessions_once(stack: Stack) -> None:
    ada = await invite(stack, "ada@example.com")
    container = build_container(stack.settings)
    now = datetime.now(UTC)
    try:
        async with container.gateways.unit_of_work()() as uow:
            tenant = await uow.tenants.by_slug("acme")
            await uow.web_sessions.add(WebSession(
                id="session-1", tenant_id=tenant.id, user_id=ada["id"], token_hash="a" * 64, method="oidc:corp",
                created_at=now, last_seen_at=now,
            ))
            await uow.commit()

        first = await stack.client.post(f"/v1/users/{ada['id']}/disable", headers=stack.headers)
        again = await stack.client.post(f"/v1/users/{ada['id']}/disable", headers=stack.headers)
        assert first.status_code == again.status_code == 200
        assert first.json()["disabled_at"] is not None and again.json() == first.json()

        async with container.gateways.unit_of_work()() as uow:
            session = await uow.web_sessions.by_token_hash("a" * 64)
        assert session is not None and session.ended_at is not None
    finally:
        await shutdown(container)


async def test_teams_are_made_and_members_added_and_removed(stack: Stack) -> None:
    ada = await invite(stack, "ada@example.com")
    legal = await api.post(stack, "/v1/teams", {"name": "Legal"})
    await api.post(stack, "/v1/teams", {"name": "Audit"})
    api.problem(await stack.client.post("/v1/teams", json={"name": "Legal"}, headers=stack.headers), 409, "already_exists")
    api.problem(await stack.client.post("/v1/teams", json={"name": "L" * 101}, headers=stack.headers), 400)
    listed = (await stack.client.get("/v1/teams", headers=stack.headers)).json()
    assert [t["name"] for t in listed["items"]] == ["Audit", "Legal"]

    members = f"/v1/teams/{legal['id']}/members"
    for _ in range(2):
        added = await stack.client.post(members, json={"user_id": ada["id"]}, headers=stack.headers)
        assert added.status_code == 200 and added.json()["team_ids"] == [legal["id"]]
    api.problem(await stack.client.post(members, json={"user_id": "nobody"}, headers=stack.headers), 404, "not_found")
    api.problem(await stack.client.post("/v1/teams/nope/members", json={"user_id": ada["id"]}, headers=stack.headers), 404)

    for _ in range(2):
        removed = await stack.client.delete(f"{members}/{ada['id']}", headers=stack.headers)
        assert removed.status_code == 204 and removed.content == b""
    assert (await stack.client.get(f"/v1/users/{ada['id']}", headers=stack.headers)).json()["team_ids"] == []


async def test_every_act_is_in_the_audit_log_under_the_key_that_did_it(stack: Stack) -> None:
    owner = await api.api_key(stack, AccessRole.OWNER)
    ada = await invite(stack, "ada@example.com")
    await stack.client.post(f"/v1/users/{ada['id']}/role", json={"role": "viewer"}, headers=stack.headers)
    team = await api.post(stack, "/v1/teams", {"name": "Legal"})
    await stack.client.post(f"/v1/teams/{team['id']}/members", json={"user_id": ada["id"]}, headers=stack.headers)
    await stack.client.delete(f"/v1/teams/{team['id']}/members/{ada['id']}", headers=stack.headers)
    await stack.client.post(f"/v1/users/{ada['id']}/disable", headers=stack.headers)

    items = (await stack.client.get("/v1/audit-log", params={"limit": 100}, headers=api.bearer(owner))).json()["items"]
    people = [(e["type"], e["data"]) for e in items if not e["type"].startswith("ApiKey")]
    assert people == [
        ("UserInvited", {"user_id": ada["id"], "email": "ada@example.com", "role": "sender"}),
        ("UserRoleChanged", {"user_id": ada["id"], "old_role": "sender", "new_role": "viewer"}),
        ("TeamCreated", {"team_id": team["id"], "name": "Legal"}),
        ("TeamMemberAdded", {"team_id": team["id"], "user_id": ada["id"]}),
        ("TeamMemberRemoved", {"team_id": team["id"], "user_id": ada["id"]}),
        ("UserDisabled", {"user_id": ada["id"]}),
    ]
    assert len({e["actor"] for e in items if not e["type"].startswith("ApiKey")}) == 1
    verdict = (await stack.client.get("/v1/audit-log/verification", headers=api.bearer(owner))).json()
    assert verdict["chain_valid"] is True


async def test_other_roles_and_other_tenants_see_nothing(stack: Stack) -> None:
    ada = await invite(stack, "ada@example.com")
    sender = await api.api_key(stack, AccessRole.SENDER)
    api.problem(await stack.client.get("/v1/users", headers=api.bearer(sender)), 403, "forbidden")
    api.problem(await stack.client.get("/v1/teams", headers=api.bearer(sender)), 403, "forbidden")

    globex = await api.api_key(stack, AccessRole.OWNER, tenant="globex")
    api.problem(await stack.client.get(f"/v1/users/{ada['id']}", headers=api.bearer(globex)), 404, "not_found")
    assert (await stack.client.get("/v1/users", headers=api.bearer(globex))).json() == {"items": [], "next_cursor": None}
    theirs = await invite(stack, "ada@example.com", key=globex)  # the same email, another tenant
    assert theirs["id"] != ada["id"]
