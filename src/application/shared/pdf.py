"""The PDF machinery the use cases drive: inspect an upload, prepare, sign, seal and timestamp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from undersign.domain.field import Field, PageSize
from undersign.domain.policy import SignatureLevel


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfInfo:
    pages: list[PageSize]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureRequest:
    """One recipient's signature over one document.

    `fields` are this recipient's fields on this document with their values set
    (signature fields carry the typed name, checkboxes "true"/"false"). `level` is the
    PAdES level the envelope's policy asks for. `signature_image`, when the signer drew or
    uploaded one, is a PNG (checked with `signature_images.check_signature_image`) that
    their signature fields show instead of the typed text; the adapter refuses one it
    cannot decode within the same limits with InvalidSignatureImage.
    """

    signer_id: str
    name: str
    email: str
    signature_text: str
    fields: list[Field]
    at: datetime
    level: SignatureLevel
    signature_image: bytes | None = None


class PdfInspector(Protocol):
    async def inspect(self, pdf: str) -> PdfInfo:
        """Read the PDF in the local file `pdf` (its pages); raise InvalidDocument if it is empty, not a PDF,
        damaged or encrypted. The file is read where the reading is confined, not in the caller's memory."""
        ...


class PdfSigner(Protocol):
    """Signing works from file to file (local paths, from the blob store's local files), so a
    document of any size costs the same few megabytes of memory: it is streamed, never held."""

    async def prepare(self, source: str, output: str, fields: list[Field]) -> None:
        """Write to `output` the PDF at `source` with an empty form field for each placed field, as an
        incremental update."""
        ...

    async def sign(self, source: str, output: str, request: SignatureRequest) -> str:
        """Write to `output` the PDF at `source` with the recipient's fields filled and their PAdES signature at
        `request.level` added, as incremental updates; return the certificate's serial number (hex).

        The signature is made with a certificate issued for this recipient (their name and
        email) by the platform's issuing CA, checked (expiry and revocation) before it is
        used. B-T and up carry a time stamp from a time-stamping authority, B-LT and up the
        validation data, B-LTA a document time stamp after it. Earlier signatures stay valid.
        Raise SigningFailed if it cannot be made, TimestampUnavailable if no time-stamping
        authority answered: never a signature below the level asked for.
        """
        ...

    async def seal(self, source: str, output: str, level: SignatureLevel) -> None:
        """Write to `output` the PDF at `source` with the platform's seal at `level`: the last signature the
        document gets, locking it against any change.

        Only validation data and document time stamps (B-LT, B-LTA) follow it. Raises as `sign` does.
        """
        ...

    async def archive_timestamp_expiry(self, pdf: str) -> datetime | None:
        """When the certificate of the document's last document time stamp expires; None without one (below B-LTA)."""
        ...

    async def add_archive_timestamp(self, source: str, output: str) -> None:
        """Write to `output` the PDF at `source` with the validation data of its last document time stamp
        embedded and a new one over everything.

        What keeps a B-LTA document verifiable after the previous time stamp's TSA
        certificate expires. Raises as `sign` does.
        """
        ...
