"""The verification report as JSON: one wire form for POST /v1/verify and `undersign verify --json`."""

from __future__ import annotations

from datetime import datetime

import msgspec

from undersign.application.evidence.verification import SignatureReport, VerificationReport


class TimestampOut(msgspec.Struct, kw_only=True):
    time: datetime
    status: str  # valid | untrusted | invalid
    authority: str | None


class SigningCertificateOut(msgspec.Struct, kw_only=True):
    name: str | None
    email: str | None
    certificate_serial: str | None


class AdesOut(msgspec.Struct, kw_only=True):
    """ETSI EN 319 102-1's verdict as pyHanko's AdES engine gives it (PASSED, INDETERMINATE, FAILED)."""

    indication: str
    subindication: str | None


class SignatureOut(msgspec.Struct, kw_only=True):
    field_name: str
    kind: str  # signature | document_timestamp
    signer: SigningCertificateOut
    claimed_signing_time: datetime | None
    timestamp: TimestampOut | None
    intact: bool
    trusted: bool
    revocation: str  # good | revoked | unknown | not_checked
    pades_level: str | None  # B-B | B-T | B-LT | B-LTA
    coverage: str
    modifications_after: str
    modifications_permitted: bool | None
    ades: AdesOut
    valid: bool
    problems: list[str]


class VerificationReportOut(msgspec.Struct, kw_only=True):
    valid: bool
    summary: str
    problems: list[str]
    sha256: str
    validation_time: datetime
    signatures: list[SignatureOut]


def verification_report_out(report: VerificationReport) -> VerificationReportOut:
    return VerificationReportOut(
        valid=report.valid,
        summary=report.summary,
        problems=report.problems,
        sha256=report.sha256,
        validation_time=report.validation_time,
        signatures=[_signature_out(s) for s in report.signatures],
    )


def _signature_out(s: SignatureReport) -> SignatureOut:
    return SignatureOut(
        field_name=s.field_name,
        kind=s.kind.value,
        signer=SigningCertificateOut(name=s.signer_name, email=s.signer_email, certificate_serial=s.certificate_serial),
        claimed_signing_time=s.claimed_signing_time,
        timestamp=(
            TimestampOut(time=s.timestamp.time, status=s.timestamp.status.value, authority=s.timestamp.authority)
            if s.timestamp
            else None
        ),
        intact=s.intact,
        trusted=s.trusted,
        revocation=s.revocation.value,
        pades_level=s.pades_level,
        coverage=s.coverage.value,
        modifications_after=s.modifications_after.value,
        modifications_permitted=s.modifications_permitted,
        ades=AdesOut(indication=s.ades_indication, subindication=s.ades_subindication),
        valid=s.valid,
        problems=list(s.problems),
    )
