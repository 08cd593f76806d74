"""Users (their teams and identities), teams and browser sessions, on every backend; ids used once, on the databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.fakes.system import FakeClock
from tests.integration.sql.helpers import ACME, GLOBEX, SQL_BACKENDS, T0, Backend
from undersign.adapters.sql.engine import create_session_factory
from undersign.adapters.sql.repositories.people import SqlOneTimeIds
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.tenant import AccessRole
from undersign.domain.user import ExternalIdentity, Team, User
from undersign.domain.web_session import WebSession

CORP = ExternalIdentity(issuer="https://login.example.com/", subject="00u-ada")


def person(user_id: str = "user-ada", email: str = "ada@example.com", tenant_id: str = ACME) -> User:
    return User.invite(user_id=user_id, tenant_id=tenant_id, email=email, name="Ada « Lovelace »",
                       role=AccessRole.SENDER, now=T0)


def team(team_id: str, name: str, tenant_id: str = ACME) -> Team:
    return Team.create(team_id=team_id, tenant_id=tenant_id, name=name, now=T0)


def session(session_id: str, user: User, token_hash: str) -> WebSession:
    return WebSession(
        id=session_id, tenant_id=user.tenant_id, user_id=user.id, token_hash=token_hash, method="oidc:corp",
        created_at=T0, last_seen_at=T0,
    )


async def add(backend: Backend, *things: User | Team | WebSession) -> None:
    async with backend.uow() as uow:
        for thing in things:
            repository = {User: uow.users, Team: uow.teams, WebSession: uow.web_sessions}[type(thing)]
            await repository.add(thing)
        await uow.commit()


# -- users ----------------------------------------------------------------------------------


async def test_users_are_found_by_id_and_email_in_their_tenant_only(backend: Backend, tenants: None) -> None:
    ada, eve = person(), person("user-eve", "eve@example.com", GLOBEX)
    await add(backend, ada, eve)

    async with backend.uow() as uow:
        assert await uow.users.get(ACME, ada.id) == ada
        assert await uow.users.get(GLOBEX, ada.id) is None
        assert await uow.users.by_email(ACME, "ada@example.com") == ada
        assert await uow.users.by_email(ACME, "eve@example.com") is None
        assert await uow.users.by_email(GLOBEX, "eve@example.com") == eve
        assert [u.id for u in await uow.users.for_tenant(ACME, limit=10)] == [ada.id]

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.users.add(person("user-other"))  # the same email in the same tenant
            await uow.commit()
    await add(backend, person("user-ada-globex", tenant_id=GLOBEX))  # the same email in another tenant


async def test_an_identity_links_to_one_user_once(backend: Backend, tenants: None) -> None:
    ada, bob = person(), person("user-bob", "bob@example.com")
    await add(backend, ada, bob)
    async with backend.uow() as uow:
        assert await uow.users.by_identity(CORP) is None
        await uow.users.link(ada, CORP)
        await uow.commit()

    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.users.link(bob, CORP)
            await uow.commit()

    async with backend.uow() as uow:
        assert await uow.users.by_identity(CORP) == ada
        assert await uow.users.by_identity(replace(CORP, subject="00u-bob")) is None
        assert await uow.users.by_identity(replace(CORP, issuer="https://other.example.com/")) is None


async def test_saving_a_user_keeps_their_role_teams_and_disabling(backend: Backend, tenants: None) -> None:
    ada = person()
    await add(backend, ada, team("team-legal", "Legal"), team("team-sales", "Sales"))

    joined = ada.with_role(AccessRole.ADMIN).joined("team-legal").joined("team-sales")
    async with backend.uow() as uow:
        await uow.users.save(joined)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.users.get(ACME, ada.id) == joined
        assert (await uow.users.for_tenant(ACME, limit=10))[0].team_ids == {"team-legal", "team-sales"}

    left = joined.left("team-legal").disabled(T0 + timedelta(hours=1, microseconds=7))
    async with backend.uow() as uow:
        await uow.users.save(left)
        await uow.commit()
    async with backend.uow() as uow:
        stored = await uow.users.get(ACME, ada.id)
        assert stored == left and stored.team_ids == {"team-sales"} and not stored.active
        assert await uow.users.by_email(ACME, ada.email) == left


async def test_a_change_not_committed_is_not_kept(backend: Backend, tenants: None) -> None:
    ada = person()
    await add(backend, ada, team("team-legal", "Legal"))
    async with backend.uow() as uow:
        await uow.users.save(ada.joined("team-legal").with_role(AccessRole.OWNER))
    async with backend.uow() as uow:
        assert await uow.users.get(ACME, ada.id) == ada


# -- teams ----------------------------------------------------------------------------------


async def test_teams_are_listed_by_name_in_their_tenant_and_names_are_unique_in_it(backend: Backend, tenants: None) -> None:
    await add(backend, team("team-sales", "Sales"), team("team-legal", "Legal"), team("team-g", "Legal", GLOBEX))
    async with backend.uow() as uow:
        assert [t.id for t in await uow.teams.for_tenant(ACME)] == ["team-legal", "team-sales"]
        assert await uow.teams.get(ACME, "team-legal") == team("team-legal", "Legal")
        assert await uow.teams.get(ACME, "team-g") is None
    with pytest.raises(ConcurrencyConflict):
        await add(backend, team("team-again", "Legal"))


# -- sessions -------------------------------------------------------------------------------


async def test_sessions_are_found_by_token_hash_saved_and_all_ended_at_once(backend: Backend, tenants: None) -> None:
    ada, bob = person(), person("user-bob", "bob@example.com")
    await add(backend, ada, bob, session("s1", ada, "1" * 64), session("s2", ada, "2" * 64),
              session("s3", bob, "3" * 64))

    async with backend.uow() as uow:
        s1 = await uow.web_sessions.by_token_hash("1" * 64)
        assert s1 == session("s1", ada, "1" * 64)
        assert await uow.web_sessions.by_token_hash("4" * 64) is None
        await uow.web_sessions.save(s1.seen(T0 + timedelta(minutes=5)))
        await uow.commit()
    async with backend.uow() as uow:
        assert (await uow.web_sessions.by_token_hash("1" * 64)).last_seen_at == T0 + timedelta(minutes=5)

    # s2 is ended already: end_all ends only the live ones, and keeps the first end.
    async with backend.uow() as uow:
        await uow.web_sessions.save(session("s2", ada, "2" * 64).ended(T0 + timedelta(minutes=1)))
        await uow.commit()
    end = T0 + timedelta(hours=1)
    async with backend.uow() as uow:
        assert await uow.web_sessions.end_all(ACME, ada.id, end) == 1
        assert await uow.web_sessions.end_all(GLOBEX, ada.id, end) == 0
        await uow.commit()

    async with backend.uow() as uow:
        ended = {h: (await uow.web_sessions.by_token_hash(h * 64)).ended_at for h in "123"}
    assert ended == {"1": end, "2": T0 + timedelta(minutes=1), "3": None}
    async with backend.uow() as uow:
        assert await uow.web_sessions.end_all(ACME, ada.id, end + timedelta(hours=1)) == 0


# -- ids used once --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_an_id_is_claimed_once_until_its_claim_expires(backend: Backend) -> None:
    assert backend.engine is not None
    clock = FakeClock(T0)
    ids = SqlOneTimeIds(create_session_factory(backend.engine), clock)
    until = T0 + timedelta(minutes=5)

    assert await ids.claim("assertion-1", until=until) is True
    assert await ids.claim("assertion-1", until=until) is False
    assert await ids.claim("assertion-2", until=until) is True

    clock.advance(timedelta(minutes=5, seconds=1))  # past the first claims' time: swept as new ones come
    assert await ids.claim("assertion-1", until=clock.now() + timedelta(minutes=5)) is True
    assert await ids.claim("assertion-1", until=clock.now() + timedelta(minutes=5)) is False


async def test_teams_are_listed_by_name_not_by_id_or_insertion(backend: Backend, tenants: None) -> None:
    await add(backend, team("team-a", "Sales"), team("team-c", "Marketing"), team("team-b", "Legal"))
    async with backend.uow() as uow:
        assert [t.name for t in await uow.teams.for_tenant(ACME)] == ["Legal", "Marketing", "Sales"]


async def test_ending_a_users_sessions_in_another_tenant_ends_none(backend: Backend, tenants: None) -> None:
    ada = person()
    await add(backend, ada, session("s1", ada, "1" * 64))
    async with backend.uow() as uow:
        assert await uow.web_sessions.end_all(GLOBEX, ada.id, T0 + timedelta(hours=1)) == 0
        await uow.commit()
    async with backend.uow() as uow:
        assert (await uow.web_sessions.by_token_hash("1" * 64)).ended_at is None


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_a_claim_still_holds_at_its_until(backend: Backend) -> None:
    assert backend.engine is not None
    clock = FakeClock(T0)
    ids = SqlOneTimeIds(create_session_factory(backend.engine), clock)
    until = T0 + timedelta(minutes=5)
    assert await ids.claim("assertion-1", until=until) is True

    clock.advance(timedelta(minutes=5))  # now == until: not expired yet
    assert await ids.claim("assertion-1", until=until + timedelta(minutes=5)) is False
