"""An envelope's evidence in one ZIP that verifies offline: its documents, its certificate of completion,
its audit trail, each PDF's verification report, a manifest and SHA256SUMS (package_files.py has the layout).

Which envelopes: any that was sent (sent, completed, declined, voided, expired): from the send on there
is a trail of what happened to documents that left the sender's hands. A draft has nothing to prove
yet and is refused (EnvelopeNotSent, `envelope_not_sent`, 409); one whose documents retention purged
has none to hold (ContentPurged, `documents_purged`, 410), as every download of them. The certificate
of completion is in the package when the envelope has one (it is made once the envelope is completed and sealed); the
documents are as they stand: the sealed PDFs once sealed, else the last signed revision.

Who: a caller who reads both the envelope's documents and its evidence (the package holds the
documents themselves, which an auditor, who reads evidence only, may not), and sees the envelope;
operators at the console, for any tenant's.

The ZIP is written to a scratch file of the blob store, never whole in memory, and is the caller's
to read during the block the package is given in; it is removed after.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.evidence.package_files import (
    AUDIT_TRAIL,
    CERTIFICATE,
    MANIFEST,
    SUMS,
    PackageWriter,
    document_entry,
    report_entry,
    sums_text,
)
from undersign.application.evidence.verification import VerificationReport, VerifyPdf, VerifyPdfHandler
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import TrackedBlobs, UnitOfWork, UnitOfWorkFactory
from undersign.domain.audit import AuditEntry, verify_chain
from undersign.domain.document import Document
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.errors import InvalidState, NotFound
from undersign.domain.retention import ContentPurged

PACKAGE_FORMAT = "undersign-evidence-package/1"


class EnvelopeNotSent(InvalidState):
    code = "envelope_not_sent"


class EvidenceFormats(Protocol):
    """The package's JSON in the API's own wire forms, so a package reads as the API answers."""

    def audit_trail(self, envelope_id: str, entries: list[AuditEntry], chain_valid: bool) -> bytes:
        """As GET /v1/envelopes/{id}/audit answers: the envelope id, every entry with its hashes, the verdict."""
        ...

    def verification_report(self, report: VerificationReport) -> bytes:
        """As POST /v1/verify answers."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidencePackage:
    path: str  # the ZIP: a scratch file, removed when the block it is given in ends
    envelope_id: str
    tenant_id: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Records:
    envelope: Envelope
    documents: list[Document]
    entries: list[AuditEntry]
    blobs: TrackedBlobs


