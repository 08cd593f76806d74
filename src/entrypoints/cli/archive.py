"""`undersign archive`: the long-term archive of sealed documents."""

from __future__ import annotations

from datetime import timedelta

import click

from undersign.entrypoints.cli.common import emit, json_option, run_with_container


@click.group()
def archive() -> None:
    """Long-term archive of sealed documents."""


@archive.command("renew")
@click.option(
    "--within-days", default=90, show_default=True, type=click.IntRange(0, 3650),
    help="Renew documents whose last document time stamp expires within this many days.",
)
@json_option
def archive_renew(within_days: int, as_json: bool) -> None:
    """Add a new document time stamp to sealed B-LTA documents whose last one nears expiry."""
    from undersign.application.signing.archive_renewal import RenewArchiveTimestamps

    command = RenewArchiveTimestamps(within=timedelta(days=within_days))
    report = run_with_container(lambda c: c.use_cases().renew_archive_timestamps(command))
    renewed = [
        {"tenant_id": r.tenant_id, "envelope_id": r.envelope_id, "document_id": r.document_id,
         "expired_at": r.expired_at.isoformat(), "revision": r.revision}
        for r in report.renewed
    ]  # fmt: skip
    lines = [f"{r['document_id']} (envelope {r['envelope_id']}): was good until {r['expired_at']}" for r in renewed]
    emit(
        as_json,
        {"checked": report.checked, "renewed": renewed},
        "\n".join([f"{report.checked} sealed documents checked, {len(renewed)} renewed", *lines]),
    )
