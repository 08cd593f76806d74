"""What pyHanko's validation results say, in the platform's words: trusted or not, revoked, the problems, who signed."""

from __future__ import annotations

from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed, AdESStatus, AdESSubIndic
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.ades import AdESLTAValidationResult
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel, TimestampSignatureStatus

from undersign.adapters.signing.pdf_errors import reason
from undersign.adapters.signing.signature_fields import SEAL_FIELD_NAME, SIGNING_APPLICATION
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    TimestampReport,
    TimestampStatus,
)

COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: Coverage.ENTIRE_FILE,
    SignatureCoverageLevel.ENTIRE_REVISION: Coverage.ENTIRE_REVISION,
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: Coverage.CONTIGUOUS_BLOCK_FROM_START,
    SignatureCoverageLevel.UNCLEAR: Coverage.UNCLEAR,
}
_MODIFICATIONS = {
    ModificationLevel.NONE: Modifications.NONE,
    ModificationLevel.LTA_UPDATES: Modifications.VALIDATION_DATA,
    ModificationLevel.FORM_FILLING: Modifications.FORM_FILLING,
    ModificationLevel.ANNOTATIONS: Modifications.ANNOTATIONS,
    ModificationLevel.OTHER: Modifications.OTHER,
}
_REVOKED = frozenset({AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE})
_EXPIRED_WITHOUT_PROOF = (
    "a certificate in its chain was expired at the validation time, and no time stamp in the document "
    "that still holds then proves the signature was made while it was valid"
)
_NO_PROOF_OF_EXISTENCE = (
    "nothing in the document that still holds at the validation time (a document time stamp) proves "
    "that its certificates and revocation data existed while they were valid"
)
_WEAK_ALGORITHM = "it uses an algorithm or key size that is no longer accepted"
_UNTRUSTED_BECAUSE = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: "it does not chain to any of the trust anchors",
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE: "its certificate chain does not validate",
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: "its certificate chain breaks a constraint",
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: _EXPIRED_WITHOUT_PROOF,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED: _EXPIRED_WITHOUT_PROOF,
    AdESIndeterminate.EXPIRED: "a certificate in its chain had expired",
    AdESIndeterminate.NOT_YET_VALID: "a certificate in its chain was not yet valid at the validation time",
    AdESFailure.NOT_YET_VALID: "a certificate in its chain was not yet valid when the signature was made",
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE: _WEAK_ALGORITHM,
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE: _WEAK_ALGORITHM,
    AdESIndeterminate.NO_POE: _NO_PROOF_OF_EXISTENCE,
    AdESIndeterminate.TRY_LATER: "no revocation data for its chain is embedded in the document",
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE: "the embedded revocation data is too old or too new",
}


def passed(result: AdESLTAValidationResult) -> bool:
    return result.ades_subindic is AdESPassed.OK


def trusted(result: AdESLTAValidationResult) -> bool:
    """Trusted at the validation time, or proven by AdES long-term validation to have been when it was made.

    pyHanko's AdES engine reports INDETERMINATE for a signature without a signature
    timestamp (it expects one), while its status of the signature at the validation time
    is complete: both are read.
    """
    if passed(result):
        return True
    return result.api_status is not None and result.api_status.trusted and result.ades_subindic.status is not AdESStatus.FAILED


def is_revoked(result: AdESLTAValidationResult) -> bool:
    return result.ades_subindic in _REVOKED or (result.api_status is not None and result.api_status.revoked)


def names_revocation_service(signature: EmbeddedPdfSignature) -> bool:
    """Whether the signer's certificate or any CA certificate sent with it names a CRL or OCSP service."""
    certificates = [signature.signer_cert, *signature.other_embedded_certs]
    return any(cert.crl_distribution_points or cert.ocsp_urls for cert in certificates)


