"""What a recipient sees through their signing link: the envelope, its documents, their fields."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.shared.loading import require_document, require_open_link
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.signer import Signer


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningSession:
    envelope: Envelope
    signer: Signer
    documents: list[Document]

    @property
    def can_act(self) -> bool:
        return self.envelope.status is EnvelopeStatus.SENT and self.signer.is_active


class SigningSessions:
    """Opening a link records the recipient's first view in the audit chain."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def open(self, token: str) -> SigningSession:
        return await retry_on_conflict(lambda: self._open(token))

    async def _open(self, token: str) -> SigningSession:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            envelope.view(signer_id=link.signer_id, now=now, actor=f"signer:{link.signer_id}")
            if envelope.events:
                await uow.envelopes.save(envelope)
                await uow.commit()
            documents = await uow.documents.for_envelope(link.tenant_id, link.envelope_id)
        return SigningSession(envelope=envelope, signer=envelope.signer(link.signer_id), documents=documents)

    async def document_content(self, token: str, document_id: str) -> tuple[Document, bytes]:
        async with self._uow() as uow:
            _, envelope = await require_open_link(uow, token, self._clock.now())
            document = await require_document(uow, envelope, document_id)
            return document, await uow.blobs.get(document.current.blob_key)
