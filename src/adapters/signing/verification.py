"""Verifying any PDF's signatures with pyHanko: ours, or anyone's.

Every signature goes through pyHanko's AdES engine (`ades_lta_validation`, ETSI EN 319
102-1), which also runs the classic checks (digest, CMS signature, certificate path,
difference analysis of the updates after it) and reports them in its `api_status`.

Nothing is ever fetched: only the trust anchors given and what the document embeds (its
certificates, its DSS, Adobe-style revocation archives, its timestamps) are used. That is
what verifying an archived document means, and it keeps a public verification endpoint
from being made to call URLs that whoever made an uploaded PDF chose.

Revocation is checked where a certificate names a revocation service (CRL or OCSP) and
only against embedded data. A revoked certificate fails; a missing answer does not make
the signature untrusted by itself (a B-B signature carries none) but is reported as
`unknown`, much as PDF readers show "revocation not checked" beside a valid signature.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed, AdESStatus, AdESSubIndic
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.ades import AdESLTAValidationResult, ades_lta_validation
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_timestamp
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    TimestampSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager

from undersign.adapters.signing.certificates import asn1_certificate
from undersign.adapters.signing.pdf_errors import reason, refusal_for
from undersign.adapters.signing.pdf_inspector import open_bounded, read_document
from undersign.adapters.signing.sandbox import PdfLimits, PdfSandbox
from undersign.adapters.signing.trust import TrustAnchorError, load_trust_anchors
from undersign.application.evidence.verification import (
    Coverage,
    Modifications,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    TimestampReport,
    TimestampStatus,
    VerificationReport,
)
from undersign.application.shared.errors import InvalidDocument, InvalidTrustRoot

MAX_TRUST_ROOTS = 50  # a verification's own trust anchors: a few roots, not a certificate store
_CHATTY_LOGGERS = ("pyhanko.sign.validation", "pyhanko_certvalidator")

_COVERAGE = {
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
    "a certificate in its chain was expired at the validation time, and nothing in the "
    "document (a timestamp) proves the signature was made while it was valid"
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
    AdESIndeterminate.TRY_LATER: "no revocation data for its chain is embedded in the document",
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE: "the embedded revocation data is too old or too new",
}


class PyHankoPdfVerifier:
    """Verifies PDFs against the installation's trust anchors or against the caller's own.

    The trust anchor files are read at each verification until a read succeeds, and kept
    from then on: a development root created after start-up counts.
    """

    def __init__(self, trust_anchor_files: Iterable[Path], sandbox: PdfSandbox | None = None) -> None:
        self._trust_anchor_files = tuple(trust_anchor_files)
        self._sandbox = sandbox or PdfSandbox(PdfLimits())
        self._trust_anchors: list[asn1_x509.Certificate] | None = None
        # pyHanko logs every finding (an expired certificate, no document timestamp) as a
        # warning with a traceback; they are the report's content, not operational events.
        for name in _CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)

    async def verify(
        self, pdf: bytes, *, trust_roots: list[bytes] | None, validation_time: datetime | None
    ) -> VerificationReport:
        # The caller's roots are anyone's bytes too: they are read in the sandbox with the PDF.
        roots = trust_roots if trust_roots is not None else [root.dump() for root in self._installation_roots()]
        at = validation_time or datetime.now(UTC)
        # Anyone's PDF, read by a CPU-bound parser: in the sandbox, with its time and memory limits.
        return await self._sandbox.run(verify_pdf, pdf, roots, at, self._sandbox.limits)

    def _installation_roots(self) -> list[asn1_x509.Certificate]:
        if self._trust_anchors is None:
            try:
                anchors = load_trust_anchors(self._trust_anchor_files)
            except TrustAnchorError as error:
                raise TrustAnchorError(
                    f"{error}; configure the installation's trust anchors, or give the verification roots of its own"
                ) from error
            self._trust_anchors = [asn1_certificate(anchor) for anchor in anchors]
        return self._trust_anchors



def _trust_roots(trust_roots: list[bytes]) -> list[asn1_x509.Certificate]:
    roots = []
    for data in trust_roots:
        try:
            roots.extend(_certificates(data))
        except ValueError as error:
            raise InvalidTrustRoot(f"a trust root is not a PEM or DER X.509 certificate: {error}") from error
    if len(roots) > MAX_TRUST_ROOTS:
        raise InvalidTrustRoot(f"at most {MAX_TRUST_ROOTS} trust roots are taken; these hold {len(roots)}")
    return roots


def _certificates(data: bytes) -> list[asn1_x509.Certificate]:
    try:
        certificates = list(load_certs_from_pemder_data(data))
        for certificate in certificates:
            certificate.native  # noqa: B018 - asn1crypto parses lazily; this makes it parse now
    except Exception as error:  # asn1crypto raises ValueError, TypeError and others on garbage
        raise ValueError(reason(error)) from error
    if not certificates:
        raise ValueError("it holds no certificate")
    return certificates


# -- the work, in the sandbox's child process -----------------------------------------------


def verify_pdf(pdf: bytes, trust_roots: list[bytes], at: datetime, limits: PdfLimits) -> VerificationReport:
    """The report on `pdf` against the roots (PEM or DER certificates) at `at`; what the sandbox runs."""
    return asyncio.run(_verify(pdf, _trust_roots(trust_roots), at, limits))


async def _verify(pdf: bytes, roots: list[asn1_x509.Certificate], at: datetime, limits: PdfLimits) -> VerificationReport:
    reader = _open(pdf, limits)
    try:
        signatures = reader.embedded_signatures
    except Exception as error:  # a broken form tree is a damaged file
        raise refusal_for(error) from error
    verification = _Verification(roots=roots, at=at, dss=_dss(reader))
    reports = [await verification.report(signature) for signature in signatures]
    return VerificationReport(sha256=hashlib.sha256(pdf).hexdigest(), validation_time=at, signatures=tuple(reports))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Verification:
    roots: list[asn1_x509.Certificate]
    at: datetime
    dss: DocumentSecurityStore | None

    @property
    def has_revocation_data(self) -> bool:
        return self.dss is not None and bool(self.dss.crls or self.dss.ocsps)

    async def report(self, signature: EmbeddedPdfSignature) -> SignatureReport:
        # pyHanko's validation runs the integrity checks (digest, coverage, difference
        # analysis) itself, so an error in them lands here too.
        try:
            if signature.sig_object_type == "/DocTimeStamp":
                return await self._document_timestamp(signature)
            return await self._signature(signature)
        except Exception as error:  # one unreadable signature must not hide the others
            return _unreadable(signature, error)

    # -- signatures -------------------------------------------------------------------

    async def _signature(self, signature: EmbeddedPdfSignature) -> SignatureReport:
        result = await self._ades(signature, RevocationCheckingRule.CHECK_IF_DECLARED)
        if _is_revoked(result):
            revocation = RevocationStatus.REVOKED
        elif _names_revocation_service(signature):
            if _trusted(result):
                revocation = RevocationStatus.GOOD
            else:
                # No embedded answer from a service the certificates name: see whether the
                # signature stands without it, and say that its revocation status is unknown.
                revocation = RevocationStatus.UNKNOWN
                result = await self._ades(signature, RevocationCheckingRule.CHECK_IF_DECLARED_SOFT)
                if _is_revoked(result):
                    revocation = RevocationStatus.REVOKED
        elif self.has_revocation_data:
            # pyHanko checks embedded CRLs only for certificates that name a distribution
            # point; a chain that names none may still be covered by the DSS's lists.
            covered = await self._ades(signature, RevocationCheckingRule.CRL_OR_OCSP_REQUIRED)
            if _is_revoked(covered):
                revocation, result = RevocationStatus.REVOKED, covered
            else:
                revocation = RevocationStatus.GOOD if _trusted(covered) else RevocationStatus.NOT_CHECKED
        else:
            revocation = RevocationStatus.NOT_CHECKED

        status = result.api_status
        if status is None:  # pyHanko could not even build a status: the CMS is unusable
            raise ValueError(result.failure_msg or "the signature cannot be read")
        trusted = _trusted(result) and revocation is not RevocationStatus.REVOKED
        timestamp = _timestamp_report(status.timestamp_validity, passed=_passed(result))
        modifications = _modifications(status.modification_level)
        problems = _signature_problems(status, result, trusted, revocation, timestamp)
        valid = not problems
        return SignatureReport(
            **_signed_by(signature),
            kind=SignatureKind.SIGNATURE,
            claimed_signing_time=status.signer_reported_dt or signature.self_reported_timestamp,
            timestamp=timestamp,
            intact=status.intact,
            trusted=trusted,
            revocation=revocation,
            pades_level=self._pades_level(status, result, valid, timestamp, revocation),
            coverage=_COVERAGE.get(status.coverage, Coverage.UNCLEAR),
            modifications_after=modifications,
            modifications_permitted=status.docmdp_ok,
            ades_indication=result.ades_subindic.status.name,
            ades_subindication=None if result.ades_subindic is AdESPassed.OK else result.ades_subindic.standard_name,
            valid=valid,
            problems=tuple(problems),
        )

    async def _ades(self, signature: EmbeddedPdfSignature, rule: RevocationCheckingRule) -> AdESLTAValidationResult:
        revocation = RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule)
        spec = PdfSignatureValidationSpec(
            SignatureValidationSpec(
                cert_validation_policy=CertValidationPolicySpec(
                    trust_manager=SimpleTrustManager.build(trust_roots=self.roots),
                    revinfo_policy=CertRevTrustPolicy(revocation),
                ),
                revinfo_gathering_policy=_OFFLINE,
            ),
            diff_policy=DEFAULT_DIFF_POLICY,
        )
        timing = ValidationTimingInfo(validation_time=self.at, best_signature_time=self.at, point_in_time_validation=True)
        return await ades_lta_validation(signature, spec, timing_info=timing)

    def _pades_level(
        self,
        status: PdfSignatureStatus,
        result: AdESLTAValidationResult,
        valid: bool,
        timestamp: TimestampReport | None,
        revocation: RevocationStatus,
    ) -> str | None:
        """The highest PAdES baseline level the signature reaches, as far as pyHanko's findings tell.

        B-B: intact, sound and trusted. B-T: and a signature timestamp that verifies. B-LT: and
        the document keeps validation data (a DSS) that let it verify offline, revocation
        included where its certificates name a service. B-LTA: and a document timestamp that
        pyHanko validated covers it.
        """
        if not (status.intact and status.valid and valid):
            return None
        if timestamp is None or timestamp.status is not TimestampStatus.VALID:
            return "B-B"
        if not (self.dss is not None and revocation in (RevocationStatus.GOOD, RevocationStatus.NOT_CHECKED)):
            return "B-T"
        if result.oldest_evidence_record_timestamp is None:
            return "B-LT"
        return "B-LTA"

    # -- document timestamps ------------------------------------------------------------

    async def _document_timestamp(self, signature: EmbeddedPdfSignature) -> SignatureReport:
        status: DocumentTimestampStatus = await async_validate_pdf_timestamp(
            signature, validation_context=self._validation_context(), diff_policy=DEFAULT_DIFF_POLICY
        )
        # The classic checks, told in the AdES vocabulary the signatures are reported in.
        problems = []
        indication: AdESSubIndic
        if not status.intact:
            indication = AdESFailure.HASH_FAILURE
            problems.append("the bytes it stamps were changed afterwards (the digest does not match)")
        elif not status.valid:
            indication = AdESFailure.SIG_CRYPTO_FAILURE
            problems.append("its cryptographic signature does not verify")
        elif not status.trusted:
            indication = status.trust_problem_indic or AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND
            problems.append("its time-stamping authority is not trusted: " + _untrusted_reason(status.trust_problem_indic))
        else:
            indication = AdESPassed.OK
        if status.docmdp_ok is False:
            problems.append(f"the document was changed after it in a way it does not permit ({_modifications(status.modification_level).value})")
        return SignatureReport(
            **_signed_by(signature),
            kind=SignatureKind.DOCUMENT_TIMESTAMP,
            claimed_signing_time=None,
            timestamp=_timestamp_report(status, passed=False),
            intact=status.intact,
            trusted=status.trusted,
            revocation=RevocationStatus.REVOKED if status.revoked else (
                RevocationStatus.UNKNOWN if _names_revocation_service(signature) else RevocationStatus.NOT_CHECKED
            ),
            pades_level=None,
            coverage=_COVERAGE.get(status.coverage, Coverage.UNCLEAR),
            modifications_after=_modifications(status.modification_level),
            modifications_permitted=status.docmdp_ok,
            ades_indication=indication.status.name,
            ades_subindication=None if indication is AdESPassed.OK else indication.standard_name,
            valid=not problems,
            problems=tuple(problems),
        )

    def _validation_context(self) -> ValidationContext:
        """A classic context for document timestamps: the DSS's data, soft revocation checks, no fetching."""
        settings = {"trust_roots": self.roots, "allow_fetching": False, "moment": self.at, "revocation_mode": "soft-fail"}
        return self.dss.as_validation_context(settings) if self.dss is not None else ValidationContext(**settings)


