"""A tenant's users and teams, administered: users invited, listed, read, their role changed, disabled;
teams created, listed, members added and removed. Through the API by callers that may manage users,
and by operators (the CLI) in any tenant.

Ranks hold as for API keys (permissions.RANK): nobody invites someone, or gives them a role, ranked
above their own, and only an owner changes or disables an owner. Disabling a user also ends every
session of theirs, in the same unit of work: they are signed out at once, in every browser.
A team changes which envelopes a sender sees, not what anyone may do: no rank applies to membership.

Every change is an administrative act, chained into the tenant's audit log (access/audit_log.py) in
the unit of work that makes it; a change that changes nothing (the role they have, a disabled user
disabled again, a member added again) records nothing.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from undersign.application.access.audit_log import record_act
from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.tenants import in_tenant, require_tenant
from undersign.application.shared.errors import AlreadyExists
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.errors import InvalidInput, NotFound
from undersign.domain.tenant import AccessRole, Tenant
from undersign.domain.tenant_events import (
    TeamCreated,
    TeamMemberAdded,
    TeamMemberRemoved,
    UserDisabled,
    UserInvited,
    UserRoleChanged,
)
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.domain.user import Team, User

T = TypeVar("T")

MAX_PAGE_SIZE = 100

# How the audit log names an operator whose login name the CLI could not tell (as for API keys).
UNNAMED_OPERATOR = "cli"


class UserPage(NamedTuple):
    items: list[User]
    next_cursor: str | None  # the last user's email, when more follow


class Users:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow, self._clock, self._ids = uow, clock, ids

    # -- through the API ---------------------------------------------------------------------

    async def invite(self, caller: Caller, *, email: str, name: str, role: AccessRole) -> User:
        """A new user of the caller's tenant, of a role ranked at most the caller's own (Forbidden otherwise);
        AlreadyExists if the tenant has a user of that email."""
        caller.require(Permission.MANAGE_USERS)
        caller.require_rank_of(role, "invite", "user")
        return await in_fresh_unit_of_work(self._uow, lambda uow: self._invite(uow, caller.tenant_id, email, name, role, caller.actor))

    async def list(self, caller: Caller, *, limit: int, after: str | None = None) -> UserPage:
        """A page of the caller's tenant's users by email, disabled ones included; `after` is a page's
        `next_cursor`."""
        caller.require(Permission.MANAGE_USERS)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if after is not None and not 0 < len(after) <= MAX_EMAIL_LENGTH:
            raise InvalidInput("the cursor is not one this API returned")
        async with self._uow() as uow:
            items = await uow.users.for_tenant(caller.tenant_id, limit=limit + 1, after=after)
        more = len(items) > limit
        items = items[:limit]
        return UserPage(items=items, next_cursor=items[-1].email if more else None)

    async def get(self, caller: Caller, user_id: str) -> User:
        caller.require(Permission.MANAGE_USERS)
        async with self._uow() as uow:
            return await _require_user(uow, caller.tenant_id, user_id)

    async def change_role(self, caller: Caller, user_id: str, role: AccessRole) -> User:
        """The user with `role`: the caller must rank at least as high as both the user's role and the new one."""
        caller.require(Permission.MANAGE_USERS)
        caller.require_rank_of(role, "promote a user to", "role")

        async def act(uow: UnitOfWork) -> User:
            user = await _require_user(uow, caller.tenant_id, user_id)
            caller.require_rank_of(user.role, "change the role of", "user")
            return await self._change_role(uow, user, role, caller.actor)

        return await in_fresh_unit_of_work(self._uow, act)

    async def disable(self, caller: Caller, user_id: str) -> User:
        """The user disabled, their sessions ended; again, it keeps the first time. Only an owner disables
        an owner, and nobody disables themselves."""
        caller.require(Permission.MANAGE_USERS)
        if caller.user_id == user_id:
            raise InvalidInput("a user may not disable themselves")

        async def act(uow: UnitOfWork) -> User:
            user = await _require_user(uow, caller.tenant_id, user_id)
            caller.require_rank_of(user.role, "disable", "user")
            return await self._disable(uow, user, caller.actor)

        return await in_fresh_unit_of_work(self._uow, act)

    async def create_team(self, caller: Caller, name: str) -> Team:
        """A new team of the caller's tenant; AlreadyExists if it has one of that name."""
        caller.require(Permission.MANAGE_USERS)
        return await in_fresh_unit_of_work(self._uow, lambda uow: self._create_team(uow, caller.tenant_id, name, caller.actor))

    async def teams(self, caller: Caller) -> list[Team]:
        """The caller's tenant's teams, by name."""
        caller.require(Permission.MANAGE_USERS)
        async with self._uow() as uow:
            return await uow.teams.for_tenant(caller.tenant_id)

    async def add_member(self, caller: Caller, team_id: str, user_id: str) -> User:
        """The user, a member of the team (already one: nothing changes)."""
        caller.require(Permission.MANAGE_USERS)
        return await in_fresh_unit_of_work(self._uow, 
            lambda uow: self._set_membership(uow, caller.tenant_id, team_id, user_id, True, caller.actor)
        )

    async def remove_member(self, caller: Caller, team_id: str, user_id: str) -> User:
        """The user, no longer a member of the team (not one: nothing changes)."""
        caller.require(Permission.MANAGE_USERS)
        return await in_fresh_unit_of_work(self._uow, 
            lambda uow: self._set_membership(uow, caller.tenant_id, team_id, user_id, False, caller.actor)
        )

    # -- for operators (the CLI) -------------------------------------------------------------
    # `by` names the operator (`cli:<user>`) in the tenant's audit log; no rank applies.

    async def invite_for_tenant(
        self, slug: str, *, email: str, name: str, role: AccessRole, by: str | None = None
    ) -> User:
        return await in_tenant(self._uow, slug, lambda uow, t: self._invite(uow, t.id, email, name, role, _op(by)))

    async def users_of_tenant(self, slug: str) -> list[User]:
        """Every user of the tenant `slug`, by email."""
        users: list[User] = []
        async with self._uow() as uow:
            tenant = await require_tenant(uow, slug)
            after = None
            while page := await uow.users.for_tenant(tenant.id, limit=MAX_PAGE_SIZE, after=after):
                users.extend(page)
                after = page[-1].email
        return users

    async def change_role_for_tenant(self, slug: str, user_id: str, role: AccessRole, *, by: str | None = None) -> User:
        async def act(uow: UnitOfWork, tenant: Tenant) -> User:
            return await self._change_role(uow, await _require_user(uow, tenant.id, user_id), role, _op(by))

        return await in_tenant(self._uow, slug, act)

    async def disable_for_tenant(self, slug: str, user_id: str, *, by: str | None = None) -> User:
        async def act(uow: UnitOfWork, tenant: Tenant) -> User:
            return await self._disable(uow, await _require_user(uow, tenant.id, user_id), _op(by))

        return await in_tenant(self._uow, slug, act)

    async def create_team_for_tenant(self, slug: str, name: str, *, by: str | None = None) -> Team:
        return await in_tenant(self._uow, slug, lambda uow, t: self._create_team(uow, t.id, name, _op(by)))

    async def teams_of_tenant(self, slug: str) -> list[Team]:
        async with self._uow() as uow:
            return await uow.teams.for_tenant((await require_tenant(uow, slug)).id)

    async def add_member_for_tenant(self, slug: str, team_id: str, user_id: str, *, by: str | None = None) -> User:
        return await in_tenant(self._uow, 
            slug, lambda uow, t: self._set_membership(uow, t.id, team_id, user_id, True, _op(by))
        )

    # -- the parts ---------------------------------------------------------------------------



    async def _invite(
        self, uow: UnitOfWork, tenant_id: str, email: str, name: str, role: AccessRole, actor: str
    ) -> User:
        user = User.invite(
            user_id=self._ids.new_id(), tenant_id=tenant_id, email=email, name=name, role=role, now=self._clock.now()
        )
        if await uow.users.by_email(tenant_id, user.email) is not None:
            raise AlreadyExists(f"a user {user.email!r} already exists")
        await uow.users.add(user)
        await record_act(
            uow,
            UserInvited(
                tenant_id=tenant_id, at=user.created_at, actor=actor, user_id=user.id, email=user.email,
                role=user.role.value,
            ),
        )
        await uow.commit()
        return user

    async def _change_role(self, uow: UnitOfWork, user: User, role: AccessRole, actor: str) -> User:
        if user.role == role:
            return user
        changed = user.with_role(role)
        await uow.users.save(changed)
        await record_act(
            uow,
            UserRoleChanged(
                tenant_id=user.tenant_id, at=self._clock.now(), actor=actor, user_id=user.id,
                old_role=user.role.value, new_role=role.value,
            ),
        )
        await uow.commit()
        return changed

    async def _disable(self, uow: UnitOfWork, user: User, actor: str) -> User:
        if not user.active:
            return user
        now = self._clock.now()
        disabled = user.disabled(now)
        await uow.users.save(disabled)
        await uow.web_sessions.end_all(user.tenant_id, user.id, now)
        await record_act(uow, UserDisabled(tenant_id=user.tenant_id, at=now, actor=actor, user_id=user.id))
        await uow.commit()
        return disabled

    async def _create_team(self, uow: UnitOfWork, tenant_id: str, name: str, actor: str) -> Team:
        team = Team.create(team_id=self._ids.new_id(), tenant_id=tenant_id, name=name, now=self._clock.now())
        if any(t.name == team.name for t in await uow.teams.for_tenant(tenant_id)):
            raise AlreadyExists(f"a team {team.name!r} already exists")
        await uow.teams.add(team)
        await record_act(
            uow, TeamCreated(tenant_id=tenant_id, at=team.created_at, actor=actor, team_id=team.id, name=team.name)
        )
        await uow.commit()
        return team

    async def _set_membership(
        self, uow: UnitOfWork, tenant_id: str, team_id: str, user_id: str, member: bool, actor: str
    ) -> User:
        if await uow.teams.get(tenant_id, team_id) is None:  # another tenant's team is not found either
            raise NotFound(f"no team {team_id}")
        user = await _require_user(uow, tenant_id, user_id)
        if (team_id in user.team_ids) == member:
            return user
        changed = user.joined(team_id) if member else user.left(team_id)
        await uow.users.save(changed)
        event = TeamMemberAdded if member else TeamMemberRemoved
        await record_act(
            uow, event(tenant_id=tenant_id, at=self._clock.now(), actor=actor, team_id=team_id, user_id=user_id)
        )
        await uow.commit()
        return changed


def _op(by: str | None) -> str:
    return by or UNNAMED_OPERATOR



async def _require_user(uow: UnitOfWork, tenant_id: str, user_id: str) -> User:
    user = await uow.users.get(tenant_id, user_id)  # another tenant's user is not found, as anything of theirs
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user
