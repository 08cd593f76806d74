"""A stored file handed out whole (a download): what it is, and how to open it.

Use cases return one instead of bytes, so the edge streams it from a local file (with byte
ranges) and no document is ever held whole in memory. Opening it checks the SHA-256 recorded
when it was stored, before the first byte is read.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from undersign.application.shared.ports import BlobStore
from undersign.domain.document import Document


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    filename: str
    sha256: str  # hex; also the download's ETag
    size: int
    blob_key: str
    blobs: BlobStore = field(repr=False, compare=False)
    media_type: str = "application/pdf"

    def open(self) -> AbstractAsyncContextManager[str]:
        """The file's local path for the block, checked first (KeyError if gone, BlobCorrupted if changed)."""
        return self.blobs.local_file(self.blob_key, self.sha256)


def document_file(blobs: BlobStore, document: Document) -> StoredFile:
    """The document as it stands: its current revision."""
    current = document.current
    return StoredFile(
        filename=document.filename, sha256=current.sha256, size=current.size, blob_key=current.blob_key, blobs=blobs
    )
