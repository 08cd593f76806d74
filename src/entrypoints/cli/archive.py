"""`undersign archive`: the long-term archive of sealed documents."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from undersign.entrypoints.cli.common import EXIT_FAILURE, emit, json_option, run_with_container


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
    """Add a new document time stamp to sealed B-LTA documents whose last one nears expiry.

    Exits non-zero when a document due could not be renewed (the TSA failed, or its
    certificate would not outlive the time stamp being renewed), after trying the others.
    """
    from undersign.application.signing.archive_renewal import RenewArchiveTimestamps

    command = RenewArchiveTimestamps(within=timedelta(days=within_days))
    report = run_with_container(lambda c: c.use_cases().renew_archive_timestamps(command))
    renewed = [
        {"tenant_id": r.tenant_id, "envelope_id": r.envelope_id, "document_id": r.document_id,
         "expired_at": r.expired_at.isoformat(), "revision": r.revision}
        for r in report.renewed
    ]  # fmt: skip
    refused = [
        {"tenant_id": r.tenant_id, "envelope_id": r.envelope_id, "document_id": r.document_id, "reason": r.reason}
        for r in report.refused
    ]
    lines = [f"{r['document_id']} (envelope {r['envelope_id']}): was good until {r['expired_at']}" for r in renewed]
    lines += [f"{r['document_id']} (envelope {r['envelope_id']}) NOT renewed: {r['reason']}" for r in refused]
    summary = f"{report.checked} sealed documents checked, {len(renewed)} renewed"
    emit(
        as_json,
        {"checked": report.checked, "renewed": renewed, "refused": refused},
        "\n".join([summary + (f", {len(refused)} could not be" if refused else ""), *lines]),
    )
    if refused:  # a scheduler must see it: these documents stop verifying when their time stamp ends
        sys.exit(EXIT_FAILURE)
