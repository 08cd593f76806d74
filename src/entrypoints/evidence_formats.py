"""The evidence package's JSON in the API's wire forms: the audit trail as GET /v1/envelopes/{id}/audit answers
it, each verification report as POST /v1/verify does (one encoder for the API, the CLI and the package)."""

from __future__ import annotations

import msgspec

from undersign.application.envelopes.queries import AuditTrail
from undersign.application.evidence.verification import VerificationReport
from undersign.domain.audit import AuditEntry
from undersign.entrypoints.http.schemas import audit_trail_out
from undersign.entrypoints.verification_report import verification_report_out


class ApiEvidenceFormats:
    def audit_trail(self, envelope_id: str, entries: list[AuditEntry], chain_valid: bool) -> bytes:
        return msgspec.json.encode(audit_trail_out(envelope_id, AuditTrail(entries=entries, chain_valid=chain_valid)))

    def verification_report(self, report: VerificationReport) -> bytes:
        return msgspec.json.encode(verification_report_out(report))
