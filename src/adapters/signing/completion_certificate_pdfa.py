"""The certificate of completion as PDF/A-3b, with the envelope's audit trail attached as JSON.

The attachment is the audit trail as its export gives it (GET /envelopes/{id}/audit: the
envelope id, every event with its data and hashes, whether the chain holds), so whoever
holds the certificate can check the hash chain the certificate shows in short. It is an
associated file of the whole document (/AF, /AFRelationship /Data: the data the audit
table shows).
"""

from __future__ import annotations

import msgspec
import structlog

from undersign.adapters.signing.pdfa import Attachment, PdfaConversionFailed, as_pdfa3, with_attachments
from undersign.application.evidence.completion_certificate import CompletionCertificate

log = structlog.get_logger("undersign.signing")


def certificate_as_pdfa3(pdf: bytes, certificate: CompletionCertificate) -> bytes:
    """The rendered certificate `pdf` as PDF/A-3b with `certificate`'s audit trail attached.

    If what was rendered cannot be PDF/A (a name in a script the certificate's font lacks
    shows as .notdef glyphs, which PDF/A forbids), the certificate is still given, with the
    audit trail attached but no PDF/A claim, and the reason is logged: a certificate that
    is not PDF/A serves its holder better than none.
    """
    attachment = Attachment(
        filename=f"audit-trail-{certificate.envelope_id}.json",
        data=audit_trail_json(certificate),
        mime_type="application/json",
        description=f"Audit trail of envelope {certificate.envelope_id}, hash-chained (SHA-256)",
        modified=certificate.completed_at or certificate.created_at,
    )
    try:
        return as_pdfa3(pdf, attachment=attachment)
    except PdfaConversionFailed as error:
        log.warning("certificate of completion is not PDF/A", envelope_id=certificate.envelope_id, reason=str(error))
        return with_attachments(pdf, (attachment,))


def audit_trail_json(certificate: CompletionCertificate) -> bytes:
    """The audit trail in the shape and encoding (msgspec JSON) of the HTTP export."""
    return msgspec.json.encode(
        {
            "envelope_id": certificate.envelope_id,
            "events": [
                {
                    "seq": e.seq, "type": e.type, "at": e.at, "actor": e.actor, "data": e.data,
                    "prev_hash": e.prev_hash, "hash": e.hash,
                }
                for e in certificate.audit_entries
            ],
            "chain_valid": certificate.chain_valid,
        }
    )  # fmt: skip
