"""`undersign tenant` and `undersign apikey`: the organisations that send envelopes, and their API keys."""

from __future__ import annotations

import click

from undersign.domain.tenant import ApiKeyRole
from undersign.entrypoints.cli.common import emit, json_option, run_with_container


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


@click.group()
def apikey() -> None:
    """API keys, with which a tenant's systems call the API."""


@apikey.command("create")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--role", type=click.Choice([r.value for r in ApiKeyRole]), default="admin", show_default=True)
@json_option
def apikey_create(slug: str, role: str, as_json: bool) -> None:
    """Create an API key. It is shown once: only its hash is stored."""
    issued = run_with_container(lambda c: c.use_cases().tenants.create_api_key(slug, ApiKeyRole(role)))
    emit(
        as_json,
        {"key": issued.key, "id": issued.api_key.id, "tenant": issued.tenant.slug, "role": issued.api_key.role.value},
        f"{issued.key}\n(shown once: store it now; role {role}, tenant {slug})",
    )
