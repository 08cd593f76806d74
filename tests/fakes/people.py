"""Users, teams, identities and browser sessions, kept in memory; and ids used once."""

from __future__ import annotations

from datetime import datetime

from tests.fakes.database import FakeDatabase, KeyedFake, Writes
from undersign.application.access.ports import StoredCredentials
from undersign.domain.errors import ConcurrencyConflict
from undersign.domain.local_credentials import LocalCredentials
from undersign.domain.user import ExternalIdentity, Team, User
from undersign.domain.web_session import WebSession


class FakeUsers:
    def __init__(self, db: FakeDatabase, writes: Writes) -> None:
        self._db, self._writes = db, writes

    async def add(self, user: User) -> None:
        def check() -> None:
            if user.id in self._db.users or self._find(user.tenant_id, user.email) is not None:
                raise ConcurrencyConflict(f"a user {user.email!r} already exists")

        self._writes.stage(check, lambda: self._db.users.__setitem__(user.id, user))

    async def get(self, tenant_id: str, user_id: str) -> User | None:
        user = self._db.users.get(user_id)
        return user if user is not None and user.tenant_id == tenant_id else None

    async def by_email(self, tenant_id: str, email: str) -> User | None:
        return self._find(tenant_id, email)

    async def by_identity(self, identity: ExternalIdentity) -> User | None:
        user_id = self._db.identities.get(identity)
        return None if user_id is None else self._db.users.get(user_id)

    async def has_identity(self, user_id: str) -> bool:
        return user_id in self._db.identities.values()

    async def link(self, user: User, identity: ExternalIdentity) -> None:
        def check() -> None:
            if identity in self._db.identities:
                raise ConcurrencyConflict("this identity is linked to a user already")

        self._writes.stage(check, lambda: self._db.identities.__setitem__(identity, user.id))

    async def save(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is not None and stored.tenant_id != user.tenant_id:
            return  # as SQL's UPDATE scoped by tenant: another tenant's user is not there to change
        self._writes.stage(lambda: None, lambda: self._db.users.__setitem__(user.id, user))

    async def for_tenant(self, tenant_id: str, *, limit: int, after: str | None = None) -> list[User]:
        users = sorted((u for u in self._db.users.values() if u.tenant_id == tenant_id), key=lambda u: u.email)
        return [u for u in users if after is None or u.email > after][:limit]

    def _find(self, tenant_id: str, email: str) -> User | None:
        return next((u for u in self._db.users.values() if u.tenant_id == tenant_id and u.email == email), None)


class FakeLocalCredentials:
    def __init__(self, table: dict[str, StoredCredentials], writes: Writes) -> None:
        self._table, self._writes = table, writes

    async def get(self, user_id: str) -> StoredCredentials | None:
        return self._table.get(user_id)

    async def save(self, user_id: str, credentials: LocalCredentials, *, expected_version: int | None) -> None:
        def check() -> None:
            stored = self._table.get(user_id)
            if (None if stored is None else stored.version) != expected_version:
                raise ConcurrencyConflict("the credentials were changed by another writer")

        stored = StoredCredentials(credentials=credentials, version=(expected_version or 0) + 1)
        self._writes.stage(check, lambda: self._table.__setitem__(user_id, stored))


class FakeTeams(KeyedFake):
    async def add(self, team: Team) -> None:
        def check() -> None:
            if any(t.tenant_id == team.tenant_id and t.name == team.name for t in self._table.values()):
                raise ConcurrencyConflict(f"a team {team.name!r} already exists")

        self._writes.stage(check, lambda: None)
        self._stage(team.id, team)

    async def get(self, tenant_id: str, team_id: str) -> Team | None:
        team = self._table.get(team_id)
        return team if team is not None and team.tenant_id == tenant_id else None

    async def for_tenant(self, tenant_id: str) -> list[Team]:
        return sorted((t for t in self._table.values() if t.tenant_id == tenant_id), key=lambda t: t.name)


class FakeWebSessions(KeyedFake):
    async def add(self, session: WebSession) -> None:
        self._stage(session.id, session)

    async def by_token_hash(self, token_hash: str) -> WebSession | None:
        return next((s for s in self._table.values() if s.token_hash == token_hash), None)

    async def save(self, session: WebSession) -> None:
        self._stage(session.id, session, unique=False)

    async def end_all(self, tenant_id: str, user_id: str, at: datetime) -> int:
        live = [
            s for s in self._table.values() if s.tenant_id == tenant_id and s.user_id == user_id and s.ended_at is None
        ]
        for session in live:
            self._stage(session.id, session.ended(at), unique=False)
        return len(live)


class FakeOneTimeIds:
    def __init__(self) -> None:
        self.claimed: dict[str, datetime] = {}

    async def claim(self, key: str, *, until: datetime) -> bool:
        if key in self.claimed:
            return False
        self.claimed[key] = until
        return True
