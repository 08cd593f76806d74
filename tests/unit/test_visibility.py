"""Who sees which envelope: a sender, their own and their teams'; everyone else of the tenant, all of it."""

from __future__ import annotations

import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.envelopes.void import VoidEnvelope
from undersign.domain.errors import InvalidInput, InvalidState, NotFound
from undersign.domain.tenant import AccessRole
from undersign.domain.user import Team, User


@pytest.fixture
async def people(platform: FakePlatform) -> dict[str, Caller]:
    """Two senders in the team "legal", one sender outside it, a viewer, an admin; all of acme; and globex's admin."""
    acme = await platform.tenants.create("acme")
    globex = await platform.tenants.create("globex")
    now = platform.clock.now()
    legal = Team.create(team_id="team-legal", tenant_id=acme.id, name="Legal", now=now)

    def user(user_id: str, role: AccessRole, *teams: str, tenant_id: str = acme.id) -> User:
        made = User.invite(
            user_id=user_id, tenant_id=tenant_id, email=f"{user_id}@example.com", name=user_id, role=role, now=now
        )
        for team in teams:
            made = made.joined(team)
        return made

    users = [
        user("ana", AccessRole.SENDER, legal.id), user("ben", AccessRole.SENDER, legal.id),
        user("cat", AccessRole.SENDER), user("vic", AccessRole.VIEWER), user("ada", AccessRole.ADMIN),
        user("gus", AccessRole.ADMIN, tenant_id=globex.id),
    ]
    async with platform.unit_of_work() as uow:
        await uow.teams.add(legal)
        for each in users:
            await uow.users.add(each)
        await uow.commit()
    return {each.id: Caller.of_user(each, credential_id=f"session:{each.id}") for each in users}


async def made_by(platform: FakePlatform, caller: Caller, *, team_id: str | None = None) -> str:
    return (await platform.create_envelope(CreateEnvelope(caller=caller, subject="Lease", team_id=team_id))).id


async def listed(platform: FakePlatform, caller: Caller) -> set[str]:
    return {e.id for e in (await platform.envelope_queries.list(caller, limit=100, after=None)).items}


async def test_a_sender_sees_their_own_and_their_teams_envelopes_and_nobody_elses(
    platform: FakePlatform, people: dict[str, Caller]
) -> None:
    private = await made_by(platform, people["ana"])
    shared = await made_by(platform, people["ana"], team_id="team-legal")
    cats = await made_by(platform, people["cat"])

    assert await listed(platform, people["ana"]) == {private, shared}
    assert await listed(platform, people["ben"]) == {shared}
    assert await listed(platform, people["cat"]) == {cats}
    await platform.envelope_queries.get(people["ben"], shared)
    for outsider, envelope in (("ben", private), ("cat", shared), ("ana", cats), ("gus", private)):
        with pytest.raises(NotFound):
            await platform.envelope_queries.get(people[outsider], envelope)


@pytest.mark.parametrize("reader", ["vic", "ada"])
async def test_viewers_and_admins_see_every_envelope_of_their_tenant(
    platform: FakePlatform, people: dict[str, Caller], reader: str
) -> None:
    made = {await made_by(platform, people["ana"]), await made_by(platform, people["cat"])}
    assert await listed(platform, people[reader]) == made
    assert await listed(platform, people["gus"]) == set()


async def test_a_sender_cannot_change_an_envelope_they_do_not_see(platform: FakePlatform, people: dict[str, Caller]) -> None:
    envelope = await made_by(platform, people["cat"])
    with pytest.raises(NotFound):
        await platform.void_envelope(VoidEnvelope(caller=people["ana"], envelope_id=envelope, reason="not mine"))
    with pytest.raises(InvalidState, match="only a sent envelope"):  # the admin sees it: the envelope's own rule answers
        await platform.void_envelope(VoidEnvelope(caller=people["ada"], envelope_id=envelope, reason="an admin may"))


async def test_an_envelope_is_shared_only_with_a_team_of_the_callers(
    platform: FakePlatform, people: dict[str, Caller]
) -> None:
    with pytest.raises(InvalidInput, match="no team of yours"):
        await made_by(platform, people["cat"], team_id="team-legal")


async def test_a_key_scoped_to_a_team_shares_what_it_makes_with_the_team_and_sees_the_teams_envelopes(
    platform: FakePlatform, people: dict[str, Caller]
) -> None:
    from undersign.application.access.api_keys import IssueApiKey

    admin_key = await platform.tenants.create_api_key("acme", AccessRole.ADMIN)
    admin = await platform.tenants.authenticate(admin_key.key)
    issued = await platform.api_keys.issue(IssueApiKey(caller=admin, role=AccessRole.SENDER, team_id="team-legal"))
    crm = await platform.tenants.authenticate(issued.key)
    assert issued.api_key.team_id == "team-legal" and crm.team_ids == {"team-legal"}

    by_the_key = await made_by(platform, crm)
    by_ana = await made_by(platform, people["ana"], team_id="team-legal")
    assert await listed(platform, people["ben"]) == {by_the_key, by_ana}  # the key shared it with its team
    assert await listed(platform, crm) == {by_the_key, by_ana}
    with pytest.raises(InvalidInput, match="no team"):
        await platform.api_keys.issue(IssueApiKey(caller=admin, role=AccessRole.SENDER, team_id="team-nowhere"))
