"""What goes over the wire for users and teams: who they are, their role, their teams; never a credential."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from undersign.domain.tenant import AccessRole
from undersign.domain.text import MAX_EMAIL_LENGTH
from undersign.domain.user import MAX_TEAM_NAME_LENGTH, MAX_USER_NAME_LENGTH, Team, User
from undersign.entrypoints.http.schemas import Request

ResourceId = Annotated[str, Meta(max_length=64)]


class InviteUserIn(Request):
    email: Annotated[str, Meta(max_length=MAX_EMAIL_LENGTH)]
    name: Annotated[str, Meta(max_length=MAX_USER_NAME_LENGTH)]
    role: AccessRole


class ChangeRoleIn(Request):
    role: AccessRole


class CreateTeamIn(Request):
    name: Annotated[str, Meta(max_length=MAX_TEAM_NAME_LENGTH)]


class AddMemberIn(Request):
    user_id: ResourceId


class UserOut(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str
    role: str
    team_ids: list[str]  # sorted
    created_at: datetime
    disabled_at: datetime | None


class UserListOut(msgspec.Struct, kw_only=True):
    items: list[UserOut]
    next_cursor: str | None


class TeamOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    created_at: datetime


class TeamListOut(msgspec.Struct, kw_only=True):
    items: list[TeamOut]


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, email=user.email, name=user.name, role=user.role.value, team_ids=sorted(user.team_ids),
        created_at=user.created_at, disabled_at=user.disabled_at,
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(id=team.id, name=team.name, created_at=team.created_at)
