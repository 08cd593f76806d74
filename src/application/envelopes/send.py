"""Send a draft: freeze it, prepare its documents' form fields, and notify the first recipients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.pdf import PdfSigner
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import revision_file, store_revision_file
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.domain.document import Document, RevisionKind
from undersign.domain.envelope import Envelope
from undersign.domain.errors import InvalidState
from undersign.domain.field import Field


@dataclass(frozen=True, slots=True, kw_only=True)
class SendEnvelope:
    caller: Caller
    envelope_id: str
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class SendEnvelopeHandler:
    """The current version of the envelope's policy (the one chosen for the draft, else the tenant's
    default) is copied into the envelope: later revisions of the policy do not touch it."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, pdf: PdfSigner) -> None:
        self._uow, self._clock, self._ids, self._pdf = uow, clock, ids, pdf

    async def __call__(self, command: SendEnvelope) -> tuple[Envelope, list[Document]]:
        """The envelope as sent, and its documents (those with fields now at their prepared revision)."""
        command.caller.require(Permission.WRITE_ENVELOPES)
        async with self._uow() as uow:
            envelope = await require_visible_envelope(
                uow, command.caller, command.envelope_id, expected_version=command.expected_version
            )
            if envelope.policy_id is not None:
                policy = await uow.policies.get(envelope.tenant_id, envelope.policy_id)
            else:
                policy = await uow.policies.default_for(envelope.tenant_id)
            if policy is None:
                raise InvalidState("this tenant has no signing policy")
            now = self._clock.now()
            envelope.send(policy=policy, now=now, actor=command.caller.actor)
            documents = await uow.documents.for_envelope(envelope.tenant_id, envelope.id)
            for document in documents:
                fields = [f for f in envelope.fields if f.document_id == document.id]
                if fields:
                    await self._prepare(uow, document, fields, now)
            await uow.envelopes.save(envelope)
            await uow.commit()
        return envelope, documents

    async def _prepare(self, uow: UnitOfWork, document: Document, fields: list[Field], now: datetime) -> None:
        """A new revision with an empty form field per placed field, from file to file."""
        async with revision_file(uow.blobs, document.current) as original, uow.blobs.scratch_file() as prepared:
            await self._pdf.prepare(original, prepared, fields)
            await store_revision_file(uow, self._ids, document, prepared, kind=RevisionKind.PREPARED, now=now)
        await uow.documents.save(document)
