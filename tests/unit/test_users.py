"""Users and teams administered on the fakes: who may, up to which rank, in which tenant, and what the audit log keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.platform import FakePlatform
from tests.unit.spying import limits_asked
from undersign.application.access.permissions import Caller
from undersign.application.shared.errors import AlreadyExists, Forbidden
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.tenant import AccessRole
from undersign.domain.web_session import WebSession

OWNER, ADMIN, SENDER, VIEWER, AUDITOR = (
    AccessRole.OWNER, AccessRole.ADMIN, AccessRole.SENDER, AccessRole.VIEWER, AccessRole.AUDITOR,
)


async def key_of(platform: FakePlatform, role: AccessRole, tenant: str = "acme") -> Caller:
    return await platform.tenants.authenticate((await platform.tenants.create_api_key(tenant, role)).key)


@pytest.fixture
async def acme(platform: FakePlatform) -> dict[AccessRole, Caller]:
    await platform.tenants.create("acme")
    return {role: await key_of(platform, role) for role in AccessRole}


def acts(platform: FakePlatform, slug: str = "acme") -> list[tuple[str, dict]]:
    """The tenant's audit log past its API keys' creation: (type, data) of each act."""
    return [(e.type, e.data) for e in platform.db.tenant_audit[platform.db.tenants[slug].id] if "Key" not in e.type]


async def invite(platform: FakePlatform, caller: Caller, email: str = "ada@example.com", role: AccessRole = SENDER):
    return await platform.users.invite(caller, email=email, name="Ada Lovelace", role=role)


# -- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [SENDER, VIEWER, AUDITOR])
async def test_only_owners_and_admins_manage_users_even_to_read_them(platform, acme, role) -> None:
    ada = await invite(platform, acme[ADMIN])
    team = await platform.users.create_team(acme[ADMIN], "Legal")
    caller = acme[role]
    for attempt in (
        invite(platform, caller, "bob@example.com", VIEWER), platform.users.list(caller, limit=10),
        platform.users.get(caller, ada.id), platform.users.change_role(caller, ada.id, VIEWER),
        platform.users.disable(caller, ada.id), platform.users.create_team(caller, "Sales"),
        platform.users.teams(caller), platform.users.add_member(caller, team.id, ada.id),
        platform.users.remove_member(caller, team.id, ada.id),
    ):
        with pytest.raises(Forbidden, match="users:manage"):
            await attempt


@pytest.mark.parametrize(
    ("maker", "role", "allowed"),
    [(OWNER, OWNER, True), (OWNER, ADMIN, True), (ADMIN, OWNER, False), (ADMIN, ADMIN, True), (ADMIN, AUDITOR, True)],
)
async def test_nobody_invites_someone_above_their_own_rank(platform, acme, maker, role, allowed) -> None:
    if not allowed:
        with pytest.raises(Forbidden, match="may not invite an owner user"):
            await invite(platform, acme[maker], role=role)
        assert await platform.users.list(acme[OWNER], limit=10) == ([], None)
        return
    made = await invite(platform, acme[maker], role=role)
    assert made.role == role and made.tenant_id == acme[maker].tenant_id and made.active


async def test_an_admin_neither_promotes_to_owner_nor_changes_or_disables_an_owner(platform, acme) -> None:
    owner = await invite(platform, acme[OWNER], "root@example.com", OWNER)
    ada = await invite(platform, acme[ADMIN])

    with pytest.raises(Forbidden, match="an admin key may not promote a user to an owner role"):
        await platform.users.change_role(acme[ADMIN], ada.id, OWNER)
    with pytest.raises(Forbidden, match="change the role of an owner user"):
        await platform.users.change_role(acme[ADMIN], owner.id, VIEWER)
    with pytest.raises(Forbidden, match="disable an owner user"):
        await platform.users.disable(acme[ADMIN], owner.id)
    assert (await platform.users.get(acme[OWNER], owner.id)).active

    assert (await platform.users.change_role(acme[ADMIN], ada.id, ADMIN)).role == ADMIN
    assert (await platform.users.change_role(acme[OWNER], owner.id, ADMIN)).role == ADMIN
    assert (await platform.users.disable(acme[OWNER], ada.id)).disabled_at == platform.clock.now()


async def test_a_user_does_not_disable_themselves(platform, acme) -> None:
    root = await invite(platform, acme[OWNER], "root@example.com", OWNER)
    as_root = Caller.of_user(root, credential_id="session:s1")
    with pytest.raises(InvalidInput, match="themselves"):
        await platform.users.disable(as_root, root.id)
    other = await invite(platform, as_root, "bob@example.com", VIEWER)
    assert not (await platform.users.disable(as_root, other.id)).active
    assert acts(platform)[-1] == ("UserDisabled", {"user_id": other.id})


# -- invitations and lists ------------------------------------------------------------------


async def test_an_email_is_invited_once_per_tenant_whatever_its_case(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN], "Ada@Example.com")
    assert ada.email == "ada@example.com"
    with pytest.raises(AlreadyExists):
        await invite(platform, acme[ADMIN], "ADA@example.COM")

    await platform.tenants.create("globex")
    globex = await key_of(platform, ADMIN, "globex")
    assert (await invite(platform, globex, "ada@example.com")).tenant_id != ada.tenant_id


async def test_bad_emails_and_names_are_refused(platform, acme) -> None:
    with pytest.raises(InvalidInput):
        await invite(platform, acme[ADMIN], "not an email")
    with pytest.raises(InvalidInput):
        await platform.users.invite(acme[ADMIN], email="ada@example.com", name="Ada\nLovelace", role=SENDER)
    with pytest.raises(InvalidInput):
        await platform.users.create_team(acme[ADMIN], " ")


async def test_users_are_listed_by_email_page_by_page(platform, acme) -> None:
    for email in ("cy@example.com", "ada@example.com", "bob@example.com"):
        await invite(platform, acme[ADMIN], email)
    first = await platform.users.list(acme[ADMIN], limit=2)
    assert [u.email for u in first.items] == ["ada@example.com", "bob@example.com"]
    assert first.next_cursor == "bob@example.com"
    rest = await platform.users.list(acme[ADMIN], limit=2, after=first.next_cursor)
    assert [u.email for u in rest.items] == ["cy@example.com"] and rest.next_cursor is None
    with pytest.raises(InvalidInput):
        await platform.users.list(acme[ADMIN], limit=0)
    with pytest.raises(InvalidInput):
        await platform.users.list(acme[ADMIN], limit=101)


async def test_another_tenants_users_and_teams_are_not_found(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN])
    team = await platform.users.create_team(acme[ADMIN], "Legal")
    await platform.tenants.create("globex")
    globex = await key_of(platform, OWNER, "globex")
    theirs = await invite(platform, globex, "eve@example.com")
    their_team = await platform.users.create_team(globex, "Legal")  # the same name, another tenant

    for attempt in (
        platform.users.get(globex, ada.id), platform.users.change_role(globex, ada.id, VIEWER),
        platform.users.disable(globex, ada.id), platform.users.add_member(globex, team.id, theirs.id),
        platform.users.add_member(globex, their_team.id, ada.id), platform.users.remove_member(globex, team.id, ada.id),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert [u.id for u in (await platform.users.list(globex, limit=10)).items] == [theirs.id]
    assert [t.id for t in await platform.users.teams(globex)] == [their_team.id]
    assert (await platform.users.get(acme[ADMIN], ada.id)) == ada


# -- teams ----------------------------------------------------------------------------------


async def test_members_join_and_leave_teams_once(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN])
    legal = await platform.users.create_team(acme[ADMIN], "Legal")
    sales = await platform.users.create_team(acme[ADMIN], "Sales")
    with pytest.raises(AlreadyExists):
        await platform.users.create_team(acme[ADMIN], "Legal")
    assert [t.name for t in await platform.users.teams(acme[ADMIN])] == ["Legal", "Sales"]

    assert (await platform.users.add_member(acme[ADMIN], legal.id, ada.id)).team_ids == {legal.id}
    assert (await platform.users.add_member(acme[ADMIN], legal.id, ada.id)).team_ids == {legal.id}
    assert (await platform.users.add_member(acme[ADMIN], sales.id, ada.id)).team_ids == {legal.id, sales.id}
    assert (await platform.users.remove_member(acme[ADMIN], legal.id, ada.id)).team_ids == {sales.id}
    assert (await platform.users.remove_member(acme[ADMIN], legal.id, ada.id)).team_ids == {sales.id}
    with pytest.raises(NotFound):
        await platform.users.add_member(acme[ADMIN], "no-such-team", ada.id)
    with pytest.raises(NotFound):
        await platform.users.add_member(acme[ADMIN], legal.id, "no-such-user")

    assert [t for t, _ in acts(platform)] == [
        "UserInvited", "TeamCreated", "TeamCreated", "TeamMemberAdded", "TeamMemberAdded", "TeamMemberRemoved",
    ]


# -- disabling ends sessions, and every act is in the audit log -----------------------------


async def test_disabling_a_user_ends_all_their_sessions_and_only_theirs(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN])
    bob = await invite(platform, acme[ADMIN], "bob@example.com")
    now = platform.clock.now()
    async with platform.unit_of_work() as uow:
        for n, user in enumerate((ada, ada, bob)):
            await uow.web_sessions.add(WebSession(
                id=f"s{n}", tenant_id=user.tenant_id, user_id=user.id, token_hash=f"{n}" * 64, method="oidc:corp",
                created_at=now, last_seen_at=now,
            ))
        await uow.commit()
    platform.clock.advance(timedelta(minutes=3))

    disabled = await platform.users.disable(acme[ADMIN], ada.id)
    again = await platform.users.disable(acme[ADMIN], ada.id)

    sessions = platform.db.web_sessions
    assert sessions["s0"].ended_at == sessions["s1"].ended_at == platform.clock.now() and sessions["s2"].ended_at is None
    assert disabled.disabled_at == again.disabled_at == platform.clock.now()
    assert [t for t, _ in acts(platform)].count("UserDisabled") == 1


async def test_every_change_is_an_act_in_the_tenants_audit_log_and_no_change_is_none(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN])
    await platform.users.change_role(acme[ADMIN], ada.id, SENDER)  # the role she has: no act
    await platform.users.change_role(acme[ADMIN], ada.id, VIEWER)
    await platform.users.disable(acme[ADMIN], ada.id)
    team = await platform.users.create_team(acme[ADMIN], "Legal")
    await platform.users.add_member(acme[ADMIN], team.id, ada.id)
    await platform.users.remove_member(acme[ADMIN], team.id, ada.id)

    assert acts(platform) == [
        ("UserInvited", {"user_id": ada.id, "email": "ada@example.com", "role": "sender"}),
        ("UserRoleChanged", {"user_id": ada.id, "old_role": "sender", "new_role": "viewer"}),
        ("UserDisabled", {"user_id": ada.id}),
        ("TeamCreated", {"team_id": team.id, "name": "Legal"}),
        ("TeamMemberAdded", {"team_id": team.id, "user_id": ada.id}),
        ("TeamMemberRemoved", {"team_id": team.id, "user_id": ada.id}),
    ]
    log = platform.db.tenant_audit[platform.db.tenants["acme"].id]
    assert {e.actor for e in log if "Key" not in e.type} == {acme[ADMIN].actor}
    verdict = await platform.tenant_audit.verify(acme[OWNER])
    assert verdict.chain_valid


async def test_a_refused_act_records_nothing(platform, acme) -> None:
    await invite(platform, acme[ADMIN])
    before = acts(platform)
    with pytest.raises(AlreadyExists):
        await invite(platform, acme[ADMIN])
    with pytest.raises(Forbidden):
        await invite(platform, acme[ADMIN], "root@example.com", OWNER)
    assert acts(platform) == before


# -- operators ------------------------------------------------------------------------------


async def test_operators_act_in_any_tenant_by_slug_under_their_own_name(platform, acme) -> None:
    root = await platform.users.invite_for_tenant("acme", email="root@example.com", name="Root", role=OWNER, by="cli:ops")
    team = await platform.users.create_team_for_tenant("acme", "Ops", by="cli:ops")
    member = await platform.users.add_member_for_tenant("acme", team.id, root.id)  # no name: "cli"
    changed = await platform.users.change_role_for_tenant("acme", root.id, ADMIN, by="cli:ops")
    disabled = await platform.users.disable_for_tenant("acme", root.id, by="cli:ops")

    assert member.team_ids == {team.id} and changed.role == ADMIN and not disabled.active
    assert [u.id for u in await platform.users.users_of_tenant("acme")] == [root.id]
    assert [t.id for t in await platform.users.teams_of_tenant("acme")] == [team.id]
    log = [e for e in platform.db.tenant_audit[platform.db.tenants["acme"].id] if "Key" not in e.type]
    assert [e.actor for e in log] == ["cli:ops", "cli:ops", "cli", "cli:ops", "cli:ops"]
    with pytest.raises(NotFound):
        await platform.users.users_of_tenant("initech")
    with pytest.raises(NotFound):
        await platform.users.disable_for_tenant("acme", "no-such-user")


# -- pages, cursors and what each refusal names ---------------------------------------------------


async def test_a_page_holds_one_to_a_hundred_users_and_a_full_last_page_has_no_cursor(platform, acme) -> None:
    for email in ("ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com"):
        await invite(platform, acme[ADMIN], email)
    one = await platform.users.list(acme[ADMIN], limit=1)
    assert [u.email for u in one.items] == ["ada@example.com"] and one.next_cursor == "ada@example.com"
    three = await platform.users.list(acme[ADMIN], limit=3)
    assert three.next_cursor == "cy@example.com"
    everyone = await platform.users.list(acme[ADMIN], limit=100)
    assert len(everyone.items) == 4 and everyone.next_cursor is None
    exactly = await platform.users.list(acme[ADMIN], limit=4)
    assert len(exactly.items) == 4 and exactly.next_cursor is None
    with pytest.raises(InvalidInput, match="limit must be between 1 and 100"):
        await platform.users.list(acme[ADMIN], limit=101)


async def test_a_cursor_is_one_to_254_characters(platform, acme) -> None:
    await invite(platform, acme[ADMIN], "ada@example.com")
    assert [u.email for u in (await platform.users.list(acme[ADMIN], limit=10, after="a")).items] == ["ada@example.com"]
    assert (await platform.users.list(acme[ADMIN], limit=10, after="z" * 254)).items == []
    for cursor in ("", "z" * 255):
        with pytest.raises(InvalidInput, match="cursor is not one this API returned"):
            await platform.users.list(acme[ADMIN], limit=10, after=cursor)


async def test_each_refusal_names_what_it_refused(platform, acme) -> None:
    await invite(platform, acme[ADMIN], "ada@example.com")
    with pytest.raises(AlreadyExists, match="'ada@example.com' already exists"):
        await invite(platform, acme[ADMIN], "ADA@example.com")
    await platform.users.create_team(acme[ADMIN], "Legal")
    with pytest.raises(AlreadyExists, match="team 'Legal' already exists"):
        await platform.users.create_team(acme[ADMIN], "Legal")
    with pytest.raises(NotFound, match="no team no-such-team"):
        await platform.users.add_member(acme[ADMIN], "no-such-team", "whoever")
    with pytest.raises(NotFound, match="no user no-such-user"):
        await platform.users.get(acme[ADMIN], "no-such-user")


async def test_an_operator_adding_a_member_is_named_in_the_log(platform, acme) -> None:
    ada = await invite(platform, acme[ADMIN])
    team = await platform.users.create_team(acme[ADMIN], "Legal")
    await platform.users.add_member_for_tenant("acme", team.id, ada.id, by="cli:ops")
    last = platform.db.tenant_audit[platform.db.tenants["acme"].id][-1]
    assert (last.type, last.actor) == ("TeamMemberAdded", "cli:ops")


# -- the domain: users, teams and identities ------------------------------------------------------


def _user(**overrides):
    from datetime import UTC, datetime

    from undersign.domain.user import User

    return User.invite(**{
        "user_id": "u1", "tenant_id": "t1", "email": "ana@acme.test", "name": "Ana", "role": SENDER,
        "now": datetime(2026, 3, 1, tzinfo=UTC), **overrides,
    })


def test_a_bad_user_or_team_name_is_refused_by_what_it_names() -> None:
    from datetime import UTC, datetime

    from undersign.domain.user import Team

    with pytest.raises(InvalidInput, match="^a user's name must be one line"):
        _user(name="Ana\nEvil")
    with pytest.raises(InvalidInput, match="^a team's name must be one line"):
        Team.create(team_id="t", tenant_id="t1", name="Legal\x00", now=datetime(2026, 3, 1, tzinfo=UTC))


def test_a_user_belongs_to_at_most_fifty_teams_and_rejoining_one_is_no_change() -> None:
    from dataclasses import replace

    from undersign.domain.user import MAX_TEAMS_PER_USER

    almost = replace(_user(), team_ids=frozenset(f"team-{n}" for n in range(MAX_TEAMS_PER_USER - 1)))
    full = almost.joined("team-new")
    assert len(full.team_ids) == MAX_TEAMS_PER_USER
    assert full.joined("team-new") == full
    with pytest.raises(InvalidInput, match="at most 50 teams"):
        full.joined("one-too-many")


def test_disabling_a_disabled_user_keeps_the_first_time() -> None:
    user = _user()
    first = user.created_at + timedelta(days=1)
    assert user.disabled(first).disabled(first + timedelta(days=1)).disabled_at == first


@pytest.mark.parametrize(
    ("issuer", "subject", "named"),
    [
        ("", "sub", "issuer"),
        ("https://idp.test", "", "subject"),
        ("i" * 501, "sub", "issuer"),
        ("https://idp.test", "sub\n", "subject"),
    ],
)
def test_an_identity_is_refused_by_the_part_that_is_wrong(issuer: str, subject: str, named: str) -> None:
    from undersign.domain.user import ExternalIdentity

    with pytest.raises(InvalidInput, match=f"identity's {named} has 1 to 500"):
        ExternalIdentity(issuer=issuer, subject=subject)


def test_an_identity_part_may_be_500_characters() -> None:
    from undersign.domain.user import ExternalIdentity

    assert len(ExternalIdentity(issuer="i" * 500, subject="s" * 500).issuer) == 500


async def test_reads_of_users_ask_the_store_for_a_bounded_number(platform, acme, monkeypatch) -> None:
    from tests.fakes.people import FakeUsers
    from undersign.application.access.users import MAX_PAGE_SIZE

    await invite(platform, acme[ADMIN])
    asked = limits_asked(monkeypatch, FakeUsers, "for_tenant")
    await platform.users.list(acme[ADMIN], limit=2)
    assert [u.email for u in await platform.users.users_of_tenant("acme")] == ["ada@example.com"]
    assert asked == [3, MAX_PAGE_SIZE, MAX_PAGE_SIZE]  # a page: one more than it shows; operators: a page at a time