_OFFLINE = RevocationInfoGatheringSpec(
    online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY,
    certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
)


def _passed(result: AdESLTAValidationResult) -> bool:
    return result.ades_subindic is AdESPassed.OK


def _trusted(result: AdESLTAValidationResult) -> bool:
    """Trusted at the validation time, or proven by AdES long-term validation to have been when it was made.

    pyHanko's AdES engine reports INDETERMINATE for a signature without a signature
    timestamp (it expects one), while its status of the signature at the validation time
    is complete: both are read.
    """
    if _passed(result):
        return True
    return result.api_status is not None and result.api_status.trusted and result.ades_subindic.status is not AdESStatus.FAILED


def _is_revoked(result: AdESLTAValidationResult) -> bool:
    return result.ades_subindic in _REVOKED or (result.api_status is not None and result.api_status.revoked)


def _names_revocation_service(signature: EmbeddedPdfSignature) -> bool:
    """Whether the signer's certificate or any CA certificate sent with it names a CRL or OCSP service."""
    certificates = [signature.signer_cert, *signature.other_embedded_certs]
    return any(cert.crl_distribution_points or cert.ocsp_urls for cert in certificates)


def _signature_problems(
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
        problems.append("its certificate is not trusted: " + _untrusted_reason(status.trust_problem_indic or result.ades_subindic))
    if timestamp is not None and timestamp.status is not TimestampStatus.VALID:
        problems.append(f"its timestamp is {timestamp.status.value}")
    if status.docmdp_ok is False:
        problems.append(
            "the document was changed after it in a way it does not permit "
            f"({_modifications(status.modification_level).value})"
        )
    if status.seed_value_constraint_error is not None:
        problems.append(f"it breaks its field's constraints: {status.seed_value_constraint_error.failure_message}")
    if result.ades_subindic.status is AdESStatus.FAILED and not problems:
        problems.append(f"AdES validation failed ({result.ades_subindic.standard_name}): {result.failure_msg or ''}".rstrip(": "))
    return problems


def _untrusted_reason(indication: AdESSubIndic | None) -> str:
    if indication is None:
        return "its certificate chain does not validate"
    return _UNTRUSTED_BECAUSE.get(indication, f"AdES indication {indication.standard_name}")


def _timestamp_report(status: TimestampSignatureStatus | None, *, passed: bool) -> TimestampReport | None:
    if status is None:
        return None
    if not (status.intact and status.valid):
        verdict = TimestampStatus.INVALID
    elif status.trusted or passed:
        verdict = TimestampStatus.VALID
    else:
        verdict = TimestampStatus.UNTRUSTED
    return TimestampReport(time=status.timestamp, status=verdict, authority=_signer(status.signing_cert)[0])


def _modifications(level: ModificationLevel | None) -> Modifications:
    return Modifications.UNKNOWN if level is None else _MODIFICATIONS.get(level, Modifications.OTHER)


def _signed_by(signature: EmbeddedPdfSignature) -> dict[str, Any]:
    """Which field, whose certificate: what every report of a signature or time stamp starts with."""
    name, email = _signer(signature.signer_cert)
    return {
        "field_name": str(signature.field_name), "signer_name": name, "signer_email": email,
        "certificate_serial": format(signature.signer_cert.serial_number, "x"),
    }


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
    common_name = subject.get("common_name")
    if isinstance(common_name, list):
        common_name = common_name[0]
    return common_name, email


def _open(pdf: bytes, limits: PdfLimits) -> PdfFileReader:
    """A reader over a document read through within `limits`, as an upload is (active content
    aside: it runs nothing here, and a verification reports, it does not refuse)."""
    reader = open_bounded(pdf, limits)
    if "/Encrypt" in reader.trailer and not _opens_without_password(reader):
        raise InvalidDocument("the PDF is encrypted with a password; its signatures cannot be read without it")
    read_document(reader, limits)
    return reader


def _opens_without_password(reader: PdfFileReader) -> bool:
    try:
        return reader.decrypt(b"").status is not AuthStatus.FAILED
    except Exception:  # noqa: BLE001 - public-key encryption, or a broken encryption dictionary
        return False


def _dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except Exception as error:  # a DSS that cannot be read is a damaged file
        raise InvalidDocument(f"the PDF's validation data (DSS) cannot be read: {reason(error)}") from error


def _unreadable(signature: EmbeddedPdfSignature, error: Exception) -> SignatureReport:
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