def signature_problems(
    status: PdfSignatureStatus,
    result: AdESLTAValidationResult,
    trusted: bool,
    revocation: RevocationStatus,
    timestamp: TimestampReport | None,
) -> list[str]:
    if not status.intact:
        return ["the signed bytes were changed after signing (the digest does not match)"]
    if not status.valid:
        return ["the cryptographic signature does not verify"]
    problems = []
    if revocation is RevocationStatus.REVOKED:
        problems.append("a certificate in its chain is revoked")
    elif not trusted:
        problems.append("its certificate is not trusted: " + untrusted_reason(status.trust_problem_indic or result.ades_subindic))
    if timestamp is not None and timestamp.status is not TimestampStatus.VALID:
        problems.append(f"its timestamp is {timestamp.status.value}")
    if status.docmdp_ok is False:
        problems.append(
            "the document was changed after it in a way it does not permit "
            f"({modifications(status.modification_level).value})"
        )
    if status.seed_value_constraint_error is not None:
        problems.append(f"it breaks its field's constraints: {status.seed_value_constraint_error.failure_message}")
    if result.ades_subindic.status is AdESStatus.FAILED and not problems:
        problems.append(f"AdES validation failed ({result.ades_subindic.standard_name}): {result.failure_msg or ''}".rstrip(": "))
    return problems


def untrusted_reason(indication: AdESSubIndic | None) -> str:
    if indication is None:
        return "its certificate chain does not validate"
    return _UNTRUSTED_BECAUSE.get(indication, f"AdES indication {indication.standard_name}")


def timestamp_report(status: TimestampSignatureStatus | None, *, passed: bool) -> TimestampReport | None:
    if status is None:
        return None
    if not (status.intact and status.valid):
        verdict = TimestampStatus.INVALID
    elif status.trusted or passed:
        verdict = TimestampStatus.VALID
    else:
        verdict = TimestampStatus.UNTRUSTED
    return TimestampReport(time=status.timestamp, status=verdict, authority=_signer(status.signing_cert)[0])


def modifications(level: ModificationLevel | None) -> Modifications:
    return Modifications.UNKNOWN if level is None else _MODIFICATIONS.get(level, Modifications.OTHER)


def unsealed_platform_document(signatures: list[EmbeddedPdfSignature]) -> bool:
    """Signed through Undersign (its signatures name it as the signing application) but not sealed by it."""
    ours = [s for s in signatures if made_by_undersign(s)]
    return bool(ours) and not any(s.field_name == SEAL_FIELD_NAME for s in ours)


def made_by_undersign(signature: EmbeddedPdfSignature) -> bool:
    """Whether the signature dictionary names Undersign as the application that made it (/Prop_Build /App)."""
    try:
        return signature.sig_object["/Prop_Build"]["/App"]["/Name"] == "/" + SIGNING_APPLICATION
    except (KeyError, TypeError):
        return False


def signed_by(signature: EmbeddedPdfSignature) -> dict[str, Any]:
    """Which field, whose certificate: what every report of a signature or time stamp starts with."""
    name, email = _signer(signature.signer_cert)
    return {
        "field_name": str(signature.field_name), "signer_name": name, "signer_email": email,
        "certificate_serial": format(signature.signer_cert.serial_number, "x"),
    }


_SMTP_UTF8_MAILBOX = "1.3.6.1.5.5.7.8.9"


def _signer(certificate: asn1_x509.Certificate | None) -> tuple[str | None, str | None]:
    """The certificate subject's common name and email (from the subject alternative name, or the subject)."""
    if certificate is None:
        return None, None
    subject = certificate.subject.native
    email = subject.get("email_address")
    for name in certificate.subject_alt_name_value or ():
        if name.name == "rfc822_name":
            email = name.native
            break
        if name.name == "other_name" and name.native["type_id"] == _SMTP_UTF8_MAILBOX:  # RFC 8398
            email = name.native["value"]
            break
    common_name = subject.get("common_name")
    if isinstance(common_name, list):  # a name that mixes directions is one common name per stretch
        common_name = " ".join(common_name)
    return common_name, email


def unreadable(signature: EmbeddedPdfSignature, error: Exception) -> SignatureReport:
    try:
        field_name = str(signature.field_name)
    except Exception:  # noqa: BLE001 - even the name may be unreadable
        field_name = "?"
    return SignatureReport(
        field_name=field_name or "?",
        kind=SignatureKind.SIGNATURE,
        signer_name=None,
        signer_email=None,
        certificate_serial=None,
        claimed_signing_time=None,
        timestamp=None,
        intact=False,
        trusted=False,
        revocation=RevocationStatus.NOT_CHECKED,
        pades_level=None,
        coverage=Coverage.UNCLEAR,
        modifications_after=Modifications.UNKNOWN,
        modifications_permitted=None,
        ades_indication=AdESStatus.FAILED.name,
        ades_subindication=AdESFailure.FORMAT_FAILURE.standard_name,
        valid=False,
        problems=(f"the signature cannot be validated: {reason(error)}",),
    )
