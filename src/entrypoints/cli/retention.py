"""Retention: `undersign retention run [--dry-run]` purges the envelopes whose retention is over;
`undersign legal-hold set|release ENVELOPE_ID --reason` keeps one's documents, or lets them go."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from undersign.entrypoints.cli.common import emit, fail, json_option, operator, run_with_container

if TYPE_CHECKING:
    from undersign.application.retention.purge import DueEnvelope, Outcome, RetentionReport
    from undersign.domain.envelope import Envelope
    from undersign.entrypoints.container import Container


@click.group()
def retention() -> None:
    """Purge the documents of envelopes whose retention period (their policy's retention_days) is over."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Only list the envelopes that would be purged; change nothing.")
@json_option
def retention_run(dry_run: bool, as_json: bool) -> None:
    """Purge every due envelope (not on legal hold): its documents' bytes and certificate go, a tombstone with
    their SHA-256 and the audit chain stays. Safe to run again: a run cut short is finished by the next one."""
    count = 0

    def progress(due: DueEnvelope, outcome: Outcome) -> None:
        nonlocal count
        count += 1
        verb = "would purge" if outcome == "due" else outcome
        resumed = ", finishing an earlier run's purge" if due.resumed else ""
        click.echo(
            f"[{count}] {verb} {due.envelope_id} (tenant {due.tenant_id}, {due.status}, {due.documents} documents, "
            f"due since {due.purge_after.isoformat()}{resumed})",
            err=as_json,  # with --json, stdout holds the one JSON object: progress goes to stderr
        )

    async def run(c: Container) -> RetentionReport:
        return await c.use_cases().retention.run(dry_run=dry_run, progress=progress)

    report = run_with_container(run)
    payload = {
        "dry_run": report.dry_run, "due": report.due, "purged": report.purged, "skipped": report.skipped,
        "blobs_deleted": report.blobs_deleted, "failed": report.failed,
    }
    if dry_run:
        text = f"dry run: {report.due} envelopes due for purge; nothing was changed"
    else:
        text = (
            f"{report.purged} envelopes purged ({report.blobs_deleted} blobs deleted), {report.skipped} passed over "
            f"(held or purged meanwhile), {len(report.failed)} failed"
        )
    emit(as_json, payload, text)
    if report.failed:
        names = ", ".join(report.failed[:5])
        fail(f"{len(report.failed)} envelopes were not purged and wait for the next run: {names}")


@click.group("legal-hold")
def legal_hold() -> None:
    """Keep an envelope's documents past their retention (a legal hold), or let them go, with a reason."""


def _hold(envelope_id: str, reason: str, *, release: bool, as_json: bool) -> None:
    actor = operator() or "cli"

    async def act(c: Container) -> Envelope:
        holds = c.use_cases().legal_holds
        if release:
            return await holds.release_by_operator(envelope_id, reason=reason, actor=actor)
        return await holds.set_by_operator(envelope_id, reason=reason, actor=actor)

    envelope = run_with_container(act)
    hold = envelope.legal_hold
    payload = {
        "envelope_id": envelope.id,
        "legal_hold": None if hold is None else {"reason": hold.reason, "since": hold.since.isoformat(), "by": hold.by},
    }
    emit(as_json, payload, f"{envelope_id}: legal hold {'released' if release else 'set'}")


@legal_hold.command("set")
@click.argument("envelope_id")
@click.option("--reason", required=True, help="Why the documents must be kept (audited on the envelope's chain).")
@json_option
def legal_hold_set(envelope_id: str, reason: str, as_json: bool) -> None:
    """Put ENVELOPE_ID on legal hold: nothing of it is purged until the hold is released."""
    _hold(envelope_id, reason, release=False, as_json=as_json)


@legal_hold.command("release")
@click.argument("envelope_id")
@click.option("--reason", required=True, help="Why the hold ends (audited on the envelope's chain).")
@json_option
def legal_hold_release(envelope_id: str, reason: str, as_json: bool) -> None:
    """Release ENVELOPE_ID's legal hold: the next retention run purges it if it is due."""
    _hold(envelope_id, reason, release=True, as_json=as_json)
