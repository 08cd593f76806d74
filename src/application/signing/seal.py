"""The platform's seal on a completed envelope's documents: a background job, not part of the last signature.

Idempotent: a document that already carries the seal is left as it is, so a job that runs
again (after a crash, or queued twice) seals nothing twice. The envelope is held while
sealing, so two runners of the same job take turns, and the second finds the work done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.jobs import Job, JobLane, JobPayload
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.pdf import PdfSigner
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import revision_file, store_revision_file
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.document import DocumentStatus, RevisionKind
from undersign.domain.envelope import EnvelopeStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class SealEnvelopeJob(JobPayload):
    name: ClassVar[str] = "seal_envelope"
    lane: ClassVar[JobLane] = JobLane.URGENT
    tenant_id: str
    envelope_id: str


def seal_job(tenant_id: str, envelope_id: str) -> Job:
    """The envelope's one seal job: queued under the same id by whoever queues it first (the last
    signature, the dispatcher), it runs once."""
    return SealEnvelopeJob(tenant_id=tenant_id, envelope_id=envelope_id).job(f"seal:{envelope_id}")


class SealEnvelopeHandler:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, pdf: PdfSigner, *, turns: EnvelopeTurns
    ) -> None:
        self._uow, self._clock, self._ids, self._pdf, self._turns = uow, clock, ids, pdf, turns

    async def __call__(self, job: SealEnvelopeJob) -> None:
        await retry_on_conflict(lambda: self._seal(job.tenant_id, job.envelope_id))

    async def _seal(self, tenant_id: str, envelope_id: str) -> None:
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            if envelope.status is not EnvelopeStatus.COMPLETED:
                return
            documents = await uow.documents.for_envelope(tenant_id, envelope_id)
            unsealed = [d for d in documents if d.status is DocumentStatus.ACTIVE]
            if not unsealed:
                return
            level = envelope.signature_level
            for document in unsealed:
                async with revision_file(uow.blobs, document.current) as source, uow.blobs.scratch_file() as sealed:
                    await self._pdf.seal(source, sealed, level)
                    now = self._clock.now()
                    revision = await store_revision_file(uow, self._ids, document, sealed, kind=RevisionKind.SEALED, now=now)
                envelope.record_document_sealed(document_id=document.id, sha256=revision.sha256, now=now, actor="system")
            # Written only once every seal is made: on SQLite the first write takes the
            # database's write lock, which a seal (time stamps, revocation data) must not hold.
            for document in unsealed:
                await uow.documents.save(document)
            envelope.record_sealed(now=self._clock.now(), actor="system")
            await uow.envelopes.save(envelope)
            await uow.commit()
