"""What a recipient sees through their signing link: the envelope, its documents, their fields.

Until the recipient has passed the authentication their link asks for (signer_authentication),
they see the envelope's subject and the step to pass, nothing of its documents or fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.idempotency import KeyOwner
from undersign.application.shared.loading import require_document, require_link_and_envelope, require_open_link
from undersign.application.shared.ports import Clock
from undersign.application.shared.stored_files import StoredFile, document_file
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.application.signing.signer_authentication import (
    AuthenticationState,
    SignerPass,
    require_passed,
    state_of,
)
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.signer import Signer
from undersign.domain.signing_link import SigningLink


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningSession:
    envelope: Envelope
    signer: Signer
    documents: list[Document]  # empty until the recipient passed their authentication
    authentication: AuthenticationState
    embedded: bool = False  # the sender's application frames this link and authenticated the recipient itself
    sender_name: str = ""  # who asks: the tenant's display name (opened sessions only: the signing page shows it)

    @classmethod
    def through(
        cls, link: SigningLink, envelope: Envelope, documents: list[Document], authentication: AuthenticationState,
        *, sender_name: str = "",
    ) -> SigningSession:
        """What `link`'s recipient sees of `envelope`: opened, or answered after they signed or declined."""
        return cls(
            envelope=envelope, signer=envelope.signer(link.signer_id), documents=documents,
            authentication=authentication, embedded=link.embedded_by is not None, sender_name=sender_name,
        )

    @property
    def can_act(self) -> bool:
        return self.authentication.passed and self.envelope.status is EnvelopeStatus.SENT and self.signer.is_active


class SigningSessions:
    """Opening a link records the recipient's first view in the audit chain (once they are let in)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def open(self, token: str, signer_pass: SignerPass | None = None) -> SigningSession:
        return await retry_on_conflict(lambda: self._open(token, signer_pass))

    async def _open(self, token: str, signer_pass: SignerPass | None) -> SigningSession:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            authentication = state_of(envelope, link, signer_pass, now)
            documents: list[Document] = []
            if authentication.passed:
                envelope.view(signer_id=link.signer_id, now=now, actor=f"signer:{link.signer_id}")
                if envelope.events:
                    await uow.envelopes.save(envelope)
                    await uow.commit()
                documents = await uow.documents.for_envelope(link.tenant_id, link.envelope_id)
            tenant = await uow.tenants.get(link.tenant_id)
        return SigningSession.through(
            link, envelope, documents, authentication, sender_name=tenant.display_name if tenant else ""
        )

    async def key_owner(self, token: str, signer_pass: SignerPass | None) -> KeyOwner:
        """Whose idempotency keys a recipient's act is kept under: their link's, once they passed what it asks.

        Checked before a stored answer is replayed, as the act itself would be: only the link's
        recipient, authenticated, gets one. Closed envelopes included: a decline's answer is replayed
        after it closed the envelope.
        """
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_link_and_envelope(uow, token, now)
            require_passed(envelope, link, signer_pass, now)
        return KeyOwner(tenant_id=link.tenant_id, credential_id=f"link:{link.id}")

    async def document_content(
        self, token: str, document_id: str, signer_pass: SignerPass | None = None
    ) -> StoredFile:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, token, now)
            require_passed(envelope, link, signer_pass, now)
            document = await require_document(uow, envelope, document_id)
            envelope.require_documents()  # ContentPurged once retention purged them
            return document_file(uow.blobs, document)
