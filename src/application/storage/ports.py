"""What the storage use cases need from the records: every blob the database vouches for."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedBlob:
    """A blob the records name: a document revision's, or a certificate of completion's."""

    key: str
    sha256: str
    size: int
    tenant_id: str


class RecordedBlobs(Protocol):
    async def count(self, tenant_id: str | None) -> int:
        """How many blobs the records name (in one tenant, or in all)."""
        ...

    async def page(self, tenant_id: str | None, *, after: str | None, limit: int) -> list[RecordedBlob]:
        """The next `limit` recorded blobs by key, after the key `after`."""
        ...

    async def known(self, keys: Collection[str]) -> set[str]:
        """Those of `keys` that the records name."""
        ...
