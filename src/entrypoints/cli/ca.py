"""`undersign ca`: revoke signers' certificates, and list the revocations the OCSP responder and the CRL publish.

Revocation is an operator's act, for the whole installation (one issuing CA serves every
tenant), so it is here and not in the API. Each revocation is recorded with who asked (the
account the command ran under) and logged as it is made.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from undersign.domain.certificate_revocation import (
    MAX_REVOKED_BY_LENGTH,
    RevocationReason,
    parse_revocation_reason,
    parse_serial,
)
from undersign.domain.errors import InvalidInput
from undersign.entrypoints.cli.common import emit, json_option, operator, run_with_container

if TYPE_CHECKING:
    from undersign.domain.certificate_revocation import CertificateRevocation

EXIT_USAGE = 2  # as click exits on a usage error: the command was not run

REASONS = ", ".join(reason.value for reason in RevocationReason)


@click.group()
def ca() -> None:
    """The issuing CA that certifies signers: revoke their certificates."""


@ca.command("revoke")
@click.argument("serial")
@click.option(
    "--reason", default=RevocationReason.UNSPECIFIED.value, show_default=True,
    help=f"Why: {REASONS} (RFC 5280's keyCompromise style works too).",
)
@json_option
def ca_revoke(serial: str, reason: str, as_json: bool) -> None:
    """Revoke the signer's certificate with serial number SERIAL, for good.

    SERIAL in hex as openssl prints it (4F:2A:09, 0x4f2a09 or 4f2a09). Revoking a revoked
    certificate again changes nothing and says since when it is revoked. A serial no
    signature records is revoked all the same: the CA may have issued it nonetheless.
    """
    canonical, why = _parsed(serial, reason)
    revoked_by = operator(MAX_REVOKED_BY_LENGTH)
    revocation, made = run_with_container(
        lambda c: c.use_cases().certificate_revocations.revoke(canonical, why, revoked_by=revoked_by)
    )
    _log_revocation(revocation, made=made, asked=(why, revoked_by))
    record = _as_record(revocation)
    if made:
        text = f"revoked certificate {revocation.serial} at {record['revoked_at']} ({revocation.reason})"
    else:
        text = f"certificate {revocation.serial} already revoked since {record['revoked_at']} ({revocation.reason})"
    emit(as_json, {**record, "already_revoked": not made}, text)


@ca.command("revocations")
@json_option
def ca_revocations(as_json: bool) -> None:
    """Every revoked signer's certificate, oldest revocation first."""
    records = [_as_record(r) for r in run_with_container(lambda c: c.use_cases().certificate_revocations.revocations())]
    width = max((len(r["serial"]) for r in records), default=0)
    lines = [f"{r['serial']:<{width}}  {r['revoked_at']}  {r['reason']}" for r in records]
    emit(as_json, {"revocations": records}, "\n".join(lines) or "no revoked certificates")


def _parsed(serial: str, reason: str) -> tuple[str, RevocationReason]:
    """The canonical serial and the reason, or one line on stderr and exit 2 before anything is opened."""
    try:
        return parse_serial(serial), parse_revocation_reason(reason)
    except InvalidInput as error:
        _usage_error(error.detail)


def _usage_error(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _log_revocation(
    revocation: CertificateRevocation, *, made: bool, asked: tuple[RevocationReason, str | None]
) -> None:
    """The operator's act in the log; asked again, what this call asked for besides what is on record."""
    import structlog

    log = structlog.get_logger("undersign.ca")
    fields = {"serial": revocation.serial, "reason": revocation.reason.value, "revoked_by": revocation.revoked_by,
              "revoked_at": revocation.revoked_at.isoformat()}
    if made:
        log.info("certificate revoked", **fields)
    else:
        log.info("certificate already revoked", **fields, asked_reason=asked[0].value, asked_by=asked[1])


def _as_record(revocation: CertificateRevocation) -> dict[str, Any]:
    return {"serial": revocation.serial, "revoked_at": revocation.revoked_at.isoformat(),
            "reason": revocation.reason.value, "revoked_by": revocation.revoked_by}
