"""A tenant's users (with their teams and identities), teams and browser sessions; and ids used once."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from undersign.adapters.sql.availability import own_session
from undersign.adapters.sql.repositories.shared import FRESH, NO_SYNC, add_row, conflicts_raise, rowcount
from undersign.adapters.sql.tables.people import (
    LocalCredentialsRow,
    OneTimeIdRow,
    TeamMemberRow,
    TeamRow,
    UserIdentityRow,
    UserRow,
    WebSessionRow,
)
from undersign.application.access.ports import StoredCredentials
from undersign.application.shared.ports import Clock
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.local_credentials import LocalCredentials
from undersign.domain.user import ExternalIdentity, Team, User
from undersign.domain.web_session import WebSession


def _identity_key(identity: ExternalIdentity) -> str:
    return hashlib.sha256(f"{identity.issuer}\0{identity.subject}".encode()).hexdigest()


class SqlUsers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        await add_row(self._session, UserRow.from_domain(user), f"a user {user.email!r} already exists")
        await self._set_teams(user)

    async def get(self, tenant_id: str, user_id: str) -> User | None:
        row = await self._session.get(UserRow, user_id, populate_existing=True)
        return await self._user(row) if row is not None and row.tenant_id == tenant_id else None

    async def by_email(self, tenant_id: str, email: str) -> User | None:
        row = await self._session.scalar(
            select(UserRow).where(UserRow.tenant_id == tenant_id, UserRow.email == email).execution_options(**FRESH)
        )
        return await self._user(row)

    async def by_identity(self, identity: ExternalIdentity) -> User | None:
        row = await self._session.scalar(
            select(UserRow)
            .join(UserIdentityRow, UserIdentityRow.user_id == UserRow.id)
            .where(UserIdentityRow.key == _identity_key(identity))
            .execution_options(**FRESH)
        )
        return await self._user(row)

    async def has_identity(self, user_id: str) -> bool:
        found = await self._session.scalar(
            select(UserIdentityRow.key).where(UserIdentityRow.user_id == user_id).limit(1).execution_options(**FRESH)
        )
        return found is not None

    async def link(self, user: User, identity: ExternalIdentity) -> None:
        row = UserIdentityRow(
            key=_identity_key(identity), user_id=user.id, issuer=identity.issuer, subject=identity.subject
        )
        await add_row(self._session, row, "this identity is linked to a user already")

    async def save(self, user: User) -> None:
        with conflicts_raise(f"user {user.id} is being changed by another writer"):
            await self._session.execute(
                update(UserRow)
                .where(UserRow.id == user.id, UserRow.tenant_id == user.tenant_id)
                .values(name=user.name, role=user.role.value, disabled_at=user.disabled_at)
                .execution_options(**NO_SYNC)
            )
            await self._set_teams(user)

    async def for_tenant(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[User]:
        query = select(UserRow).where(UserRow.tenant_id == tenant_id)
        if after is not None:
            query = query.where(UserRow.email > after)
        rows = list(await self._session.scalars(query.order_by(UserRow.email).limit(limit).execution_options(**FRESH)))
        teams = await self._teams_of([row.id for row in rows])
        return [row.to_domain(teams.get(row.id, frozenset())) for row in rows]

    async def _user(self, row: UserRow | None) -> User | None:
        if row is None:
            return None
        return row.to_domain((await self._teams_of([row.id])).get(row.id, frozenset()))

    async def _teams_of(self, user_ids: list[str]) -> dict[str, frozenset[str]]:
        if not user_ids:
            return {}
        found: dict[str, set[str]] = {}
        for member in await self._session.scalars(
            select(TeamMemberRow).where(TeamMemberRow.user_id.in_(user_ids)).execution_options(**FRESH)
        ):
            found.setdefault(member.user_id, set()).add(member.team_id)
        return {user_id: frozenset(teams) for user_id, teams in found.items()}

    async def _set_teams(self, user: User) -> None:
        stored = (await self._teams_of([user.id])).get(user.id, frozenset())
        if gone := stored - user.team_ids:
            await self._session.execute(
                delete(TeamMemberRow)
                .where(TeamMemberRow.user_id == user.id, TeamMemberRow.team_id.in_(sorted(gone)))
                .execution_options(**NO_SYNC)
            )
        for team_id in sorted(user.team_ids - stored):
            await add_row(self._session, TeamMemberRow(team_id=team_id, user_id=user.id), "the user just joined")


class SqlLocalCredentials:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: str) -> StoredCredentials | None:
        row = await self._session.get(LocalCredentialsRow, user_id, populate_existing=True)
        return StoredCredentials(credentials=row.to_domain(), version=row.version) if row else None

    async def save(self, user_id: str, credentials: LocalCredentials, *, expected_version: int | None) -> None:
        values = LocalCredentialsRow.values(credentials)
        if expected_version is None:
            row = LocalCredentialsRow(user_id=user_id, version=1, **values)
            await add_row(self._session, row, "the credentials were just set by another writer")
            return
        with conflicts_raise("the credentials are being changed by another writer"):
            result = await self._session.execute(
                update(LocalCredentialsRow)
                .where(LocalCredentialsRow.user_id == user_id, LocalCredentialsRow.version == expected_version)
                .values(version=expected_version + 1, **values)
                .execution_options(**NO_SYNC)
            )
        if rowcount(result) != 1:
            raise ConcurrencyConflict("the credentials were changed by another writer")


class SqlTeams:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, team: Team) -> None:
        await add_row(self._session, TeamRow.from_domain(team), f"a team {team.name!r} already exists")

    async def get(self, tenant_id: str, team_id: str) -> Team | None:
        row = await self._session.get(TeamRow, team_id, populate_existing=True)
        return row.to_domain() if row is not None and row.tenant_id == tenant_id else None

    async def for_tenant(self, tenant_id: str) -> list[Team]:
        query = select(TeamRow).where(TeamRow.tenant_id == tenant_id).order_by(TeamRow.name)
        return [row.to_domain() for row in await self._session.scalars(query.execution_options(**FRESH))]


class SqlWebSessions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, session: WebSession) -> None:
        await add_row(self._session, WebSessionRow.from_domain(session), "this session exists already")

    async def by_token_hash(self, token_hash: str) -> WebSession | None:
        row = await self._session.scalar(
            select(WebSessionRow).where(WebSessionRow.token_hash == token_hash).execution_options(**FRESH)
        )
        return row.to_domain() if row else None

    async def save(self, session: WebSession) -> None:
        with conflicts_raise(f"session {session.id} is being changed by another writer"):
            await self._session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id == session.id)
                .values(last_seen_at=session.last_seen_at, ended_at=session.ended_at)
                .execution_options(**NO_SYNC)
            )

    async def end_all(self, tenant_id: str, user_id: str, at: datetime) -> int:
        with conflicts_raise(f"the sessions of user {user_id} are being changed by another writer"):
            result = await self._session.execute(
                update(WebSessionRow)
                .where(
                    WebSessionRow.tenant_id == tenant_id, WebSessionRow.user_id == user_id,
                    WebSessionRow.ended_at.is_(None),
                )
                .values(ended_at=at)
                .execution_options(**NO_SYNC)
            )
        return rowcount(result)


class SqlOneTimeIds:
    """OneTimeIds over SQL: a claim is the insert of its key's hash, in a short transaction of its own;
    the primary key refuses the second. Expired claims are swept as new ones come."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions, self._clock = sessions, clock

    async def claim(self, key: str, *, until: datetime) -> bool:
        digest = hashlib.sha256(key.encode()).hexdigest()
        async with own_session(self._sessions) as session:
            await session.execute(
                delete(OneTimeIdRow).where(OneTimeIdRow.until < self._clock.now()).execution_options(**NO_SYNC)
            )
            session.add(OneTimeIdRow(key=digest, until=until))
            try:
                with conflicts_raise("this id was used already"):
                    await session.commit()
            except ConcurrencyConflict:
                return False
        return True
