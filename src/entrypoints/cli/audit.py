"""`undersign audit`: checking an envelope's audit trail, and a tenant's audit log of administrative acts."""

from __future__ import annotations

import sys

import click

from undersign.entrypoints.cli.common import EXIT_FAILURE, emit, json_option, run_with_container


@click.group()
def audit() -> None:
    """Audit trails (an envelope's) and audit logs (a tenant's administrative acts)."""


@audit.command("verify")
@click.argument("envelope_id")
@json_option
def audit_verify(envelope_id: str, as_json: bool) -> None:
    """Check ENVELOPE_ID's hash chain; exit 1 if it is broken."""
    trail = run_with_container(lambda c: c.use_cases().envelope_queries.verify_audit_trail(envelope_id))
    emit(
        as_json,
        {"envelope_id": envelope_id, "chain_valid": trail.chain_valid, "events": len(trail.entries),
         "last_hash": trail.entries[-1].hash if trail.entries else None},
        f"{envelope_id}: {len(trail.entries)} events, chain {'valid' if trail.chain_valid else 'BROKEN'}",
    )
    if not trail.chain_valid:
        sys.exit(EXIT_FAILURE)


@audit.command("tenant")
@click.argument("slug")
@json_option
def audit_tenant(slug: str, as_json: bool) -> None:
    """Check the hash chain of tenant SLUG's audit log (API keys created and revoked); exit 1 if it is broken."""
    verdict = run_with_container(lambda c: c.use_cases().tenant_audit.verify_for_tenant(slug))
    emit(
        as_json,
        {"tenant": slug, "chain_valid": verdict.chain_valid, "entries": verdict.entries,
         "last_hash": verdict.last_hash},
        f"tenant {slug}: {verdict.entries} entries, chain {'valid' if verdict.chain_valid else 'BROKEN'}",
    )
    if not verdict.chain_valid:
        sys.exit(EXIT_FAILURE)
