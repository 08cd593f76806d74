"""The retention run: every envelope whose retention period is over loses its documents' bytes, and keeps a tombstone.

What goes: every stored revision of every document, and the stored certificate of completion.
What stays: the envelope, its recipients, its documents' records with each revision's SHA-256
and size (marked purged), the certificate's SHA-256, and the audit chain, which gains a
DocumentsPurged entry (published as the `envelope.documents_purged` webhook). Fields' values go:
they are what recipients typed into the documents.

Each envelope is purged in three steps, so that a run cut short anywhere leaves each envelope
either purged or on its way, and the next run finishes it:

1. begin (committed): the envelope is marked as being purged; from then on none of its documents
   is served (ContentPurged) and no legal hold can be set on it;
2. the blobs are deleted (deleting one already gone is nothing);
3. finish (committed): the documents are marked purged, the tombstone written, the event recorded.

A run that dies after 1 or during 2 finds the envelope still due (begun, not finished) and does
2 and 3 again. Deleting the blobs before the tombstone is committed, without step 1, would let a
legal hold set meanwhile win the race and find its documents gone.

The due envelopes are read a page at a time along an index (envelopes.due_for_purge), each page in
a short transaction of its own; each envelope is purged in units of work of its own. The run is
safe to start twice at once: both take the envelope's turn, and the second finds it purged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.errors import DomainError

PAGE = 100

Outcome = Literal["due", "purged", "skipped", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DueEnvelope:
    """An envelope the run purges (or, in a dry run, would)."""

    tenant_id: str
    envelope_id: str
    status: str
    purge_after: datetime
    documents: int
    resumed: bool  # a purge begun by an earlier run that did not finish


@dataclass(slots=True, kw_only=True)
class RetentionReport:
    """What a run did: how many envelopes were due, purged, passed over (held or purged meanwhile), failed."""

    dry_run: bool
    due: int = 0
    purged: int = 0
    skipped: int = 0
    blobs_deleted: int = 0
    failed: list[str] = field(default_factory=list)  # "<envelope id> (<why>)": they wait for the next run


Progress = Callable[[DueEnvelope, Outcome], None]


class Retention:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, turns: EnvelopeTurns, page: int = PAGE) -> None:
        self._uow, self._clock, self._turns, self._page = uow, clock, turns, page

    async def run(self, *, dry_run: bool = False, progress: Progress | None = None) -> RetentionReport:
        """Purge every envelope due now (with `dry_run`, only say which), telling `progress` of each as it goes.

        An envelope that fails (a domain error) does not stop the others: the report names it, and
        the next run tries it again. Anything else (the blob store down, say) stops the run; what it
        did stays done, and the next run picks up where it stopped.
        """
        report, now = RetentionReport(dry_run=dry_run), self._clock.now()
        async for due in self.due(now):
            report.due += 1
            outcome: Outcome = "due"
            if not dry_run:
                try:
                    deleted = await self.purge(due.tenant_id, due.envelope_id, now=now)
                except DomainError as error:
                    report.failed.append(f"{due.envelope_id} ({error.detail})")
                    outcome = "failed"
                else:
                    if deleted is None:
                        outcome, report.skipped = "skipped", report.skipped + 1
                    else:
                        outcome, report.purged = "purged", report.purged + 1
                        report.blobs_deleted += deleted
            if progress is not None:
                progress(due, outcome)
        return report

    async def due(self, now: datetime) -> AsyncIterator[DueEnvelope]:
        """Every envelope whose purge is due at `now`, by (purge_after, id), a page at a time."""
        after: tuple[datetime, str] | None = None
        while True:
            async with self._uow() as uow:
                page = await uow.envelopes.due_for_purge(now=now, after=after, limit=self._page)
            for envelope in page:
                assert envelope.purge_after is not None
                yield DueEnvelope(
                    tenant_id=envelope.tenant_id, envelope_id=envelope.id, status=envelope.status.value,
                    purge_after=envelope.purge_after, documents=len(envelope.document_ids),
                    resumed=envelope.purge_started_at is not None,
                )
            if len(page) < self._page:
                return
            last = page[-1]
            assert last.purge_after is not None
            after = (last.purge_after, last.id)

    async def purge(self, tenant_id: str, envelope_id: str, *, now: datetime) -> int | None:
        """Purge one envelope if it is still due at `now` (or its purge was begun); how many blobs were deleted,
        None if there was nothing to do (held, or purged meanwhile)."""
        keys = await retry_on_conflict(lambda: self._begin(tenant_id, envelope_id, now))
        if keys is None:
            return None
        async with self._uow() as uow:
            for key in keys:
                await uow.blobs.delete(key)
        finished = await retry_on_conflict(lambda: self._finish(tenant_id, envelope_id))
        return len(keys) if finished else None

    async def _begin(self, tenant_id: str, envelope_id: str, now: datetime) -> list[str] | None:
        """Step 1: the envelope marked as being purged; the keys of every blob of it, None if it is not due."""
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            resuming = envelope.purge_started_at is not None and envelope.purged_at is None
            if not resuming and not envelope.is_due_for_purge(now):
                return None  # put on hold, or purged by another run, since the page was read
            documents = await uow.documents.for_envelope(tenant_id, envelope_id)
            keys = [revision.blob_key for document in documents for revision in document.revisions]
            if envelope.completion_certificate is not None:
                keys.append(envelope.completion_certificate.blob_key)
            if envelope.begin_purge(now=now):
                await uow.envelopes.save(envelope)
                await uow.commit()
        return keys

    async def _finish(self, tenant_id: str, envelope_id: str) -> bool:
        """Step 3: the tombstone; False if another run finished it first."""
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            envelope = await require_envelope(uow, tenant_id, envelope_id)
            if envelope.purged_at is not None:
                return False
            documents = await uow.documents.for_envelope(tenant_id, envelope_id)
            envelope.finish_purge(documents, now=self._clock.now(), actor="system")
            for document in documents:
                await uow.documents.save(document)
            await uow.envelopes.save(envelope)
            await uow.commit()
        return True
