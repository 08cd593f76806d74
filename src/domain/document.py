"""Document: an uploaded PDF and every revision the platform made of it.

The original is never changed: preparing fields, each signature and the final seal
each add a revision (a PDF incremental update), so every earlier state stays provable.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from undersign.domain.errors import InvalidInput, InvalidState
from undersign.domain.field import PageSize
from undersign.domain.text import file_name

MAX_FILENAME_LENGTH = 255
DEFAULT_FILENAME = "document.pdf"


def document_name(uploaded: str) -> str:
    """An uploaded file's name as the platform keeps it: it comes from the sender's machine and
    goes into the audit trail, download headers and emails, so it is kept as plain printable
    text, whatever was sent (domain.text.file_name)."""
    return file_name(uploaded, max_length=MAX_FILENAME_LENGTH, default=DEFAULT_FILENAME)


class DocumentStatus(enum.StrEnum):
    ACTIVE = "active"
    SEALED = "sealed"
    ARCHIVED = "archived"
    PURGED = "purged"


class RevisionKind(enum.StrEnum):
    ORIGINAL = "original"
    PREPARED = "prepared"
    SIGNED = "signed"
    SEALED = "sealed"
    # A new document time stamp over a sealed document, before the last one's TSA
    # certificate expires (PAdES B-LTA archive renewal): the only change a seal permits.
    ARCHIVE_TIMESTAMP = "timestamped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    number: int
    kind: RevisionKind
    blob_key: str
    sha256: str
    size: int
    created_at: datetime
    signer_id: str | None = None


@dataclass(slots=True, kw_only=True)
class Document:
    id: str
    tenant_id: str
    envelope_id: str
    filename: str
    pages: list[PageSize]
    revisions: list[Revision]
    status: DocumentStatus = DocumentStatus.ACTIVE
    legal_hold: bool = False

    @classmethod
    def upload(
        cls,
        *,
        document_id: str,
        tenant_id: str,
        envelope_id: str,
        filename: str,
        pages: list[PageSize],
        blob_key: str,
        sha256: str,
        size: int,
        now: datetime,
    ) -> Document:
        filename = document_name(filename)
        if not pages:
            raise InvalidInput("the PDF has no pages")
        original = Revision(number=1, kind=RevisionKind.ORIGINAL, blob_key=blob_key, sha256=sha256, size=size, created_at=now)
        return cls(
            id=document_id, tenant_id=tenant_id, envelope_id=envelope_id,
            filename=filename, pages=pages, revisions=[original],
        )

    @property
    def original(self) -> Revision:
        return self.revisions[0]

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    def add_revision(
        self,
        *,
        kind: RevisionKind,
        blob_key: str,
        sha256: str,
        size: int,
        now: datetime,
        signer_id: str | None = None,
    ) -> Revision:
        if kind is RevisionKind.ARCHIVE_TIMESTAMP:
            if self.status is not DocumentStatus.SEALED:
                raise InvalidState(f"document {self.id} is {self.status.value}: only a sealed document takes archive time stamps")
        elif self.status is not DocumentStatus.ACTIVE:
            raise InvalidState(f"document {self.id} is {self.status.value}: it takes no more revisions")
        if kind is RevisionKind.ORIGINAL:
            raise InvalidState("a document has exactly one original")
        revision = Revision(
            number=self.current.number + 1, kind=kind, blob_key=blob_key,
            sha256=sha256, size=size, created_at=now, signer_id=signer_id,
        )
        self.revisions.append(revision)
        if kind is RevisionKind.SEALED:
            self.status = DocumentStatus.SEALED
        return revision

    def purge(self) -> None:
        """Its stored bytes are deleted: the record stays, with every revision's SHA-256 and size (idempotent)."""
        self.status = DocumentStatus.PURGED
