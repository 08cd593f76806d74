"""The verification report as JSON: one wire form for POST /v1/verify and `undersign verify --json`."""

from __future__ import annotations

from datetime import datetime

import msgspec

from undersign.application.evidence.verification import (
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    VerificationReport,
)


class TimestampOut(msgspec.Struct, kw_only=True):
    time: datetime
    status: str  # valid | untrusted | invalid
    authority: str | None


class SigningCertificateOut(msgspec.Struct, kw_only=True):
    name: str | None
    email: str | None
    certificate_serial: str | None


class AdesOut(msgspec.Struct, kw_only=True):
    """ETSI EN 319 102-1's verdict as pyHanko's standard AdES validation gives it (PASSED, INDETERMINATE,
    FAILED), and, when the signature's `valid` is not exactly "PASSED", why, in words (null when they agree)."""

    indication: str
    subindication: str | None
    difference: str | None


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
        ades=AdesOut(indication=s.ades_indication, subindication=s.ades_subindication, difference=ades_difference(s)),
        valid=s.valid,
        problems=list(s.problems),
    )


# -- our verdict and AdES's --------------------------------------------------------------

_PROOF_OF_EXISTENCE = frozenset(
    {"NO_POE", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "REVOCATION_OUT_OF_BOUNDS_NO_POE"}
)


def ades_difference(s: SignatureReport) -> str | None:
    """Why the signature's verdict (`valid`) differs from pyHanko's standard AdES validation, or None when
    they agree: valid exactly when AdES says PASSED.

    AdES asks more than Undersign in two places, both by design: revocation data for every
    certificate (Undersign reports a missing answer as `unknown`, as PDF readers show
    "revocation not checked"), and, once the validation time is past what the embedded data
    itself shows, proof that the data existed earlier, which only a document time stamp gives.
    """
    passed = s.ades_indication == "PASSED"
    if s.valid == passed:
        return None
    verdict = f"{s.ades_indication}/{s.ades_subindication}" if s.ades_subindication else s.ades_indication
    if not s.valid:
        return f"pyHanko's AdES validation says {verdict}, but Undersign does not accept it: {'; '.join(s.problems)}"
    if s.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        why = "a document time stamp is judged on its own checks: intact, sound and from a trusted time-stamping authority"
    elif s.revocation is RevocationStatus.UNKNOWN:
        why = (
            "AdES requires revocation data for every certificate in the chain, and the document embeds none from the "
            "service its certificates name (PAdES B-B and B-T carry none; B-LT and B-LTA add it); Undersign reports "
            "the revocation status as unknown instead and does not count it against the signature, as PDF readers "
            'show "revocation not checked" beside a valid signature'
        )
    elif s.revocation is RevocationStatus.NOT_CHECKED:
        why = (
            "AdES requires revocation data for every certificate in the chain, and its certificates name no "
            "revocation service to ask; Undersign has nothing to check against and does not count that against it"
        )
    elif s.ades_subindication in _PROOF_OF_EXISTENCE:
        why = (
            "AdES long-term validation wants proof that the certificates and revocation data embedded with it "
            "existed before the validation time, which only a document time stamp after the signature gives "
            "(PAdES B-LTA); the document holds none that still proves it. Undersign accepts the signature on its "
            "own: intact, its time stamp showing it was made while its certificate was valid, and not revoked "
            "by the data embedded with it"
        )
    else:
        why = (
            "Undersign judges the signature on its checks at the validation time: intact, trusted, not revoked, "
            "its time stamp sound and the changes after it permitted"
        )
    return f"valid for Undersign, {verdict} for pyHanko's AdES validation: {why}"
