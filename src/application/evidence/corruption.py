"""A stored document found corrupted: written to its tenant's audit log, once per process.

The blob store refuses every read whose bytes no longer have the SHA-256 recorded for them
(BlobCorrupted); this records the finding where auditors look, in a unit of work of its own
(the request or job that tripped on it fails and rolls back; the finding must not). Blob keys
start with their tenant's id (revisions.blob_key, stored_certificate.certificate_key).
"""

from __future__ import annotations

from undersign.application.access.audit_log import record_act
from undersign.application.shared.errors import BlobCorrupted
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.tenant_events import StoredDocumentCorrupted

SYSTEM = "system"
# A client retrying a download of a damaged file records it once, not once per try.
MAX_REMEMBERED = 10_000


class CorruptionReports:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock
        self._recorded: set[tuple[str, str]] = set()

    async def __call__(self, error: BlobCorrupted) -> None:
        finding = (error.key, error.actual)
        if finding in self._recorded:
            return
        tenant_id = error.key.split("/", 1)[0]
        event = StoredDocumentCorrupted(
            tenant_id=tenant_id, at=self._clock.now(), actor=SYSTEM,
            blob_key=error.key, expected_sha256=error.expected, actual_sha256=error.actual,
        )

        async def record() -> None:
            async with self._uow() as uow:
                await record_act(uow, event)
                await uow.commit()

        await retry_on_conflict(record)
        if len(self._recorded) >= MAX_REMEMBERED:
            self._recorded.clear()
        self._recorded.add(finding)
