"""Each signature's report: pyHanko's validation (AdES, or a document timestamp's) run offline, read into ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed, AdESSubIndic
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.ades import AdESLTAValidationResult, ades_lta_validation
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_timestamp
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import DocumentTimestampStatus, PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager

from undersign.adapters.signing import verification_findings as findings
from undersign.application.evidence.verification import (
    Coverage,
    RevocationStatus,
    SignatureKind,
    SignatureReport,
    TimestampReport,
    TimestampStatus,
)


@dataclass(slots=True, kw_only=True)
class Verification:
    """One document's verification; `report` is called on each signature in the order they were added."""

    roots: list[asn1_x509.Certificate]
    at: datetime
    dss: DocumentSecurityStore | None
    # Set once a signature's long-term validation found the document time stamps after it to
    # hold as an evidence record: pyHanko then validated every document time stamp in the
    # file, at the validation time or, where that failed, in the past.
    _evidence_record_holds: bool = field(default=False, init=False, repr=False)

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
            return findings.unreadable(signature, error)

    # -- signatures -------------------------------------------------------------------

    async def _signature(self, signature: EmbeddedPdfSignature) -> SignatureReport:
        # pyHanko's standard AdES validation: revocation data required for every certificate,
        # from the document alone. Its indication is reported as it is; our own verdict may
        # differ by design (a missing revocation answer, for one), and the report says so.
        standard = await self._ades(signature, RevocationCheckingRule.CRL_OR_OCSP_REQUIRED)
        if standard.oldest_evidence_record_timestamp is not None:
            self._evidence_record_holds = True
        if findings.is_revoked(standard):
            revocation, result = RevocationStatus.REVOKED, standard
        elif findings.passed(standard):
            revocation, result = RevocationStatus.GOOD, standard
        else:
            revocation, result = await self._revocation_and_result(signature, standard)

        status = result.api_status
        if status is None:  # pyHanko could not even build a status: the CMS is unusable
            raise ValueError(result.failure_msg or "the signature cannot be read")
        trusted = findings.trusted(result) and revocation is not RevocationStatus.REVOKED
        timestamp = findings.timestamp_report(status.timestamp_validity, passed=findings.passed(result))
        modifications = findings.modifications(status.modification_level)
        problems = findings.signature_problems(status, result, trusted, revocation, timestamp)
        valid = not problems
        return SignatureReport(
            **findings.signed_by(signature),
            kind=SignatureKind.SIGNATURE,
            claimed_signing_time=status.signer_reported_dt or signature.self_reported_timestamp,
            timestamp=timestamp,
            intact=status.intact,
            trusted=trusted,
            revocation=revocation,
            pades_level=self._pades_level(status, result, valid, timestamp, revocation),
            coverage=findings.COVERAGE.get(status.coverage, Coverage.UNCLEAR),
            modifications_after=modifications,
            modifications_permitted=status.docmdp_ok,
            ades_indication=standard.ades_subindic.status.name,
            ades_subindication=None if standard.ades_subindic is AdESPassed.OK else standard.ades_subindic.standard_name,
            valid=valid,
            problems=tuple(problems),
        )

    async def _revocation_and_result(
        self, signature: EmbeddedPdfSignature, standard: AdESLTAValidationResult
    ) -> tuple[RevocationStatus, AdESLTAValidationResult]:
        """Where the standard validation did not pass: the revocation status, and the result our verdict reads."""
        result = await self._ades(signature, RevocationCheckingRule.CHECK_IF_DECLARED)
        if findings.is_revoked(result):
            return RevocationStatus.REVOKED, result
        if findings.names_revocation_service(signature):
            if findings.trusted(result):
                return RevocationStatus.GOOD, result
            # No embedded answer from a service the certificates name: see whether the
            # signature stands without it, and say that its revocation status is unknown.
            result = await self._ades(signature, RevocationCheckingRule.CHECK_IF_DECLARED_SOFT)
            return (RevocationStatus.REVOKED if findings.is_revoked(result) else RevocationStatus.UNKNOWN), result
        if self.has_revocation_data:
            # pyHanko checks embedded CRLs only for certificates that name a distribution
            # point; a chain that names none may still be covered by the DSS's lists (the
            # standard validation asked for exactly that).
            return (RevocationStatus.GOOD if findings.trusted(standard) else RevocationStatus.NOT_CHECKED), result
        return RevocationStatus.NOT_CHECKED, result

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
        # What ValidationTimingInfo.now() makes of a clock that reads `at` (see validation_clock):
        # pyHanko's standard validation, on a machine whose clock reads the validation time.
        timing = ValidationTimingInfo(validation_time=self.at, best_signature_time=self.at, point_in_time_validation=False)
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
        # A time stamp whose authority's certificate has ended by the validation time still
        # holds when a later one (an archive renewal) proves it: the evidence record a
        # signature's long-term validation checked. The rest are the classic checks, told in
        # the AdES vocabulary the signatures are reported in.
        proven = status.intact and status.valid and not status.revoked and self._evidence_record_holds
        trusted = status.trusted or proven
        problems = []
        indication: AdESSubIndic
        if not status.intact:
            indication = AdESFailure.HASH_FAILURE
            problems.append("the bytes it stamps were changed afterwards (the digest does not match)")
        elif not status.valid:
            indication = AdESFailure.SIG_CRYPTO_FAILURE
            problems.append("its cryptographic signature does not verify")
        elif not trusted:
            indication = status.trust_problem_indic or AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND
            problems.append("its time-stamping authority is not trusted: " + findings.untrusted_reason(status.trust_problem_indic))
        else:
            indication = AdESPassed.OK
        if status.docmdp_ok is False:
            problems.append(f"the document was changed after it in a way it does not permit ({findings.modifications(status.modification_level).value})")
        return SignatureReport(
            **findings.signed_by(signature),
            kind=SignatureKind.DOCUMENT_TIMESTAMP,
            claimed_signing_time=None,
            timestamp=findings.timestamp_report(status, passed=proven),
            intact=status.intact,
            trusted=trusted,
            revocation=RevocationStatus.REVOKED if status.revoked else (
                RevocationStatus.UNKNOWN if findings.names_revocation_service(signature) else RevocationStatus.NOT_CHECKED
            ),
            pades_level=None,
            coverage=findings.COVERAGE.get(status.coverage, Coverage.UNCLEAR),
            modifications_after=findings.modifications(status.modification_level),
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
