"""`undersign tenant` and `undersign apikey`: the organisations that send envelopes, and their API keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from undersign.application.access.api_keys import UNNAMED_OPERATOR
from undersign.domain.tenant import MAX_KEY_LIFETIME, AccessRole, ApiKey
from undersign.entrypoints.cli.common import emit, json_option, operator, run_with_container


@click.group()
def tenant() -> None:
    """Tenants: the organisations that send envelopes."""


@tenant.command("create")
@click.argument("slug")
@click.option("--sender-name", default=None, help="How its emails name the sender (default: the slug).")
@json_option
def tenant_create(slug: str, sender_name: str | None, as_json: bool) -> None:
    """Create the tenant SLUG with the default signing policy."""
    created = run_with_container(lambda c: c.use_cases().tenants.create(slug, sender_name=sender_name))
    emit(as_json, {"id": created.id, "slug": created.slug, "sender_name": created.display_name,
                   "created_at": created.created_at.isoformat()},
         f"tenant {created.slug} created ({created.id})")


@tenant.command("sign-in-policy")
@click.argument("slug")
@click.option(
    "--just-in-time-users/--invited-users-only", default=None,
    help="Whether a first sign-in through a configured identity provider creates the user.",
)
@click.option("--require-mfa/--no-require-mfa", default=None, help="Whether local sign-ins need a second factor.")
@json_option
def tenant_sign_in_policy(slug: str, just_in_time_users: bool | None, require_mfa: bool | None, as_json: bool) -> None:
    """Show or change how people of the tenant SLUG sign in (a change is logged in its audit log)."""
    actor = operator() or UNNAMED_OPERATOR
    policy = run_with_container(
        lambda c: c.use_cases().tenants.set_sign_in_policy(
            slug, just_in_time_users=just_in_time_users, require_mfa=require_mfa, actor=actor
        )
    )
    emit(as_json, {"tenant": policy.slug, "just_in_time_users": policy.just_in_time_users,
                   "require_mfa": policy.require_mfa},
         f"tenant {policy.slug}: just-in-time users {'on' if policy.just_in_time_users else 'off'}, "
         f"MFA for local sign-ins {'required' if policy.require_mfa else 'not required'}")


@click.group()
def apikey() -> None:
    """API keys, with which a tenant's systems call the API."""


@apikey.command("create")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--role", type=click.Choice([r.value for r in AccessRole]), default="admin", show_default=True)
@click.option(
    "--expires-in-days", type=click.IntRange(1, MAX_KEY_LIFETIME.days), default=None,
    help=f"Refuse the key after this many days (1 to {MAX_KEY_LIFETIME.days}; default: it does not expire).",
)
@click.option("--description", default="", help="What the key is for (one line, at most 200 characters).")
@click.option("--team", "team_id", default=None, help="Scope the key to this team (its id): a sender key sees its envelopes.")
@json_option
def apikey_create(
    slug: str, role: str, expires_in_days: int | None, description: str, team_id: str | None, as_json: bool
) -> None:
    """Create an API key. It is shown once: only its hash is stored."""
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    created_by = operator()
    issued = run_with_container(
        lambda c: c.use_cases().api_keys.issue_for_tenant(
            slug, AccessRole(role), expires_at=expires_at, description=description, created_by=created_by,
            team_id=team_id,
        )
    )
    _log("API key created", issued.api_key)
    until = f", expires {issued.api_key.expires_at.isoformat()}" if issued.api_key.expires_at else ""
    emit(
        as_json,
        {"key": issued.key, "tenant": issued.tenant.slug, **_as_record(issued.api_key)},
        f"{issued.key}\n(shown once: store it now; role {role}, tenant {slug}{until})",
    )


@apikey.command("list")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@json_option
def apikey_list(slug: str, as_json: bool) -> None:
    """The tenant's API keys, newest first, revoked and expired ones included (never a secret)."""
    keys = run_with_container(lambda c: c.use_cases().api_keys.list_for_tenant(slug))
    now = datetime.now(UTC)
    lines = [
        f"{k.id}  {k.role.value:<7}  {_state(k, now):<7}  created {k.created_at.isoformat()}"
        + (f"  {k.description}" if k.description else "")
        for k in keys
    ]
    emit(as_json, {"tenant": slug, "api_keys": [_as_record(k) for k in keys]}, "\n".join(lines) or "no API keys")


@apikey.command("revoke")
@click.argument("key_id")
@json_option
def apikey_revoke(key_id: str, as_json: bool) -> None:
    """Revoke the API key KEY_ID (the <id> of usk_<id>_<secret>), for good: its next request is refused.

    Revoking a revoked key again changes nothing and says since when it is revoked.
    """
    revoked_by = operator()
    key, made = run_with_container(lambda c: c.use_cases().api_keys.revoke_any(key_id, revoked_by=revoked_by))
    _log("API key revoked" if made else "API key already revoked", key, revoked_by=revoked_by)
    revoked_at = key.revoked_at.isoformat() if key.revoked_at else ""
    if made:
        text = f"revoked API key {key.id} at {revoked_at}"
    else:
        text = f"API key {key.id} already revoked since {revoked_at}"
    emit(as_json, {**_as_record(key), "already_revoked": not made}, text)


def _log(event: str, key: ApiKey, **more: Any) -> None:
    """The operator's act in the log: the key's id, tenant and role, never its secret."""
    import structlog

    structlog.get_logger("undersign.apikey").info(
        event, api_key_id=key.id, tenant_id=key.tenant_id, role=key.role.value, created_by=key.created_by, **more
    )


def _state(key: ApiKey, now: datetime) -> str:
    return "revoked" if key.revoked_at is not None else "expired" if key.is_expired(now) else "active"


def _as_record(key: ApiKey) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": key.id, "role": key.role.value, "description": key.description, "created_at": moment(key.created_at),
        "created_by": key.created_by, "expires_at": moment(key.expires_at), "revoked_at": moment(key.revoked_at),
        "last_used_at": moment(key.last_used_at), "team_id": key.team_id,
    }
