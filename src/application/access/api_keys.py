"""API keys as credentials: issued by operators (the CLI) and by keys that may manage keys (the
API), listed, read, revoked; and a presented key authenticated.

A key is `usk_<id>_<secret>`, shown once when it is issued; only the secret's SHA-256 is kept.
A key works until it expires (`expires_at`, if it has one) or is revoked, whichever comes first.
Authentication reads the key from the database at most once per KEY_FRESH_FOR per process
(a busy client sends many requests a second, each needing its key); its secret and expiry
are checked on every request. So an expired key is refused on its next request, a key revoked
here at once, and one revoked by another process within KEY_FRESH_FOR.

No key makes a key that outranks it (permissions.RANK: owner > admin > the rest), and only an
owner revokes an owner key, so an admin cannot make itself an owner.

Creating and revoking a key are administrative acts: each is chained into the tenant's audit log
(access/audit_log.py) in the unit of work that does it; a revocation that changes nothing (the
key was revoked already) records nothing.

`last_used_at` tells an administrator which keys are still in use. Writing it on every
request would turn every read into a write (and, on SQLite, every request into a wait for
the one writer), so it is written at most once per LAST_USED_INTERVAL per key and process,
and not at all while the stored time is younger than that: it is exact to within a minute,
and a key used from N processes at once costs at most N writes a minute.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from undersign.application.access.audit_log import record_act
from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.ports import ApiKeyCursor
from undersign.application.shared.errors import Unauthenticated
from undersign.application.shared.loading import hash_token
from undersign.application.shared.moments import in_utc
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.recently_read import RecentlyRead
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from undersign.domain.tenant import AccessRole, ApiKey, Tenant
from undersign.domain.tenant_events import ApiKeyCreated, ApiKeyRevoked

KEY_PREFIX = "usk"


KEY_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # the ids the platform makes are a UUID's hex


LAST_USED_INTERVAL = timedelta(minutes=1)


# How long a key read from the database is used before it is read again: how late another
# process's revocation may be seen here.
KEY_FRESH_FOR = timedelta(seconds=1)
MAX_KEPT_KEYS = 10_000


# Keys whose last use this process remembers; past it, the oldest memories are forgotten (a
# forgotten key costs one more write, nothing else).
MAX_REMEMBERED_USES = 10_000


MAX_PAGE_SIZE = 100


# How the audit log names an operator whose login name the CLI could not tell.
UNNAMED_OPERATOR = "cli"


def split_api_key(presented: str) -> tuple[str, str] | None:
    """The id and the secret of a presented `usk_<id>_<secret>` key; None if it is not shaped like one."""
    prefix, _, rest = presented.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not secret or not KEY_ID.fullmatch(key_id):
        return None
    return key_id, secret


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedApiKey:
    key: str  # the whole key, secret included: shown once
    api_key: ApiKey
    tenant: Tenant


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueApiKey:
    """A key issued through the API, by `caller`, in its tenant."""

    caller: Caller
    role: AccessRole
    expires_at: datetime | None = None
    description: str = ""
    team_id: str | None = None  # a key scoped to this team of the tenant: as a sender, it sees the team's envelopes


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyPage:
    items: list[ApiKey]
    next_cursor: ApiKeyCursor | None


class ApiKeys:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, secrets: SecretGenerator) -> None:
        self._uow, self._clock, self._ids, self._secrets = uow, clock, ids, secrets
        self._last_noted: dict[str, datetime] = {}  # key id -> the last use this process wrote or read
        self._recent: RecentlyRead[str, ApiKey] = RecentlyRead(clock, fresh_for=KEY_FRESH_FOR, max_entries=MAX_KEPT_KEYS)

    # -- through the API ---------------------------------------------------------------------

    async def issue(self, command: IssueApiKey) -> IssuedApiKey:
        """A key in the caller's tenant, of a role ranked at most the caller's own (Forbidden otherwise)."""
        caller = command.caller
        caller.require(Permission.MANAGE_API_KEYS)
        caller.require_rank_of(command.role, "create")

        async def attempt() -> IssuedApiKey:
            async with self._uow() as uow:
                tenant = await uow.tenants.get(caller.tenant_id)
                if tenant is None:
                    raise NotFound("no such tenant")
                return await self._issue(
                    uow, tenant, command.role, expires_at=command.expires_at, description=command.description,
                    created_by=caller.actor, team_id=command.team_id,
                )

        return await retry_on_conflict(attempt)

    async def list(self, caller: Caller, *, limit: int, after: ApiKeyCursor | None = None) -> ApiKeyPage:
        """A page of the caller's tenant's keys, newest first, revoked and expired ones included."""
        caller.require(Permission.MANAGE_API_KEYS)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if after is not None:
            after = ApiKeyCursor(created_at=in_utc(after.created_at, "the cursor"), id=after.id)
        async with self._uow() as uow:
            items = await uow.api_keys.for_tenant(caller.tenant_id, limit=limit + 1, after=after)
        more = len(items) > limit
        items = items[:limit]
        cursor = ApiKeyCursor(created_at=items[-1].created_at, id=items[-1].id) if more else None
        return ApiKeyPage(items=items, next_cursor=cursor)

    async def get(self, caller: Caller, key_id: str) -> ApiKey:
        caller.require(Permission.MANAGE_API_KEYS)
        async with self._uow() as uow:
            return await _require_key(uow, caller.tenant_id, key_id)

    async def revoke(self, caller: Caller, key_id: str) -> ApiKey:
        """The key revoked, for good; revoking it again keeps the first time. Only an owner revokes an owner key."""
        caller.require(Permission.MANAGE_API_KEYS)

        async def attempt() -> ApiKey:
            async with self._uow() as uow:
                key = await _require_key(uow, caller.tenant_id, key_id)
                caller.require_rank_of(key.role, "revoke")
                revoked, _ = await self._revoke(uow, key, actor=caller.actor)
                return revoked

        return await retry_on_conflict(attempt)

    # -- for operators (the CLI) -------------------------------------------------------------

    async def issue_for_tenant(
        self, slug: str, role: AccessRole, *, expires_at: datetime | None = None, description: str = "",
        created_by: str | None = None, team_id: str | None = None,
    ) -> IssuedApiKey:
        """A key of any role in the tenant `slug`; `created_by` names the operator (`cli:<user>`)."""

        async def attempt() -> IssuedApiKey:
            async with self._uow() as uow:
                tenant = await uow.tenants.by_slug(slug)
                if tenant is None:
                    raise NotFound(f"no tenant {slug!r}")
                return await self._issue(
                    uow, tenant, role, expires_at=expires_at, description=description, created_by=created_by,
                    team_id=team_id,
                )

        return await retry_on_conflict(attempt)

    async def list_for_tenant(self, slug: str) -> list[ApiKey]:
        """Every key of the tenant `slug`, newest first."""
        keys: list[ApiKey] = []
        async with self._uow() as uow:
            tenant = await uow.tenants.by_slug(slug)
            if tenant is None:
                raise NotFound(f"no tenant {slug!r}")
            after = None
            while page := await uow.api_keys.for_tenant(tenant.id, limit=MAX_PAGE_SIZE, after=after):
                keys.extend(page)
                after = ApiKeyCursor(created_at=page[-1].created_at, id=page[-1].id)
        return keys

    async def revoke_any(self, key_id: str, *, revoked_by: str | None = None) -> tuple[ApiKey, bool]:
        """The key revoked, whatever its tenant and role; and whether it was revoked now (False: it already was).
        `revoked_by` names the operator (`cli:<user>`) in the tenant's audit log."""

        async def attempt() -> tuple[ApiKey, bool]:
            async with self._uow() as uow:
                key = await uow.api_keys.get(key_id)
                if key is None:
                    raise NotFound(f"no API key {key_id}")
                return await self._revoke(uow, key, actor=revoked_by or UNNAMED_OPERATOR)

        return await retry_on_conflict(attempt)

    # -- every request -----------------------------------------------------------------------

    async def authenticate(self, presented: str) -> Caller:
        """The caller a presented key stands for; Unauthenticated if it is malformed, unknown, wrong,
        revoked or expired. Whether a key was revoked or expired is told only to whoever holds its secret."""
        parts = split_api_key(presented)
        if parts is None:
            raise Unauthenticated("the API key is malformed")
        key_id, secret = parts
        api_key = self._recent.get(key_id)
        if api_key is None:
            async with self._uow() as uow:
                api_key = await uow.api_keys.get(key_id)
            if api_key is not None:  # unknown ids are not kept: guessing them must not fill the memory
                self._recent.keep(key_id, api_key)
        if api_key is None or not hmac.compare_digest(api_key.secret_hash, hash_token(secret)):
            raise Unauthenticated("the API key is not valid")
        now = self._clock.now()
        if api_key.revoked_at is not None:
            raise Unauthenticated("the API key was revoked")
        if api_key.is_expired(now):
            raise Unauthenticated("the API key has expired")
        await self._note_use(api_key, now)
        return Caller.of_api_key(api_key)

    # -- the parts ---------------------------------------------------------------------------

    async def _issue(
        self, uow: UnitOfWork, tenant: Tenant, role: AccessRole, *, expires_at: datetime | None, description: str,
        created_by: str | None, team_id: str | None = None,
    ) -> IssuedApiKey:
        if expires_at is not None:
            expires_at = in_utc(expires_at, "expires_at")
        if team_id is not None and await uow.teams.get(tenant.id, team_id) is None:
            raise InvalidInput(f"team_id names no team of this tenant: {team_id!r}")
        key_id, secret = self._ids.new_id(), self._secrets.new_secret()
        api_key = ApiKey.issue(
            key_id=key_id, tenant_id=tenant.id, role=role, secret_hash=hash_token(secret), now=self._clock.now(),
            expires_at=expires_at, description=description, created_by=created_by, team_id=team_id,
        )
        await uow.api_keys.add(api_key)
        await record_act(
            uow,
            ApiKeyCreated(
                tenant_id=tenant.id, at=api_key.created_at, actor=created_by or UNNAMED_OPERATOR, key_id=api_key.id,
                role=api_key.role.value, expires_at=api_key.expires_at.isoformat() if api_key.expires_at else None,
                description=api_key.description,
            ),
        )
        await uow.commit()
        return IssuedApiKey(key=f"{KEY_PREFIX}_{key_id}_{secret}", api_key=api_key, tenant=tenant)

    async def _revoke(self, uow: UnitOfWork, key: ApiKey, *, actor: str) -> tuple[ApiKey, bool]:
        """The key revoked, and whether by this call (False: it was already, or another revocation won)."""
        if key.revoked_at is not None:
            return key, False
        now = self._clock.now()
        revoked = key.revoked(now)
        # Of two revocations racing, only the one that stored its time is an act worth recording.
        stored = await uow.api_keys.record_revocation(revoked)
        if stored:
            await record_act(uow, ApiKeyRevoked(tenant_id=key.tenant_id, at=now, actor=actor, key_id=key.id))
        await uow.commit()
        self._recent.forget(key.id)  # refused here from the next request on
        # Read back: of two processes revoking at once, the first one's time is the one kept.
        return await uow.api_keys.get(key.id) or revoked, stored

    async def _note_use(self, key: ApiKey, now: datetime) -> None:
        last = self._last_noted.get(key.id)
        if key.last_used_at is not None and (last is None or key.last_used_at > last):
            last = key.last_used_at  # another process wrote it
        if last is not None and now - last < LAST_USED_INTERVAL:
            return
        self._remember(key.id, now)  # before the write: requests arriving meanwhile do not write too
        try:
            async with self._uow() as uow:
                await uow.api_keys.touch(key.id, now)
                await uow.commit()
        except ConcurrencyConflict:
            # Bookkeeping, not the request's work: a write that lost to another writer (SQLite's
            # one writer busy, say) does not fail the request; a later request writes it.
            self._last_noted.pop(key.id, None)

    def _remember(self, key_id: str, at: datetime) -> None:
        if len(self._last_noted) >= MAX_REMEMBERED_USES:
            stale = at - LAST_USED_INTERVAL
            self._last_noted = {k: t for k, t in self._last_noted.items() if t > stale}
            if len(self._last_noted) >= MAX_REMEMBERED_USES:
                self._last_noted.clear()
        self._last_noted[key_id] = at


async def _require_key(uow: UnitOfWork, tenant_id: str, key_id: str) -> ApiKey:
    key = await uow.api_keys.get(key_id)
    if key is None or key.tenant_id != tenant_id:  # another tenant's key is not found, as anything of theirs
        raise NotFound(f"no API key {key_id}")
    return key
