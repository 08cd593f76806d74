"""The certificate of completion made once and stored: every download serves the same bytes.

It is made by a job when the envelope is sealed (EnvelopeSealed sets it off), from the
record as it stands then: the audit trail it shows ends with the seal. The event that
records its making (CompletionCertificateMade, with the bytes' SHA-256) comes after, in
the same chain: a certificate cannot contain its own hash. The job is routine work (the
seal goes first): a download that comes before it ran, or for an envelope sealed before
certificates were stored, makes the certificate then, the same way.

Made at most once: the making writes the envelope under its version, so of two makers
(the job running twice, two first downloads at once) one stores its certificate and the
other, on its retry, finds it made and serves that one; the loser's blob goes with its
rolled-back unit of work. In one process, makers of the same envelope also wait for each
other: the first download often comes as the job starts, and both would render and seal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.evidence.completion_certificate import (
    CompletionCertificateRenderer,
    completion_certificate,
)
from undersign.application.shared.envelope_turns import EnvelopeLocks
from undersign.application.shared.jobs import JobPayload
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.pdf import PdfSigner
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.stored_files import StoredFile
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.completion_certificate import StoredCertificate
from undersign.domain.document import Document, DocumentStatus
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import InvalidState


@dataclass(frozen=True, slots=True, kw_only=True)
class MakeCompletionCertificateJob(JobPayload):
    name: ClassVar[str] = "make_completion_certificate"
    tenant_id: str
    envelope_id: str


def certificate_key(tenant_id: str, envelope_id: str, unique: str) -> str:
    """From ids only: nothing a sender or a recipient typed goes into a storage key."""
    return f"{tenant_id}/envelopes/{envelope_id}/certificate-of-completion-{unique}.pdf"


def _why_not_ready(envelope: Envelope, documents: list[Document]) -> str | None:
    """Why the envelope, with its `documents`, has no certificate of completion yet; None when it can have one."""
    if envelope.status is not EnvelopeStatus.COMPLETED:
        return (
            f"envelope {envelope.id} is {envelope.status.value}: its certificate of completion "
            "exists once every recipient has acted and it is completed"
        )
    if any(d.status is DocumentStatus.ACTIVE for d in documents):
        # The certificate names the final documents: those the seal, a job right after completion, makes.
        return f"envelope {envelope.id} is being sealed: ask for its certificate again in a moment"
    return None


class CompletionCertificateMaker:
    """Makes an envelope's certificate of completion once, seals it, stores it, and records its SHA-256."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, renderer: CompletionCertificateRenderer,
        pdf: PdfSigner,
    ) -> None:
        self._uow, self._clock, self._ids, self._renderer, self._pdf = uow, clock, ids, renderer, pdf
        # Not the envelope's turn: that holds its row, which rendering and sealing must not.
        self._making = EnvelopeLocks()

    async def __call__(self, job: MakeCompletionCertificateJob) -> None:
        """The job: nothing to do for an envelope that is not sealed, or whose certificate is made."""
        await self._once(job.tenant_id, job.envelope_id, unready_raises=False)

    async def made(self, tenant_id: str, envelope_id: str) -> StoredCertificate:
        """The envelope's certificate, made now if it was not; InvalidState until the envelope is sealed."""
        made = await self._once(tenant_id, envelope_id, unready_raises=True)
        assert made is not None
        return made

    async def _once(self, tenant_id: str, envelope_id: str, *, unready_raises: bool) -> StoredCertificate | None:
        """After any maker of the same envelope in this process: it has made it, or failed to."""
        async with self._making.hold(envelope_id):
            return await retry_on_conflict(lambda: self._make(tenant_id, envelope_id, unready_raises=unready_raises))

    async def _make(self, tenant_id: str, envelope_id: str, *, unready_raises: bool) -> StoredCertificate | None:
        async with self._uow() as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            if envelope.completion_certificate is not None:
                return envelope.completion_certificate
            if envelope.purge_started_at is not None:  # its documents are purged: nothing to make one from
                if unready_raises:
                    envelope.require_documents()
                return None
            documents = await uow.documents.for_envelope(tenant_id, envelope_id)
            if (why := _why_not_ready(envelope, documents)) is not None:
                if unready_raises:
                    raise InvalidState(why)
                return None
            entries = await uow.audit.entries(tenant_id, envelope_id)
        pdf = await self._renderer.render(completion_certificate(envelope, documents, entries))
        key = certificate_key(tenant_id, envelope_id, self._ids.new_id())
        async with self._uow() as uow:
            # Sealed before anything is written: a seal (time stamps) must not hold a write lock.
            async with uow.blobs.scratch_file(pdf) as rendered, uow.blobs.scratch_file() as sealed:
                await self._pdf.seal(rendered, sealed, envelope.signature_level)
                stored = await uow.blobs.put_file(key, sealed)
            made = StoredCertificate(blob_key=key, sha256=stored.sha256, size=stored.size, made_at=self._clock.now())
            envelope.record_completion_certificate(made, actor="system")
            # Saved under the version read above: if another maker stored one first, this
            # raises ConcurrencyConflict, the blob is deleted with the rollback, and the retry serves theirs.
            await uow.envelopes.save(envelope)
            await uow.commit()
        return made


class CompletionCertificates:
    """The certificate of completion as clients download it: the stored bytes, the same every time."""

    def __init__(self, uow: UnitOfWorkFactory, maker: CompletionCertificateMaker) -> None:
        self._uow, self._maker = uow, maker

    async def download(self, caller: Caller, envelope_id: str) -> StoredFile:
        """The sealed certificate, to stream: the same bytes, and SHA-256, at every download.

        InvalidState until the envelope is completed and sealed; ContentPurged once retention purged
        it (its SHA-256 stays in the audit trail). An envelope sealed before
        certificates were stored gets its certificate made now, once.
        """
        caller.require(Permission.READ_EVIDENCE)
        async with self._uow() as uow:
            envelope = await require_visible_envelope(uow, caller, envelope_id)
            envelope.require_documents()  # ContentPurged: the certificate's bytes went with the documents
            stored, blobs = envelope.completion_certificate, uow.blobs
            if stored is None:
                documents = await uow.documents.for_envelope(envelope.tenant_id, envelope.id)
                if (why := _why_not_ready(envelope, documents)) is not None:
                    raise InvalidState(why)
        if stored is None:
            stored = await self._maker.made(caller.tenant_id, envelope_id)
        return StoredFile(
            filename=f"certificate-of-completion-{envelope_id}.pdf", sha256=stored.sha256, size=stored.size,
            blob_key=stored.blob_key, blobs=blobs,
        )
