"""`undersign verify`: a PDF's signatures, checked with only what it embeds."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from undersign.entrypoints.cli.common import EXIT_FAILURE, fail, json_option, run_with_container

if TYPE_CHECKING:
    from undersign.application.evidence.verification import SignatureReport, VerificationReport


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help="A PEM or DER certificate to trust instead of the installation's anchors (repeatable).",
)
@click.option("--at", "at", default=None, help="Validate as if the clock read this time, ISO 8601 with an offset (default: now).")
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
    from undersign.entrypoints.verification_report import ades_difference

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
    ades = f"{s.ades_indication}/{s.ades_subindication}" if s.ades_subindication else s.ades_indication
    lines.append(f"     pyHanko AdES: {ades}")
    if (difference := ades_difference(s)) is not None:
        lines.append(f"     differs from AdES: {difference}")
    lines.extend(f"     problem: {problem}" for problem in s.problems)
    return lines
