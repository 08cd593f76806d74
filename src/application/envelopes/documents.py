"""Upload a PDF into a draft envelope: streamed to a local file, checked, then stored once."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.pdf import PdfInspector
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import blob_key
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.application.shared.write_conflicts import in_fresh_unit_of_work
from undersign.domain.document import Document, document_name
from undersign.domain.envelope import Envelope


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDocument:
    caller: Caller
    envelope_id: str
    filename: str
    content: bytes | AsyncIterable[bytes]  # the PDF, or its bytes as they arrive (an upload)
    expected_version: int | None = None  # the version the caller last read (If-Match); None: no check


class AddDocumentHandler:
    """The upload goes to a local scratch file as it arrives, is checked there, and only then is
    stored, once (its SHA-256 taken on the way in): a bad upload leaves no trace, and a large one
    never sits whole in memory."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, inspector: PdfInspector) -> None:
        self._uow, self._clock, self._ids, self._inspector = uow, clock, ids, inspector

    async def __call__(self, command: AddDocument) -> Document:
        command.caller.require(Permission.WRITE_ENVELOPES)
        tenant_id, filename = command.caller.tenant_id, document_name(command.filename)
        # Checked first, in a unit of work of its own: reading the PDF may take seconds (and wait
        # for a free reader), and no database connection is held meanwhile.
        async with self._uow() as uow:
            await self._addable(uow, command, filename)
            blobs = uow.blobs
        async with blobs.scratch_file(command.content) as upload:  # written as it arrives
            info = await self._inspector.inspect(upload)
            document_id = self._ids.new_id()
            key = blob_key(tenant_id, document_id, 1, self._ids.new_id())
            stored = await blobs.put_file(key, upload)  # once; the record below may take several tries

        async def record(uow: UnitOfWork) -> Document:
            envelope = await self._addable(uow, command, filename)
            now = self._clock.now()
            envelope.add_document(document_id=document_id, filename=filename, now=now, actor=command.caller.actor)
            document = Document.upload(
                document_id=document_id, tenant_id=tenant_id, envelope_id=envelope.id,
                filename=filename, pages=info.pages, blob_key=key,
                sha256=stored.sha256, size=stored.size, now=now,
            )
            await uow.documents.add(document)
            await uow.envelopes.save(envelope)
            await uow.commit()
            return document

        try:
            # Another writer (or SQLite's single write lock) may get there first: tried again from fresh state.
            return await in_fresh_unit_of_work(self._uow, record)
        except BaseException:
            await blobs.delete(key)  # no record names it: it goes
            raise

    @staticmethod
    async def _addable(uow: UnitOfWork, command: AddDocument, filename: str) -> Envelope:
        """The envelope, if a document may be added to it now (a draft with room, at the expected version)."""
        envelope = await require_visible_envelope(
            uow, command.caller, command.envelope_id, expected_version=command.expected_version
        )
        envelope.check_can_add_document()
        return envelope

