"""`undersign storage`: the blob store checked against the records, and moved to another."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from undersign.entrypoints.cli.common import EXIT_FAILURE, emit, fail, json_option, run_with_container

if TYPE_CHECKING:
    from undersign.adapters.storage.migration import MigrationReport
    from undersign.application.storage.check import StorageReport
    from undersign.entrypoints.container import Container


@click.group()
def storage() -> None:
    """Where documents are kept (UNDERSIGN_BLOB_URL)."""


@storage.command("check")
@click.option("--tenant", "tenant_id", default=None, help="Check only this tenant's blobs (its id).")
@json_option
def storage_check(tenant_id: str | None, as_json: bool) -> None:
    """Re-read and re-hash every recorded document and certificate, and list stored blobs no record names.

    Exit 1 if a recorded blob is corrupted or missing; orphans are listed but lose nothing.
    A progress bar goes to stderr."""

    async def check(container: Container) -> StorageReport:
        checking = container.check_storage()
        total = await checking.total(tenant_id)
        with click.progressbar(length=total, label="checking", file=sys.stderr) as bar:
            return await checking(tenant_id, progress=bar.update)

    report = run_with_container(check)
    counts = {problem: 0 for problem in ("corrupted", "missing", "orphan")}
    for finding in report.findings:
        counts[finding.problem.value] += 1
    lines = [f"{f.problem.value} {f.key}" for f in report.findings]
    summary = (
        f"{report.checked} recorded blobs checked, {report.stored} stored: {counts['corrupted']} corrupted, "
        f"{counts['missing']} missing, {counts['orphan']} orphans"
    )
    emit(
        as_json,
        {"checked": report.checked, "stored": report.stored, "sound": report.sound, **counts,
         "findings": [
             {"problem": f.problem.value, "key": f.key, "expected_sha256": f.expected_sha256,
              "actual_sha256": f.actual_sha256}
             for f in report.findings
         ]},
        "\n".join([*lines, summary]),
    )
    if not report.sound:
        sys.exit(EXIT_FAILURE)


@storage.command("migrate")
@click.option("--to", "to_url", required=True, help="The store to copy to: file:///path or s3://bucket/prefix?options.")
@click.option("--from", "from_url", default=None, help="The store to copy from (default: UNDERSIGN_BLOB_URL's).")
@click.option("--tenant", "tenant_id", default=None, help="Copy only this tenant's blobs (its id).")
@json_option
def storage_migrate(to_url: str, from_url: str | None, tenant_id: str | None, as_json: bool) -> None:
    """Copy every recorded document and certificate to another store, checking each SHA-256 there.

    What is already there, intact, is skipped: run it again after switching UNDERSIGN_BLOB_URL
    (with UNDERSIGN_BLOB_FALLBACK_URL naming the old store) to copy what was written meanwhile.
    Exit 1 if a blob could not be copied (corrupted or missing at the source)."""
    from undersign.adapters.storage.locations import check_blob_url, open_blob_store

    for url in (to_url, from_url):
        if url is not None:
            try:
                check_blob_url(url)
            except ValueError as error:
                fail(str(error))

    async def migrate(container: Container) -> MigrationReport:
        from undersign.adapters.storage.migration import MigrateStorage

        scratch = container.settings().scratch_dir
        source = open_blob_store(from_url, "", scratch) if from_url else container.gateways.stored_blobs()
        migrating = MigrateStorage(container.gateways.recorded_blobs(), source, open_blob_store(to_url, "", scratch))
        total = await migrating.total(tenant_id)
        with click.progressbar(length=total, label="copying", file=sys.stderr) as bar:
            return await migrating(tenant_id, progress=bar.update)

    report = run_with_container(migrate)
    emit(
        as_json,
        {"copied": report.copied, "already_there": report.already_there, "complete": report.complete,
         "failed": [{"problem": f.problem.value, "key": f.key} for f in report.failed]},
        "\n".join([
            *(f"not copied ({f.problem.value}) {f.key}" for f in report.failed),
            f"{report.copied} copied, {report.already_there} already there, {len(report.failed)} not copied",
        ]),
    )
    if not report.complete:
        sys.exit(EXIT_FAILURE)
