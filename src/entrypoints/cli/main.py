"""`undersign`: serve the API, migrate the database, manage tenants and keys, verify audit chains and PDFs.

Every command takes --json and then prints exactly one JSON object on stdout. Errors are
one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from undersign.domain.tenant import ApiKeyRole

# A command imports what it needs when it runs: `undersign --help` and every `--help` answer
# at once, without loading the database layer, the PDF machinery or the web framework.
if TYPE_CHECKING:
    from undersign.application.evidence.verification import SignatureReport, VerificationReport
    from undersign.entrypoints.container import Container
    from undersign.entrypoints.settings import Settings

T = TypeVar("T")

EXIT_FAILURE = 1


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(payload, default=str) if as_json else text)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_FAILURE)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")(command)


def load_settings() -> Settings:
    from undersign.adapters.system.logging import configure_logging
    from undersign.entrypoints.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        fail(str(error))
    configure_logging(json=settings.log_json, level=settings.log_level)
    return settings


def prepare_database(settings: Settings) -> None:
    """The embedded SQLite default migrates itself; a server database is migrated by `db upgrade`."""
    from undersign.adapters.sql import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite"):
        migrate.upgrade(settings.database_url)
        return
    current, head = migrate.current(settings.database_url), migrate.head()
    if current != head:
        fail(f"the database schema is at revision {current}, not {head}: run `undersign db upgrade` first")


def run_with_container(operation: Callable[[Container], Awaitable[T]], *, database: bool = True) -> T:
    """`operation` on a container built from the environment; `database=False` for work that never opens it."""
    from undersign.domain.errors import DomainError
    from undersign.entrypoints.container import build_container, shutdown

    settings = load_settings()
    if database:
        prepare_database(settings)
    container = build_container(settings)

    async def run() -> T:
        try:
            return await operation(container)
        finally:
            await shutdown(container)

    try:
        return asyncio.run(run())
    except DomainError as error:
        fail(error.detail)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="undersign", prog_name="undersign", message="%(prog)s %(version)s")
def cli() -> None:
    """Undersign: electronic signatures you can verify."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@json_option
def serve(host: str, port: int, as_json: bool) -> None:
    """Serve the API (and the signing page) on the embedded default or the configured services."""
    import uvicorn

    from undersign.entrypoints.container import build_container
    from undersign.entrypoints.http.app import create_app
    from undersign.entrypoints.http.security_headers import MAX_REQUEST_HEAD_BYTES
    from undersign.entrypoints.settings import SettingsError

    settings = load_settings()
    prepare_database(settings)
    container = build_container(settings)
    try:
        container.gateways.pdf_signer()  # loads the seal key: a wrong file, password or PIN stops here
    except SettingsError as error:
        fail(str(error))
    app = create_app(container)
    url = f"http://{host}:{port}"
    emit(
        as_json,
        {"status": "serving", "url": url, "data_dir": str(settings.data_dir)},
        f"Undersign serving on {url} (data in {settings.data_dir})\n"
        "No API key yet? In another shell: undersign tenant create acme && "
        "undersign apikey create --tenant acme --role admin",
    )
    # h11, not httptools (uvicorn's pick when installed): httptools buffers a request head of
    # any size, h11 cuts an unfinished one off at a bound (400); the app refuses large headers (431).
    # No Server banner: it tells a scanner which server and version to try.
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False,
        http="h11", h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES, server_header=False,
    )


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@json_option
def db_upgrade(revision: str, as_json: bool) -> None:
    """Apply migrations up to REVISION."""
    from undersign.adapters.sql import migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    current = migrate.current(settings.database_url)
    emit(as_json, {"revision": current}, f"database at revision {current}")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
@json_option
def db_downgrade(revision: str, as_json: bool) -> None:
    """Undo migrations down to REVISION (one step by default)."""
    from undersign.adapters.sql import migrate

    settings = load_settings()
    migrate.downgrade(settings.database_url, revision)
    current = migrate.current(settings.database_url)
    emit(as_json, {"revision": current}, f"database at revision {current}")


@cli.group()
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


@cli.group()
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


@cli.group()
def audit() -> None:
    """Audit trails."""


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


@cli.group()
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


@cli.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for scripts and tests).")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (UNDERSIGN_REDIS_URL): seals, emails, webhooks, reminders, expiry."""
    from undersign.entrypoints.container import build_container
    from undersign.entrypoints.settings import SettingsError
    from undersign.entrypoints.worker.arq_worker import build_worker

    settings = load_settings()
    if settings.embedded_jobs:
        fail("UNDERSIGN_REDIS_URL is not set: without Redis, `undersign serve` runs the jobs itself")
    prepare_database(settings)
    container = build_container(settings)
    try:
        container.gateways.pdf_signer()  # a wrong seal key stops the worker here, not at its first seal
    except SettingsError as error:
        fail(str(error))
    build_worker(container, burst=burst).run()


