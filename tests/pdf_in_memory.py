"""The PDF signer as its tests drive it: bytes in, bytes out, through temporary files.

The port works from file to file (so a document is streamed, never held); a test compares
bytes, so this wraps the adapter the way a use case drives it, with files it removes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from undersign.application.shared.pdf import PdfInfo, PdfInspector, PdfSigner, SignatureRequest
from undersign.domain.field import Field
from undersign.domain.policy import SignatureLevel


@dataclass(frozen=True, slots=True)
class SignedPdf:
    pdf: bytes
    certificate_serial: str


class InMemoryPdfSigner:
    def __init__(self, files: PdfSigner) -> None:
        self.files = files

    async def prepare(self, pdf: bytes, fields: list[Field]) -> bytes:
        return await _through_files(pdf, lambda source, output: self.files.prepare(source, output, fields))

    async def sign(self, pdf: bytes, request: SignatureRequest) -> SignedPdf:
        serials = []

        async def sign(source: str, output: str) -> None:
            serials.append(await self.files.sign(source, output, request))

        signed = await _through_files(pdf, sign)
        return SignedPdf(pdf=signed, certificate_serial=serials[0])

    async def seal(self, pdf: bytes, level: SignatureLevel) -> bytes:
        return await _through_files(pdf, lambda source, output: self.files.seal(source, output, level))

    async def archive_timestamp_expiry(self, pdf: bytes) -> datetime | None:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "document.pdf"
            path.write_bytes(pdf)
            return await self.files.archive_timestamp_expiry(str(path))

    async def add_archive_timestamp(self, pdf: bytes) -> bytes:
        return await _through_files(pdf, self.files.add_archive_timestamp)


async def _through_files(pdf: bytes, make: Callable[[str, str], Awaitable[None]]) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        source, output = Path(directory) / "source.pdf", Path(directory) / "output.pdf"
        source.write_bytes(pdf)
        await make(str(source), str(output))
        return output.read_bytes()


async def inspect_bytes(inspector: PdfInspector, pdf: bytes) -> PdfInfo:
    """What `inspector` makes of `pdf`, handed to it as an upload is: in a local file."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "upload.pdf"
        path.write_bytes(pdf)
        return await inspector.inspect(str(path))
