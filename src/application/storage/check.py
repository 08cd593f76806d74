"""`undersign storage check`: every recorded blob re-read and re-hashed, and every stored blob
the records do not name (an orphan: a write whose unit of work never committed, or a file put
there by hand) listed. Nothing is changed: it is a report for the operator.

Work is bounded by pages: the records are read `PAGE` at a time by key, the store's keys are
looked up in batches of `PAGE`, and one blob is open at a time.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from undersign.application.shared.errors import BlobCorrupted
from undersign.application.shared.ports import BlobStore
from undersign.application.storage.ports import RecordedBlob, RecordedBlobs

PAGE = 500


class Problem(enum.StrEnum):
    CORRUPTED = "corrupted"  # its bytes no longer have the recorded SHA-256
    MISSING = "missing"  # recorded, but not in the store
    ORPHAN = "orphan"  # in the store, named by no record


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    problem: Problem
    key: str
    expected_sha256: str | None = None
    actual_sha256: str | None = None


@dataclass(slots=True, kw_only=True)
class StorageReport:
    checked: int = 0  # recorded blobs read and hashed
    stored: int = 0  # keys found in the store
    findings: list[Finding] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        """No recorded blob is corrupted or missing (orphans waste space; they lose nothing)."""
        return not any(f.problem is not Problem.ORPHAN for f in self.findings)


class CheckStorage:
    def __init__(self, records: RecordedBlobs, blobs: BlobStore) -> None:
        self._records, self._blobs = records, blobs

    async def total(self, tenant_id: str | None = None) -> int:
        """How many recorded blobs a check reads (for a progress bar)."""
        return await self._records.count(tenant_id)

    async def __call__(
        self, tenant_id: str | None = None, *, progress: Callable[[int], None] = lambda _: None
    ) -> StorageReport:
        """Check the blobs of `tenant_id` (None: every tenant); `progress(n)` after each n blobs read."""
        report = StorageReport()
        after: str | None = None
        while page := await self._records.page(tenant_id, after=after, limit=PAGE):
            for recorded in page:
                if (finding := await self._read(recorded)) is not None:
                    report.findings.append(finding)
            report.checked += len(page)
            progress(len(page))
            after = page[-1].key
        await self._find_orphans(tenant_id, report)
        return report

    async def _read(self, recorded: RecordedBlob) -> Finding | None:
        try:
            async with self._blobs.local_file(recorded.key, recorded.sha256):
                return None
        except KeyError:
            return Finding(problem=Problem.MISSING, key=recorded.key, expected_sha256=recorded.sha256)
        except BlobCorrupted as error:
            return Finding(
                problem=Problem.CORRUPTED, key=recorded.key, expected_sha256=error.expected, actual_sha256=error.actual
            )

    async def _find_orphans(self, tenant_id: str | None, report: StorageReport) -> None:
        batch: list[str] = []
        async for key in self._blobs.keys(f"{tenant_id}/" if tenant_id else ""):
            report.stored += 1
            batch.append(key)
            if len(batch) == PAGE:
                await self._orphans_in(batch, report)
                batch = []
        await self._orphans_in(batch, report)

    async def _orphans_in(self, keys: list[str], report: StorageReport) -> None:
        if not keys:
            return
        known = await self._records.known(keys)
        report.findings.extend(Finding(problem=Problem.ORPHAN, key=key) for key in keys if key not in known)
