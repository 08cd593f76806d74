"""`undersign policy`: a tenant's signing policies, listed, shown, created, changed, and its default chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from undersign.domain.policy import SUPPORTED_LANGUAGES, Routing, SignatureLevel, SignerAuth
from undersign.entrypoints.cli.common import emit, json_option, operator, run_with_container

if TYPE_CHECKING:
    from undersign.domain.policy import Policy

tenant_option = click.option("--tenant", "slug", required=True, help="The tenant's slug.")


def setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The policy's settings as options; on `set`, only those given change."""
    options = [
        click.option("--signature-level", type=click.Choice([s.value for s in SignatureLevel])),
        click.option("--signer-auth", type=click.Choice([s.value for s in SignerAuth])),
        click.option("--routing", "routing_default", type=click.Choice([r.value for r in Routing])),
        click.option("--expiry-days", type=int),
        click.option("--reminder-days", type=int, help="0: no reminders."),
        click.option("--retention-days", type=int),
        click.option("--decline-allowed/--no-decline", "decline_allowed", default=None),
        click.option(
            "--embedded-signing/--no-embedded-signing", "embedded_signing", default=None,
            help="Whether senders' applications may authenticate recipients themselves (embedded signing).",
        ),
        click.option("--consent-text"),
        click.option(
            "--languages", help=f"Comma-separated, the fallback first, among {', '.join(SUPPORTED_LANGUAGES)}."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(given: dict[str, Any]) -> dict[str, Any]:
    """The options given, as the domain's values."""
    kinds = {"signature_level": SignatureLevel, "signer_auth": SignerAuth, "routing_default": Routing}
    settings = {}
    for name, value in given.items():
        if value is None:
            continue
        if name in kinds:
            value = kinds[name](value)
        elif name == "languages":
            value = tuple(code.strip() for code in value.split(","))
        settings[name] = value
    return settings


@click.group()
def policy() -> None:
    """Signing policies: the rules a tenant's envelopes follow (signature level, expiry, reminders, ...)."""


@policy.command("list")
@tenant_option
@json_option
def policy_list(slug: str, as_json: bool) -> None:
    """The tenant's policies, each at its current version; `*` marks the default."""
    page = run_with_container(lambda c: c.use_cases().policies.list_for_tenant(slug))
    lines = [
        f"{'*' if p.id == page.default_id else ' '} {p.id}  v{p.version}  {p.signature_level.value:<11}  {p.name}"
        for p in page.items
    ]
    records = [_record(p, default=p.id == page.default_id) for p in page.items]
    emit(as_json, {"tenant": slug, "policies": records}, "\n".join(lines) or "no policies")


@policy.command("show")
@click.argument("policy_id")
@tenant_option
@json_option
def policy_show(policy_id: str, slug: str, as_json: bool) -> None:
    """Every setting of the policy POLICY_ID, at its current version."""
    found, default = run_with_container(lambda c: c.use_cases().policies.get_for_tenant(slug, policy_id))
    record = _record(found, default=default)
    emit(as_json, {"tenant": slug, **record}, "\n".join(f"{k}: {v}" for k, v in record.items()))


@policy.command("create")
@click.argument("name")
@tenant_option
@setting_options
@click.option("--default", "default", is_flag=True, help="Make it the tenant's default at once.")
@json_option
def policy_create(name: str, slug: str, default: bool, as_json: bool, **given: Any) -> None:
    """Create the policy NAME (version 1); settings not given take their defaults."""
    by = operator()
    made = run_with_container(
        lambda c: c.use_cases().policies.create_for_tenant(slug, name=name, default=default, by=by, **_settings(given))
    )
    emit(as_json, {"tenant": slug, **_record(made, default=default)}, f"policy {made.name} created ({made.id})")


@policy.command("set")
@click.argument("policy_id")
@tenant_option
@click.option("--name")
@setting_options
@json_option
def policy_set(policy_id: str, slug: str, as_json: bool, **given: Any) -> None:
    """Change the settings given of POLICY_ID: a new version (envelopes already sent keep theirs)."""
    by = operator()
    changed = run_with_container(
        lambda c: c.use_cases().policies.revise_for_tenant(slug, policy_id, by=by, **_settings(given))
    )
    emit(as_json, {"tenant": slug, "id": changed.id, "version": changed.version},
         f"policy {changed.name} is at version {changed.version}")


@policy.command("default")
@click.argument("policy_id")
@tenant_option
@json_option
def policy_default(policy_id: str, slug: str, as_json: bool) -> None:
    """Make POLICY_ID the tenant's default: envelopes that name no policy follow it when sent."""
    by = operator()
    chosen = run_with_container(lambda c: c.use_cases().policies.set_default_for_tenant(slug, policy_id, by=by))
    emit(as_json, {"tenant": slug, "id": chosen.id, "default": True}, f"policy {chosen.name} is the default")


def _record(p: Policy, *, default: bool) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "version": p.version, "default": default,
        "signature_level": p.signature_level.value, "signer_auth": p.signer_auth.value,
        "routing_default": p.routing_default.value, "expiry_days": p.expiry_days, "reminder_days": p.reminder_days,
        "retention_days": p.retention_days, "decline_allowed": p.decline_allowed, "embedded_signing": p.embedded_signing,
        "consent_text": p.consent_text,
        "languages": list(p.languages),
    }
