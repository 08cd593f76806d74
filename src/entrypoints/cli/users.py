"""`undersign user` and `undersign team`: a tenant's people and the teams they share envelopes in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from undersign.application.access.api_keys import UNNAMED_OPERATOR
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.cli.common import emit, json_option, operator, run_with_container

if TYPE_CHECKING:
    from undersign.domain.user import Team, User

ROLES = click.Choice([r.value for r in AccessRole])


@click.group()
def user() -> None:
    """Users: the people of a tenant, who sign in through its identity provider."""


@user.command("invite")
@click.argument("slug")
@click.argument("email")
@click.option("--name", required=True, help="Their name (one line, at most 200 characters).")
@click.option("--role", type=ROLES, default="sender", show_default=True)
@json_option
def user_invite(slug: str, email: str, name: str, role: str, as_json: bool) -> None:
    """Invite EMAIL into the tenant SLUG."""
    by = operator()
    made = run_with_container(
        lambda c: c.use_cases().users.invite_for_tenant(slug, email=email, name=name, role=AccessRole(role), by=by)
    )
    emit(as_json, {"tenant": slug, **_user_record(made)}, f"user {made.email} invited ({made.id}, {made.role.value})")


@user.command("set-password")
@click.argument("slug")
@click.argument("email")
@click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from standard input (a script); else it is asked for twice, not echoed.",
)
@json_option
def user_set_password(slug: str, email: str, password_stdin: bool, as_json: bool) -> None:
    """Set the password with which EMAIL signs in locally to the tenant SLUG (12 to 256 characters).

    Never on the command line: it would stay in the shell's history and show in the process list.
    """
    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    by = operator() or UNNAMED_OPERATOR
    changed = run_with_container(
        lambda c: c.use_cases().local_sign_ins.set_password(slug, email, password, actor=by)
    )
    emit(as_json, {"tenant": slug, "user_id": changed.id, "password_set": True},
         f"password set for {changed.email} ({changed.id})")


@user.command("reset-second-factor")
@click.argument("slug")
@click.argument("email")
@json_option
def user_reset_second_factor(slug: str, email: str, as_json: bool) -> None:
    """Remove the authenticator app and recovery codes of EMAIL (a lost device); a lock is lifted too."""
    by = operator() or UNNAMED_OPERATOR
    changed = run_with_container(lambda c: c.use_cases().local_sign_ins.reset_second_factor(slug, email, actor=by))
    emit(as_json, {"tenant": slug, "user_id": changed.id, "second_factor": None},
         f"second factor removed for {changed.email} ({changed.id}): the next sign-in sets one up again")


@user.command("list")
@click.argument("slug")
@json_option
def user_list(slug: str, as_json: bool) -> None:
    """The tenant's users, by email, disabled ones included."""
    users = run_with_container(lambda c: c.use_cases().users.users_of_tenant(slug))
    lines = [
        f"{u.id}  {u.role.value:<7}  {'active' if u.active else 'disabled':<8}  {u.email}  {u.name}" for u in users
    ]
    emit(as_json, {"tenant": slug, "users": [_user_record(u) for u in users]}, "\n".join(lines) or "no users")


@user.command("role")
@click.argument("slug")
@click.argument("user_id")
@click.argument("role", type=ROLES)
@json_option
def user_role(slug: str, user_id: str, role: str, as_json: bool) -> None:
    """Give the user USER_ID of the tenant SLUG the role ROLE."""
    by = operator()
    changed = run_with_container(
        lambda c: c.use_cases().users.change_role_for_tenant(slug, user_id, AccessRole(role), by=by)
    )
    emit(as_json, _user_record(changed), f"user {changed.email} is now {changed.role.value}")


@user.command("disable")
@click.argument("slug")
@click.argument("user_id")
@json_option
def user_disable(slug: str, user_id: str, as_json: bool) -> None:
    """Disable the user USER_ID of the tenant SLUG and end their sessions (again: nothing changes)."""
    by = operator()
    disabled = run_with_container(lambda c: c.use_cases().users.disable_for_tenant(slug, user_id, by=by))
    since = disabled.disabled_at.isoformat() if disabled.disabled_at else ""
    emit(as_json, _user_record(disabled), f"user {disabled.email} disabled since {since}")


@click.group()
def team() -> None:
    """Teams: groups of a tenant's users who share their envelopes."""


@team.command("create")
@click.argument("slug")
@click.argument("name")
@json_option
def team_create(slug: str, name: str, as_json: bool) -> None:
    """Create the team NAME in the tenant SLUG."""
    by = operator()
    made = run_with_container(lambda c: c.use_cases().users.create_team_for_tenant(slug, name, by=by))
    emit(as_json, {"tenant": slug, **_team_record(made)}, f"team {made.name} created ({made.id})")


@team.command("list")
@click.argument("slug")
@json_option
def team_list(slug: str, as_json: bool) -> None:
    """The tenant's teams, by name."""
    teams = run_with_container(lambda c: c.use_cases().users.teams_of_tenant(slug))
    lines = [f"{t.id}  {t.name}" for t in teams]
    emit(as_json, {"tenant": slug, "teams": [_team_record(t) for t in teams]}, "\n".join(lines) or "no teams")


@team.command("add")
@click.argument("slug")
@click.argument("team_id")
@click.argument("user_id")
@json_option
def team_add(slug: str, team_id: str, user_id: str, as_json: bool) -> None:
    """Make the user USER_ID a member of the team TEAM_ID, in the tenant SLUG."""
    by = operator()
    member = run_with_container(lambda c: c.use_cases().users.add_member_for_tenant(slug, team_id, user_id, by=by))
    emit(as_json, _user_record(member), f"user {member.email} is a member of team {team_id}")


def _user_record(u: User) -> dict[str, Any]:
    return {
        "id": u.id, "email": u.email, "name": u.name, "role": u.role.value, "team_ids": sorted(u.team_ids),
        "created_at": u.created_at.isoformat(), "disabled_at": u.disabled_at.isoformat() if u.disabled_at else None,
    }


def _team_record(t: Team) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "created_at": t.created_at.isoformat()}
