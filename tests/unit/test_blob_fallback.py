"""Two stores read as one while documents move (adapters/storage/fallback.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.fakes.system import FakeBlobStore
from undersign.adapters.storage.fallback import FallbackBlobStore
from undersign.application.shared.errors import BlobCorrupted


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def stores() -> tuple[FakeBlobStore, FakeBlobStore, FallbackBlobStore]:
    new, old = FakeBlobStore(), FakeBlobStore()
    return new, old, FallbackBlobStore(new, old)


async def test_writes_go_to_the_new_store_and_reads_find_the_old_ones_too(stores):
    new, old, both = stores
    await old.put("t/old.pdf", b"old")
    await both.put("t/new.pdf", b"new")

    assert set(new.blobs) == {"t/new.pdf"} and set(old.blobs) == {"t/old.pdf"}
    assert await both.get("t/old.pdf", sha(b"old")) == b"old" and await both.get("t/new.pdf", sha(b"new")) == b"new"
    async with both.local_file("t/old.pdf", sha(b"old")) as path:
        assert Path(path).read_bytes() == b"old"
    assert [key async for key in both.keys()] == ["t/new.pdf"]
    assert new.open_files == old.open_files == set()


async def test_a_blob_in_neither_is_a_key_error_and_a_damaged_new_copy_is_not_hidden(stores):
    new, old, both = stores
    with pytest.raises(KeyError):
        await both.get("t/none.pdf", sha(b""))
    await old.put("t/doc.pdf", b"good")
    new.blobs["t/doc.pdf"] = b"damaged"
    with pytest.raises(BlobCorrupted):  # the new copy is the one that counts: never silently read the old
        async with both.local_file("t/doc.pdf", sha(b"good")):
            pass


async def test_a_delete_removes_the_blob_from_both(stores):
    new, old, both = stores
    await old.put("t/doc.pdf", b"x")
    await new.put("t/doc.pdf", b"x")

    await both.delete("t/doc.pdf")

    assert "t/doc.pdf" not in new.blobs and "t/doc.pdf" not in old.blobs
