"""Upload a PDF into a draft envelope."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.pdf import PdfInspector
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import blob_key, sha256_hex
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.document import Document, document_name
from undersign.domain.envelope import Envelope


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDocument:
    caller: Caller
    envelope_id: str
    filename: str
    content: bytes
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class AddDocumentHandler:
    """Checks the PDF before anything is stored, so a bad upload leaves no trace."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, inspector: PdfInspector) -> None:
        self._uow, self._clock, self._ids, self._inspector = uow, clock, ids, inspector

    async def __call__(self, command: AddDocument) -> Document:
        command.caller.require(Permission.WRITE_ENVELOPES)
        tenant_id, filename = command.caller.tenant_id, document_name(command.filename)
        # Checked first, in a unit of work of its own: reading the PDF may take seconds (and wait
        # for a free reader), and no database connection is held meanwhile.
        async with self._uow() as uow:
            await self._addable(uow, command, filename)
        info = await self._inspector.inspect(command.content)

        async def store(uow: UnitOfWork) -> Document:
            envelope = await self._addable(uow, command, filename)
            document_id, now = self._ids.new_id(), self._clock.now()
            envelope.add_document(document_id=document_id, filename=filename, now=now, actor=command.caller.actor)
            key = blob_key(tenant_id, document_id, 1, self._ids.new_id())
            document = Document.upload(
                document_id=document_id, tenant_id=tenant_id, envelope_id=envelope.id,
                filename=filename, pages=info.pages, blob_key=key,
                sha256=sha256_hex(command.content), size=len(command.content), now=now,
            )
            await uow.blobs.put(key, command.content)  # taken back if this attempt does not commit
            await uow.documents.add(document)
            await uow.envelopes.save(envelope)
            await uow.commit()
            return document

        # Another writer (or SQLite's single write lock) may get there first: tried again from fresh state.
        return await in_fresh_unit_of_work(self._uow, store)

    @staticmethod
    async def _addable(uow: UnitOfWork, command: AddDocument, filename: str) -> Envelope:
        """The envelope, if a document may be added to it now (a draft with room, at the expected version)."""
        envelope = await require_visible_envelope(
            uow, command.caller, command.envelope_id, expected_version=command.expected_version
        )
        envelope.check_can_add_document()
        return envelope
