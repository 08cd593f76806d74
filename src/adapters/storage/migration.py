"""`undersign storage migrate`: every recorded blob copied to another store and checked there.

Store to store, through a local copy: work for the adapters' side, as the two stores are.

Copies what the records name (document revisions, certificates of completion), one blob at a
time through a local scratch file, and checks the SHA-256 the target reports against the one
recorded. A blob already at the target with the recorded SHA-256 is left as it is, so a run
can be stopped and started again, and a second run after the switch copies only what was
written meanwhile (README: "Moving documents to another store").
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

from undersign.application.shared.errors import BlobCorrupted
from undersign.application.shared.ports import BlobStore
from undersign.application.storage.check import PAGE, Finding, Problem
from undersign.application.storage.ports import RecordedBlob, RecordedBlobs


@dataclass(slots=True, kw_only=True)
class MigrationReport:
    copied: int = 0
    already_there: int = 0
    failed: list[Finding] = field(default_factory=list)  # corrupted or missing at the source: not copied

    @property
    def complete(self) -> bool:
        return not self.failed


class MigrateStorage:
    def __init__(self, records: RecordedBlobs, source: BlobStore, target: BlobStore) -> None:
        self._records, self._source, self._target = records, source, target

    async def total(self, tenant_id: str | None = None) -> int:
        return await self._records.count(tenant_id)

    async def __call__(
        self, tenant_id: str | None = None, *, progress: Callable[[int], None] = lambda _: None
    ) -> MigrationReport:
        report = MigrationReport()
        after: str | None = None
        while page := await self._records.page(tenant_id, after=after, limit=PAGE):
            for recorded in page:
                await self._move(recorded, report)
                progress(1)
            after = page[-1].key
        return report

    async def _move(self, recorded: RecordedBlob, report: MigrationReport) -> None:
        if await self._at_target(recorded):
            report.already_there += 1
            return
        try:
            async with self._source.local_file(recorded.key, recorded.sha256) as original:
                async with self._target.scratch_file() as copy:  # put_file may move it: never the original
                    await asyncio.to_thread(shutil.copyfile, original, copy)
                    stored = await self._target.put_file(recorded.key, copy)
        except KeyError:
            report.failed.append(Finding(problem=Problem.MISSING, key=recorded.key, expected_sha256=recorded.sha256))
            return
        except BlobCorrupted as error:
            report.failed.append(Finding(
                problem=Problem.CORRUPTED, key=recorded.key, expected_sha256=error.expected, actual_sha256=error.actual
            ))
            return
        if stored.sha256 != recorded.sha256:  # the target kept other bytes than it was given
            raise BlobCorrupted(recorded.key, expected=recorded.sha256, actual=stored.sha256)
        report.copied += 1

    async def _at_target(self, recorded: RecordedBlob) -> bool:
        try:
            async with self._target.local_file(recorded.key, recorded.sha256):
                return True
        except (KeyError, BlobCorrupted):  # not there, or damaged there: copied (again)
            return False
