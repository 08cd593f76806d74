"""A corrupted blob raises an alarm before the reader gets the error: counted, logged, recorded
(adapters/storage/alarmed.py); an intact one raises none."""

from __future__ import annotations

import hashlib

import pytest
from prometheus_client import REGISTRY

from tests.fakes.system import FakeBlobStore
from undersign.adapters.storage.alarmed import AlarmedBlobStore
from undersign.application.shared.errors import BlobCorrupted

COUNTER = "undersign_blobs_corrupted_total"


def counted() -> float:
    return REGISTRY.get_sample_value(COUNTER) or 0.0


async def test_each_refused_read_is_counted_and_recorded_and_an_intact_one_is_not():
    store, recorded = FakeBlobStore(), []

    async def record(error: BlobCorrupted) -> None:
        recorded.append(error)

    alarmed = AlarmedBlobStore(store, record)
    await store.put("t/doc.pdf", b"good")
    good = hashlib.sha256(b"good").hexdigest()
    before = counted()

    assert await alarmed.get("t/doc.pdf", good) == b"good"
    store.blobs["t/doc.pdf"] = b"bad!"
    with pytest.raises(BlobCorrupted):
        await alarmed.get("t/doc.pdf", good)
    with pytest.raises(BlobCorrupted):
        async with alarmed.local_file("t/doc.pdf", good):
            pytest.fail("a corrupted blob's block never runs")

    assert counted() == before + 2
    assert [(e.key, e.expected) for e in recorded] == [("t/doc.pdf", good)] * 2
    assert store.open_files == set()


async def test_a_recorder_that_fails_leaves_the_reader_its_error():
    store = FakeBlobStore()

    async def broken(_: BlobCorrupted) -> None:
        raise RuntimeError("the database is down")

    await store.put("t/doc.pdf", b"changed")
    with pytest.raises(BlobCorrupted):
        await AlarmedBlobStore(store, broken).get("t/doc.pdf", hashlib.sha256(b"original").hexdigest())
