"""Archive renewal: a new document time stamp on sealed B-LTA documents whose last one nears its end.

A B-LTA document stays verifiable for as long as the certificate of its last document
time stamp is valid. Before that certificate expires, a new time stamp over the whole
document (with the validation data of the previous one embedded first) extends it by
the life of the new TSA certificate; renewed in time, indefinitely.

Operators run it periodically (`undersign archive renew`); documents not yet near the
end, or without a document time stamp (below B-LTA), are left as they are. A renewal that
would not outlive the time stamp it renews (the TSA's certificate ends no later) is refused
and nothing is stored: otherwise the same document would be renewed every day of the window
with nothing gained. A refusal, like a TSA that cannot be reached, is reported per document
and the run goes on with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import SigningFailed
from undersign.application.shared.loading import require_document, require_envelope
from undersign.application.shared.pdf import PdfSigner
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import revision_file, store_revision_file
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.document import Document, RevisionKind
from undersign.domain.errors import InvalidInput

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Renewal:
    tenant_id: str
    envelope_id: str
    document_id: str
    expired_at: datetime  # when the time stamp it renewed would have stopped proving anything
    revision: int


@dataclass(frozen=True, slots=True)
class RefusedRenewal:
    tenant_id: str
    envelope_id: str
    document_id: str
    reason: str


@dataclass(slots=True)
class RenewalReport:
    checked: int = 0  # sealed documents looked at
    renewed: list[Renewal] = field(default_factory=list)
    refused: list[RefusedRenewal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RenewArchiveTimestamps:
    """Renew every sealed document whose last document time stamp expires within `within` from now."""

    within: timedelta


class RenewArchiveTimestampsHandler:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, pdf: PdfSigner, *, turns: EnvelopeTurns
    ) -> None:
        self._uow, self._clock, self._ids, self._pdf, self._turns = uow, clock, ids, pdf, turns

    async def __call__(self, command: RenewArchiveTimestamps) -> RenewalReport:
        if command.within < timedelta(0):
            raise InvalidInput("the renewal window cannot be negative")
        deadline = self._clock.now() + command.within
        report = RenewalReport()
        after: str | None = None
        while page := await self._sealed_documents(after):
            for document in page:
                after = document.id
                report.checked += 1
                if await self._due(document, deadline):
                    await self._renew(document, deadline, report)
        return report

    async def _renew(self, document: Document, deadline: datetime, report: RenewalReport) -> None:
        try:
            outcome = await retry_on_conflict(lambda: self._renew_if_due(document, deadline))
        except SigningFailed as error:  # the TSA cannot be reached or refuses: the other documents still go
            outcome = RefusedRenewal(document.tenant_id, document.envelope_id, document.id, str(error))
        if isinstance(outcome, Renewal):
            report.renewed.append(outcome)
        elif isinstance(outcome, RefusedRenewal):
            report.refused.append(outcome)

    async def _sealed_documents(self, after: str | None) -> list[Document]:
        async with self._uow() as uow:
            return await uow.documents.sealed(after=after, limit=PAGE_SIZE)

    async def _due(self, document: Document, deadline: datetime) -> bool:
        """A first look, without holding the envelope: most documents are not due."""
        async with self._uow() as uow, revision_file(uow.blobs, document.current) as pdf:
            expiry = await self._pdf.archive_timestamp_expiry(pdf)
        return expiry is not None and expiry <= deadline

    async def _renew_if_due(self, seen: Document, deadline: datetime) -> Renewal | RefusedRenewal | None:
        """Looked at again once the envelope is held: another run may have renewed it meanwhile."""
        async with self._turns.hold(seen.tenant_id, seen.envelope_id) as uow:
            envelope = await require_envelope(uow, seen.tenant_id, seen.envelope_id)
            document = await require_document(uow, envelope, seen.id)
            async with revision_file(uow.blobs, document.current) as pdf, uow.blobs.scratch_file() as renewed:
                expiry = await self._pdf.archive_timestamp_expiry(pdf)
                if expiry is None or expiry > deadline:
                    return None
                now = self._clock.now()
                await self._pdf.add_archive_timestamp(pdf, renewed)
                renewed_expiry = await self._pdf.archive_timestamp_expiry(renewed)
                if renewed_expiry is None or renewed_expiry <= expiry:
                    return RefusedRenewal(seen.tenant_id, seen.envelope_id, seen.id, _no_longer_life(expiry, renewed_expiry))
                revision = await store_revision_file(
                    uow, self._ids, document, renewed, kind=RevisionKind.ARCHIVE_TIMESTAMP, now=now
                )
            envelope.record_archive_timestamp_added(document_id=document.id, sha256=revision.sha256, now=now, actor="system")
            await uow.envelopes.save(envelope)
            await uow.documents.save(document)
            await uow.commit()
        return Renewal(seen.tenant_id, seen.envelope_id, seen.id, expiry, revision.number)


def _no_longer_life(expiry: datetime, renewed_expiry: datetime | None) -> str:
    ends = "at an unknown date" if renewed_expiry is None else f"on {renewed_expiry:%Y-%m-%d}"
    return (
        f"not renewed: the time-stamping authority's certificate ends {ends}, no later than the current "
        f"time stamp's ({expiry:%Y-%m-%d}); the TSA needs a newer certificate"
    )