class EvidencePackages:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, verify_pdf: VerifyPdfHandler, formats: EvidenceFormats
    ) -> None:
        self._uow, self._clock, self._verify_pdf, self._formats = uow, clock, verify_pdf, formats

    @asynccontextmanager
    async def export(self, caller: Caller, envelope_id: str) -> AsyncIterator[EvidencePackage]:
        """The caller's envelope's package, during the block; NotFound for an envelope they do not see,
        EnvelopeNotSent for a draft."""
        caller.require(Permission.READ_ENVELOPES)
        caller.require(Permission.READ_EVIDENCE)
        async with self._uow() as uow:
            records = await _records(uow, await require_visible_envelope(uow, caller, envelope_id))
        async with self._build(records, caller) as package:
            yield package

    @asynccontextmanager
    async def export_for_operator(self, envelope_id: str) -> AsyncIterator[EvidencePackage]:
        """For operators (`undersign evidence export`): any tenant's envelope."""
        async with self._uow() as uow:
            tenant_id = await uow.envelopes.tenant_of(envelope_id)
            if tenant_id is None:
                raise NotFound(f"no envelope {envelope_id}")
            records = await _records(uow, await require_envelope(uow, tenant_id, envelope_id))
        async with self._build(records, None) as package:
            yield package

    @asynccontextmanager
    async def _build(self, records: _Records, caller: Caller | None) -> AsyncIterator[EvidencePackage]:
        # The records were read and their unit of work closed: verifying PDFs takes seconds, and
        # holds no transaction open. Blobs need none: they are never changed once stored.
        made_at = self._clock.now()
        async with records.blobs.scratch_file() as path:
            with open(path, "wb") as file:
                writer = PackageWriter(file, made_at)
                try:
                    await self._write(writer, records, caller, made_at)
                finally:
                    await asyncio.to_thread(writer.close)
                size = file.tell()
            envelope = records.envelope
            yield EvidencePackage(path=path, envelope_id=envelope.id, tenant_id=envelope.tenant_id, size=size)

    async def _write(self, writer: PackageWriter, records: _Records, caller: Caller | None, made_at: datetime) -> None:
        envelope, blobs = records.envelope, records.blobs
        documents: list[dict[str, Any]] = []
        # At most MAX_DOCUMENTS documents (domain.envelope), each copied and verified one at a time.
        for number, document in enumerate(records.documents, start=1):
            name = document_entry(number, document.filename)
            await self._add_pdf(writer, blobs, name, document.current.blob_key, document.current.sha256, caller)
            documents.append({
                "id": document.id, "filename": document.filename, "file": name, "status": document.status.value,
                "revision": document.current.number, "recorded_sha256": document.current.sha256,
                "original_sha256": document.original.sha256,
            })  # fmt: skip
        certificate = None
        if (stored := envelope.completion_certificate) is not None:
            await self._add_pdf(writer, blobs, CERTIFICATE, stored.blob_key, stored.sha256, caller)
            certificate = {"file": CERTIFICATE, "recorded_sha256": stored.sha256}
        chain_valid = verify_chain(records.entries)
        trail = self._formats.audit_trail(envelope.id, records.entries, chain_valid)
        await asyncio.to_thread(writer.add_bytes, AUDIT_TRAIL, trail)
        manifest = {
            "format": PACKAGE_FORMAT, "envelope_id": envelope.id, "tenant_id": envelope.tenant_id,
            "status": envelope.status.value, "made_at": made_at.isoformat(),
            "audit_trail": {
                "file": AUDIT_TRAIL, "entries": len(records.entries), "chain_valid": chain_valid,
                "last_hash": records.entries[-1].hash if records.entries else None,
            },
            "documents": documents, "certificate_of_completion": certificate,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in writer.written],
        }  # fmt: skip
        await asyncio.to_thread(writer.add_bytes, MANIFEST, json.dumps(manifest, indent=2).encode())
        await asyncio.to_thread(writer.add_bytes, SUMS, sums_text(list(writer.written)))

    async def _add_pdf(
        self, writer: PackageWriter, blobs: TrackedBlobs, name: str, key: str, sha256: str, caller: Caller | None
    ) -> None:
        """The stored PDF (checked against its recorded SHA-256 as it is read), and its verification report."""
        try:
            async with blobs.local_file(key, sha256) as source:
                await asyncio.to_thread(writer.add_file, name, source)
                # The verifier takes the PDF's bytes: one document at a time is in memory, never the ZIP.
                pdf = await asyncio.to_thread(_read, source)
        except KeyError:  # the records were read before a purge began, which deleted it since
            raise ContentPurged(f"{name} was purged under its retention policy while its package was made") from None
        report = await self._verify_pdf(VerifyPdf(caller=caller, pdf=pdf))
        await asyncio.to_thread(writer.add_bytes, report_entry(name), self._formats.verification_report(report))


async def _records(uow: UnitOfWork, envelope: Envelope) -> _Records:
    if envelope.status is EnvelopeStatus.DRAFT:
        raise EnvelopeNotSent(
            f"envelope {envelope.id} is a draft: its evidence package exists once it is sent, "
            "when there is a record of what happened to its documents"
        )
    # ContentPurged once retention purged the documents (or is purging them): their package would hold
    # none of them; the audit trail (GET /audit) still shows the chain and the hashes.
    envelope.require_documents()
    documents = await uow.documents.for_envelope(envelope.tenant_id, envelope.id)
    order = {document_id: index for index, document_id in enumerate(envelope.document_ids)}
    documents.sort(key=lambda d: order.get(d.id, len(order)))
    entries = await uow.audit.entries(envelope.tenant_id, envelope.id)
    return _Records(envelope=envelope, documents=documents, entries=entries, blobs=uow.blobs)


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
