"""REST v1: uploading a document into a draft envelope (multipart, up to UNDERSIGN_MAX_UPLOAD_MB).

A room of its own because its body limit is the upload limit, where every other route takes
a small JSON body (see app.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from litestar import Controller, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody

from undersign.application.access.permissions import Caller, Permission
from undersign.application.envelopes.documents import AddDocument, AddDocumentHandler
from undersign.domain.document import DEFAULT_FILENAME
from undersign.entrypoints.http.downloads import CHUNK_BYTES
from undersign.entrypoints.http.etags import IfMatch, expected_version
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT
from undersign.entrypoints.http.schemas import DocumentOut, document_out


@dataclass
class DocumentUpload:
    """The multipart form of a document upload: one part named `file`."""

    file: UploadFile


async def chunks_of(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded part a chunk at a time: Litestar spooled it to a temporary file as it arrived."""
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


class DocumentsController(Controller):
    path = "/v1/envelopes/{envelope_id:str}/documents"
    tags = ["envelopes"]

    @post("/", status_code=201, **requires(Permission.WRITE_ENVELOPES), **IDEMPOTENT)
    async def add_document(
        self,
        envelope_id: FromPath[str],
        data: MultipartBody[DocumentUpload],
        caller: NamedDependency[Caller],
        add_document: NamedDependency[AddDocumentHandler],
        if_match: IfMatch = None,
    ) -> DocumentOut:
        """Add a PDF to a draft envelope (multipart, the part named `file`); it is checked before it is kept."""
        filename = data.file.filename or DEFAULT_FILENAME
        document = await add_document(
            AddDocument(
                caller=caller, envelope_id=envelope_id, filename=filename, content=chunks_of(data.file),
                expected_version=expected_version(if_match, envelope_id),
            )
        )
        return document_out(document)
