"""The certificate of completion of an envelope, as a sealed PDF, made when asked for.

Made on demand rather than stored at completion: it is a rendering of the record (the
envelope, its revisions, the audit chain), which stays the one source of truth, and its
content is the same at every request (the seal on it is new each time, so the bytes are
not). Only a completed envelope has one.
"""

from __future__ import annotations

from application.completion import completion_certificate
from application.access import Caller, Permission
from application.loading import require_envelope
from application.ports import CompletionCertificateRenderer, PdfSigner
from application.unit_of_work import UnitOfWorkFactory
from domain.document import DocumentStatus
from domain.envelope import EnvelopeStatus
from domain.errors import InvalidState


class CompletionCertificates:
    """A read-only use case: it never commits."""

    def __init__(self, uow: UnitOfWorkFactory, renderer: CompletionCertificateRenderer, pdf: PdfSigner) -> None:
        self._uow, self._renderer, self._pdf = uow, renderer, pdf

    async def sealed_pdf(self, caller: Caller, envelope_id: str) -> bytes:
        """The certificate, sealed with the platform's seal; InvalidState unless the envelope is completed."""
        caller.require(Permission.READ_ENVELOPES)
        async with self._uow() as uow:
            envelope = await require_envelope(uow, caller.tenant_id, envelope_id)
            if envelope.status is not EnvelopeStatus.COMPLETED:
                raise InvalidState(
                    f"envelope {envelope_id} is {envelope.status.value}: its certificate of completion "
                    "exists once every recipient has acted and it is completed"
                )
            documents = await uow.documents.for_envelope(caller.tenant_id, envelope_id)
            if any(d.status is DocumentStatus.ACTIVE for d in documents):
                # The certificate names the final documents: those the seal, a job right after completion, makes.
                raise InvalidState(f"envelope {envelope_id} is being sealed: ask for its certificate again in a moment")
            entries = await uow.audit.entries(caller.tenant_id, envelope_id)
        pdf = await self._renderer.render(completion_certificate(envelope, documents, entries))
        # Sealed at the level the envelope's documents were sealed at.
        return await self._pdf.seal(pdf, envelope.signature_level)
