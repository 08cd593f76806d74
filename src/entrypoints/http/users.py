"""REST v1: a tenant's users (invite, list, read, change the role of, disable) and teams (create, list,
add and remove members), for callers that may manage users."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.users import Users
from undersign.domain.errors import InvalidInput
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT
from undersign.entrypoints.http.user_schemas import (
    AddMemberIn,
    ChangeRoleIn,
    CreateTeamIn,
    InviteUserIn,
    TeamListOut,
    TeamOut,
    UserListOut,
    UserOut,
    team_out,
    user_out,
)

MAX_CURSOR_LENGTH = 4 * (MAX_EMAIL_LENGTH + 2) // 3 + 4  # an email, base64


class UsersController(Controller):
    path = "/v1/users"
    tags = ["users"]

    @post("/", status_code=201, **requires(Permission.MANAGE_USERS), **IDEMPOTENT)
    async def invite(
        self, data: JSONBody[InviteUserIn], caller: NamedDependency[Caller], users: NamedDependency[Users]
    ) -> UserOut:
        """A new user of a role ranked at most the caller's (owner > admin > the rest); 409 if the email is taken."""
        return user_out(await users.invite(caller, email=data.email, name=data.name, role=data.role))

    @get("/", **requires(Permission.MANAGE_USERS))
    async def list_users(
        self,
        caller: NamedDependency[Caller],
        users: NamedDependency[Users],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)] = None,
    ) -> UserListOut:
        """The tenant's users by email, disabled ones included."""
        page = await users.list(caller, limit=limit, after=decode_cursor(cursor))
        return UserListOut(
            items=[user_out(u) for u in page.items],
            next_cursor=encode_cursor(page.next_cursor) if page.next_cursor else None,
        )

    @get("/{user_id:str}", **requires(Permission.MANAGE_USERS))
    async def get_user(
        self, user_id: FromPath[str], caller: NamedDependency[Caller], users: NamedDependency[Users]
    ) -> UserOut:
        """The user: their email, name, role and teams, and when they were disabled, if they were."""
        return user_out(await users.get(caller, user_id))

    @post("/{user_id:str}/role", status_code=200, **requires(Permission.MANAGE_USERS))
    async def change_role(
        self, user_id: FromPath[str], data: JSONBody[ChangeRoleIn], caller: NamedDependency[Caller],
        users: NamedDependency[Users],
    ) -> UserOut:
        """The caller must rank at least as high as the user's role and the new one: only an owner changes an owner."""
        return user_out(await users.change_role(caller, user_id, data.role))

    @post("/{user_id:str}/disable", status_code=200, **requires(Permission.MANAGE_USERS))
    async def disable(
        self, user_id: FromPath[str], caller: NamedDependency[Caller], users: NamedDependency[Users]
    ) -> UserOut:
        """The user signs in no more and their sessions end now; again, it keeps the first time. Only an owner
        disables an owner."""
        return user_out(await users.disable(caller, user_id))


class TeamsController(Controller):
    path = "/v1/teams"
    tags = ["users"]

    @post("/", status_code=201, **requires(Permission.MANAGE_USERS), **IDEMPOTENT)
    async def create(
        self, data: JSONBody[CreateTeamIn], caller: NamedDependency[Caller], users: NamedDependency[Users]
    ) -> TeamOut:
        """A new team; 409 if the tenant has one of that name."""
        return team_out(await users.create_team(caller, data.name))

    @get("/", **requires(Permission.MANAGE_USERS))
    async def list_teams(self, caller: NamedDependency[Caller], users: NamedDependency[Users]) -> TeamListOut:
        """The tenant's teams, by name."""
        return TeamListOut(items=[team_out(t) for t in await users.teams(caller)])

    @post("/{team_id:str}/members", status_code=200, **requires(Permission.MANAGE_USERS))
    async def add_member(
        self, team_id: FromPath[str], data: JSONBody[AddMemberIn], caller: NamedDependency[Caller],
        users: NamedDependency[Users],
    ) -> UserOut:
        """The user, now a member of the team (already one: nothing changes)."""
        return user_out(await users.add_member(caller, team_id, data.user_id))

    @delete("/{team_id:str}/members/{user_id:str}", status_code=204, **requires(Permission.MANAGE_USERS))
    async def remove_member(
        self, team_id: FromPath[str], user_id: FromPath[str], caller: NamedDependency[Caller],
        users: NamedDependency[Users],
    ) -> None:
        """The user is no longer a member of the team (was not one: nothing changes)."""
        await users.remove_member(caller, team_id, user_id)


def encode_cursor(email: str) -> str:
    return base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error):
        decoded = ""
    if not decoded or "@" not in decoded or not decoded.isprintable():
        raise InvalidInput("the cursor is not one this API returned")
    return decoded
