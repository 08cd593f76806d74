"""`undersign verify`: a PDF's signatures, checked with only what it embeds; or an evidence package (ZIP):
its SHA-256 sums, its audit trail's chain and every PDF in it."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from undersign.entrypoints.cli.common import EXIT_FAILURE, fail, json_option, run_with_container

if TYPE_CHECKING:
    from undersign.application.evidence.package_verification import PackageVerdict
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
    """Verify the signatures in FILE, with only what it embeds; exit 0 only if the document is valid.

    FILE may be an evidence package (the ZIP `undersign evidence export` writes): then every file's
    SHA-256, the audit trail's chain and every PDF in it are checked, and it is valid only if all hold."""
    import msgspec

    from undersign.application.evidence.package_verification import is_evidence_package
    from undersign.application.evidence.verification import VerifyPdf
    from undersign.entrypoints.verification_report import verification_report_out

    moment = _iso_time(at) if at is not None else None
    roots = [_read(path) for path in trust] or None
    if is_evidence_package(_head(file)):
        _verify_package(file, roots, moment, as_json)
    pdf = _read(file)
    # No database: verifying reads only the file and the trust anchors.
    command = VerifyPdf(caller=None, pdf=pdf, trust_roots=roots, at=moment)
    report = run_with_container(lambda c: c.use_cases().verify_pdf(command), database=False)
    if as_json:
        click.echo(msgspec.json.encode(verification_report_out(report)).decode())
    else:
        click.echo(_report_text(file, report))
    sys.exit(0 if report.valid else EXIT_FAILURE)


def _verify_package(file: Path, roots: list[bytes] | None, moment: datetime | None, as_json: bool) -> NoReturn:
    import msgspec

    from undersign.application.evidence.package_verification import VerifyEvidencePackage
    from undersign.entrypoints.verification_report import verification_report_out

    command = VerifyEvidencePackage(path=str(file), trust_roots=roots, at=moment)
    verdict = run_with_container(lambda c: c.use_cases().verify_evidence_package(command), database=False)
    if as_json:
        payload = {
            "valid": verdict.valid, "envelope_id": verdict.envelope_id, "files_checked": verdict.files_checked,
            "chain_valid": verdict.chain_valid, "audit_entries": verdict.audit_entries, "problems": verdict.problems,
            "documents": {name: verification_report_out(report) for name, report in verdict.reports.items()},
        }
        click.echo(msgspec.json.encode(payload).decode())
    else:
        click.echo(_package_text(file, verdict))
    sys.exit(0 if verdict.valid else EXIT_FAILURE)


def _package_text(file: Path, verdict: PackageVerdict) -> str:
    lines = [
        f"{file}: evidence package of envelope {verdict.envelope_id or '?'}: "
        f"{'VALID' if verdict.valid else 'NOT VALID'}",
        f"  {verdict.files_checked} files match SHA256SUMS; audit trail: {verdict.audit_entries} events, "
        f"chain {'valid' if verdict.chain_valid else 'BROKEN'}",
    ]
    lines += [f"  {name}: {report.summary}" for name, report in verdict.reports.items()]
    lines += [f"  problem: {problem}" for problem in verdict.problems]
    return "\n".join(lines)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(4)
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")


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
