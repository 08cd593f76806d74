"""PDFs without pyHanko: an inspector, a signer that records what it signed, a verifier and a certificate renderer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from undersign.application.evidence.completion_certificate import CompletionCertificate
from undersign.application.evidence.verification import VerificationReport
from undersign.application.shared.errors import InvalidDocument
from undersign.application.shared.pdf import PdfInfo, SignatureRequest
from undersign.domain.field import Field, PageSize
from undersign.domain.policy import SignatureLevel

A4 = PageSize(width=595, height=842)


class FakePdfInspector:
    """Takes any upload that starts with %PDF; `pages=N` in it sets the page count."""

    async def inspect(self, path: str) -> PdfInfo:
        pdf = Path(path).read_bytes()
        if not pdf:
            raise InvalidDocument("the upload is empty")
        if not pdf.startswith(b"%PDF"):
            raise InvalidDocument("the upload is not a PDF")
        count = int(pdf.split(b"pages=")[1].split()[0]) if b"pages=" in pdf else 1
        return PdfInfo(pages=[A4] * count)


@dataclass
class FakePdfSigner:
    """Appends a readable line per step, so tests can see what was done in which order.

    `failure`, when set, is raised by every signature and seal (a TSA that is down, say).
    """

    serials: itertools.count = field(default_factory=lambda: itertools.count(1))
    calls: list[str] = field(default_factory=list)
    levels: list[SignatureLevel] = field(default_factory=list)
    failure: Exception | None = None
    archive_expiries: dict[bytes, datetime] = field(default_factory=dict)  # by the PDF's last line

    async def prepare(self, source: str, output: str, fields: list[Field]) -> None:
        self.calls.append("prepare")
        _append(source, output, f"%prepared {len(fields)} fields")

    async def sign(self, source: str, output: str, request: SignatureRequest) -> str:
        if self.failure is not None:
            raise self.failure
        self.calls.append(f"sign {request.name}")
        self.levels.append(request.level)
        values = ",".join(f"{f.kind.value}={f.value}" for f in request.fields)
        _append(source, output, f"%signed by {request.name} [{values}]")
        return f"{next(self.serials):x}"

    async def seal(self, source: str, output: str, level: SignatureLevel) -> None:
        if self.failure is not None:
            raise self.failure
        self.calls.append("seal")
        self.levels.append(level)
        _append(source, output, "%sealed")

    async def archive_timestamp_expiry(self, pdf: str) -> datetime | None:
        return self.archive_expiries.get(Path(pdf).read_bytes().rsplit(b"\n", 1)[-1])

    async def add_archive_timestamp(self, source: str, output: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.calls.append("archive timestamp")
        _append(source, output, "%archive timestamp")


def _append(source: str, output: str, line: str) -> None:
    Path(output).write_bytes(Path(source).read_bytes() + f"\n{line}".encode())


@dataclass
class FakeCertificateRenderer:
    """Keeps the certificates it was given; renders each as a line of text."""

    rendered: list[CompletionCertificate] = field(default_factory=list)

    async def render(self, certificate: CompletionCertificate) -> bytes:
        self.rendered.append(certificate)
        return f"%certificate of {certificate.envelope_id}".encode()


@dataclass
class FakePdfVerifier:
    """Answers every verification with `report` (no signatures unless set), and keeps what it was asked."""

    report: VerificationReport | None = None
    calls: list[tuple[bytes, list[bytes] | None, datetime | None]] = field(default_factory=list)

    async def verify(self, pdf: bytes, *, trust_roots: list[bytes] | None, validation_time: datetime | None) -> VerificationReport:
        self.calls.append((pdf, trust_roots, validation_time))
        return self.report or VerificationReport(sha256="0" * 64, validation_time=validation_time, signatures=())