@cli.group()
def jobs() -> None:
    """Background jobs that failed for good (dead letters): list and replay them."""


@jobs.command("dead-letters")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
def jobs_dead_letters(limit: int, as_json: bool) -> None:
    """The jobs that failed their last attempt, most recent first."""
    letters = run_with_container(lambda c: c.use_cases().dead_letters.list(limit=limit))
    items = [
        {"id": d.id, "job": d.job.name, "args": d.job.args, "attempts": d.attempts, "error": d.error,
         "failed_at": d.failed_at.isoformat()}
        for d in letters
    ]  # fmt: skip
    lines = [f"{d['id']}  {d['job']}  {d['attempts']} attempts, last {d['failed_at']}: {d['error']}" for d in items]
    emit(as_json, {"dead_letters": items}, "\n".join(lines) or "no dead letters")


@jobs.command("replay")
@click.argument("letter_ids", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@json_option
def jobs_replay(letter_ids: tuple[str, ...], replay_all: bool, as_json: bool) -> None:
    """Queue dead-lettered jobs again (LETTER_IDS, or --all), each with a fresh set of attempts."""
    if bool(letter_ids) == replay_all:
        fail("name the dead letters to replay, or pass --all")

    async def replay(c: Container) -> list[str]:
        office = c.use_cases().dead_letters
        jobs = await office.replay_all() if replay_all else [await office.replay(letter_id) for letter_id in letter_ids]
        return [job.id for job in jobs]

    queued = run_with_container(replay)
    emit(as_json, {"replayed": queued}, f"{len(queued)} jobs queued again")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help="A PEM or DER certificate to trust instead of the installation's anchors (repeatable).",
)
@click.option("--at", "at", default=None, help="Validate as of this time: ISO 8601 with an offset (default: now).")
@json_option
def verify(file: Path, trust: tuple[Path, ...], at: str | None, as_json: bool) -> None:
    """Verify the signatures in FILE, with only what it embeds; exit 0 only if the document is valid."""
    import msgspec

    from undersign.application.evidence.verification import VerifyPdf
    from undersign.entrypoints.verification_report import verification_report_out

    moment = _iso_time(at) if at is not None else None
    pdf = _read(file)
    roots = [_read(path) for path in trust] or None
    # No database: verifying reads only the file and the trust anchors.
    command = VerifyPdf(caller=None, pdf=pdf, trust_roots=roots, at=moment)
    report = run_with_container(lambda c: c.use_cases().verify_pdf(command), database=False)
    if as_json:
        click.echo(msgspec.json.encode(verification_report_out(report)).decode())
    else:
        click.echo(_report_text(file, report))
    sys.exit(0 if report.valid else EXIT_FAILURE)


def _iso_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--at {text!r} is not an ISO 8601 time, such as 2030-01-05T09:00:00Z")
    return moment  # its UTC offset is checked where every caller's is: VerifyPdfHandler


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")


def _report_text(file: Path, report: VerificationReport) -> str:
    lines = [
        f"{file}: {'VALID' if report.valid else 'NOT VALID'}",
        f"  sha256 {report.sha256}, validated as of {report.validation_time.isoformat()}",
    ]
    for number, signature in enumerate(report.signatures, start=1):
        lines.extend(_signature_text(number, signature))
    lines.extend(f"  problem: {problem}" for problem in report.problems)
    return "\n".join(lines)


def _signature_text(number: int, s: SignatureReport) -> list[str]:
    from undersign.application.evidence.verification import SignatureKind

    who = s.signer_name or "unknown signer"
    if s.signer_email:
        who += f" <{s.signer_email}>"
    what = "document timestamp" if s.kind is SignatureKind.DOCUMENT_TIMESTAMP else "signature"
    timestamp = (
        f"timestamp {s.timestamp.time.isoformat()} ({s.timestamp.status.value})" if s.timestamp else "no timestamp"
    )
    claimed = s.claimed_signing_time.isoformat() if s.claimed_signing_time else "none"
    permitted = {True: "permitted", False: "NOT permitted", None: "not analysed"}[s.modifications_permitted]
    lines = [
        f"  {number}. {s.field_name}: {what} by {who}: {'valid' if s.valid else 'NOT VALID'}",
        f"     claimed time {claimed}, {timestamp}",
        f"     {'intact' if s.intact else 'NOT INTACT'}, {'trusted' if s.trusted else 'NOT TRUSTED'}, "
        f"revocation {s.revocation.value.replace('_', ' ')}, PAdES {s.pades_level or '-'}",
        f"     covers {s.coverage.value.replace('_', ' ')}; after it: {s.modifications_after.value.replace('_', ' ')} "
        f"({permitted})",
    ]
    lines.extend(f"     problem: {problem}" for problem in s.problems)
    return lines


def main() -> None:
    """The console entry: anything unexpected is one line on stderr, not a traceback."""
    try:
        cli()
    except Exception as error:  # noqa: BLE001 - the last line of defence for operators
        fail(f"{type(error).__name__}: {error}")
