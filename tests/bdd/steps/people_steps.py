"""Steps for people, teams and who sees which envelope (features/people_and_teams.feature), on the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from tests.fakes.platform import FakePlatform
from undersign.application.access.permissions import Caller
from undersign.application.envelopes.create import CreateEnvelope
from undersign.application.shared.errors import Forbidden, Unauthenticated
from undersign.domain.errors import NotFound
from undersign.domain.tenant import AccessRole
from undersign.domain.user import Team, User


@dataclass
class Office:
    platform: FakePlatform = field(default_factory=FakePlatform)
    tenant_id: str = ""
    teams: dict[str, str] = field(default_factory=dict)  # name -> id
    envelopes: dict[str, str] = field(default_factory=dict)  # subject -> id
    sessions: dict[str, str] = field(default_factory=dict)  # person -> session token
    outcome: Exception | None = None

    async def person(self, name: str) -> Caller:
        async with self.platform.unit_of_work() as uow:
            user = await uow.users.by_email(self.tenant_id, f"{name.lower()}@acme.test")
        assert user is not None
        return Caller.of_user(user, credential_id=f"session:{name}")

    async def user(self, name: str) -> User:
        async with self.platform.unit_of_work() as uow:
            found = await uow.users.by_email(self.tenant_id, f"{name.lower()}@acme.test")
        assert found is not None
        return found


@pytest.fixture
def office() -> Office:
    return Office()


@given(parsers.parse('the organisation "{slug}" with a team "{team}"'))
def organisation_with_a_team(office: Office, run, slug: str, team: str) -> None:
    async def make() -> None:
        tenant = await office.platform.tenants.create(slug)
        office.tenant_id = tenant.id
        made = Team.create(team_id=f"team-{team.lower()}", tenant_id=tenant.id, name=team, now=office.platform.clock.now())
        async with office.platform.unit_of_work() as uow:
            await uow.teams.add(made)
            await uow.commit()
        office.teams[team] = made.id

    run(make())


@given(parsers.parse(
    'Ana and Ben are senders in "{team}", Cat is a sender in no team, Vic is a viewer and Ada is an admin'
))
def the_people(office: Office, run, team: str) -> None:
    people = [("Ana", AccessRole.SENDER, True), ("Ben", AccessRole.SENDER, True), ("Cat", AccessRole.SENDER, False),
              ("Vic", AccessRole.VIEWER, False), ("Ada", AccessRole.ADMIN, False)]  # fmt: skip

    async def invite() -> None:
        async with office.platform.unit_of_work() as uow:
            for name, role, in_team in people:
                user = User.invite(
                    user_id=f"user-{name.lower()}", tenant_id=office.tenant_id, email=f"{name.lower()}@acme.test",
                    name=name, role=role, now=office.platform.clock.now(),
                )
                await uow.users.add(user.joined(office.teams[team]) if in_team else user)
            await uow.commit()

    run(invite())


@given(parsers.re(r'^(?P<name>[A-Z][a-z]+) has drafted "(?P<subject>[^"]+)" for herself$'))
def drafted_alone(office: Office, run, name: str, subject: str) -> None:
    draft(office, run, name, subject, None)


@given(parsers.re(r'^(?P<name>[A-Z][a-z]+) has drafted "(?P<subject>[^"]+)" shared with "(?P<team>[^"]+)"$'))
def drafted_for_the_team(office: Office, run, name: str, subject: str, team: str) -> None:
    draft(office, run, name, subject, office.teams[team])


def draft(office: Office, run, name: str, subject: str, team_id: str | None) -> None:
    async def make() -> str:
        command = CreateEnvelope(caller=await office.person(name), subject=subject, team_id=team_id)
        return (await office.platform.create_envelope(command)).id

    office.envelopes[subject] = run(make())


@then(parsers.re(r'^(?P<name>[A-Z][a-z]+) sees (?P<subjects>".+")$'))
def sees(office: Office, run, name: str, subjects: str) -> None:
    expected = {s.strip().strip('"') for s in subjects.replace(" and ", ",").split(",")}

    async def listed() -> set[str]:
        page = await office.platform.envelope_queries.list(await office.person(name), limit=100, after=None)
        return {e.subject for e in page.items}

    assert run(listed()) == expected


@when(parsers.re(r'^(?P<name>[A-Z][a-z]+) opens "(?P<subject>[^"]+)"$'))
def opens(office: Office, run, name: str, subject: str) -> None:
    async def open_it() -> None:
        await office.platform.envelope_queries.get(await office.person(name), office.envelopes[subject])

    try:
        run(open_it())
        office.outcome = None
    except NotFound as refused:
        office.outcome = refused


@then(parsers.re(r'^(?P<name>[A-Z][a-z]+) is told there is no such envelope$'))
def no_such_envelope(office: Office) -> None:
    assert isinstance(office.outcome, NotFound)


@when(parsers.re(r'^(?P<admin>[A-Z][a-z]+) tries to make (?P<name>[A-Z][a-z]+) an owner$'))
def tries_to_promote(office: Office, run, admin: str, name: str) -> None:
    async def promote() -> None:
        await office.platform.users.change_role(await office.person(admin), (await office.user(name)).id, AccessRole.OWNER)

    try:
        run(promote())
        office.outcome = None
    except Forbidden as refused:
        office.outcome = refused


@then(parsers.re(r'^(?P<name>[A-Z][a-z]+) is refused$'))
def is_refused(office: Office) -> None:
    assert isinstance(office.outcome, Forbidden)


@then(parsers.re(r'^(?P<name>[A-Z][a-z]+) is still an? (?P<role>[a-z]+)$'))
def still_a(office: Office, run, name: str, role: str) -> None:
    assert run(office.user(name)).role is AccessRole(role)


@given(parsers.re(r'^(?P<name>[A-Z][a-z]+) is signed in$'))
def signed_in(office: Office, run, name: str) -> None:
    async def sign_in() -> str:
        user = await office.user(name)
        async with office.platform.unit_of_work() as uow:
            started = await office.platform.sign_ins.start_session(uow, user, method="oidc:corp")
            await uow.commit()
        return started.token

    office.sessions[name] = run(sign_in())


@when(parsers.re(r'^(?P<admin>[A-Z][a-z]+) disables (?P<name>[A-Z][a-z]+)$'))
def disables(office: Office, run, admin: str, name: str) -> None:
    async def disable() -> None:
        await office.platform.users.disable(await office.person(admin), (await office.user(name)).id)

    run(disable())


@then(parsers.re(r"^(?P<name>[A-Z][a-z]+)'s session no longer works$"))
def session_ended(office: Office, run, name: str) -> None:
    with pytest.raises(Unauthenticated):
        run(office.platform.sign_ins.authenticate(office.sessions[name]))


@then(parsers.re(r"^the organisation's audit log shows that (?P<admin>[A-Z][a-z]+) disabled (?P<name>[A-Z][a-z]+)$"))
def audit_shows_disabled(office: Office, run, admin: str, name: str) -> None:
    entries = office.platform.db.tenant_audit[office.tenant_id]
    disabled = [e for e in entries if e.type == "UserDisabled"]
    assert [(e.actor, e.data["user_id"]) for e in disabled] == [
        (f"user:{run(office.user(admin)).id}", run(office.user(name)).id)
    ]
