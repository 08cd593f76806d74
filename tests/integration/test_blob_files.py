"""The blob stores' local files, one contract for the filesystem store and the fake: what goes in comes
out, what the caller is lent is removed after, and a stored file is what a later `get` returns."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.system import FakeBlobStore
from undersign.adapters.storage.filesystem import SCRATCH_DIRECTORY, FileBlobStore
from undersign.application.shared.ports import BlobStore, StoredBlob

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 1000


@pytest.fixture(params=["filesystem", "fake"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    makers: dict[str, Callable[[], BlobStore]] = {"filesystem": lambda: FileBlobStore(tmp_path), "fake": FakeBlobStore}
    return makers[request.param]()


async def test_a_scratch_file_becomes_a_blob_and_says_what_it_stored(store: BlobStore) -> None:
    async with store.scratch_file() as path:
        Path(path).write_bytes(PDF)
        stored = await store.put_file("acme/documents/d1/0002.pdf", path)

    assert stored == StoredBlob(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
    assert await store.get("acme/documents/d1/0002.pdf") == PDF


async def test_a_blob_is_lent_as_a_local_file(store: BlobStore) -> None:
    await store.put("acme/documents/d1/0001.pdf", PDF)

    async with store.local_file("acme/documents/d1/0001.pdf") as path:
        assert Path(path).read_bytes() == PDF

    with pytest.raises(KeyError):
        async with store.local_file("acme/documents/d1/missing.pdf"):
            pass


async def test_scratch_files_are_removed_after_their_block_even_on_errors(store: BlobStore) -> None:
    async with store.scratch_file(b"%PDF-1.7 given") as given:
        assert Path(given).read_bytes() == b"%PDF-1.7 given"
    with pytest.raises(RuntimeError):
        async with store.scratch_file() as failed:
            Path(failed).write_bytes(PDF)
            raise RuntimeError("the signer failed")

    assert not Path(given).exists() and not Path(failed).exists()


async def test_the_filesystem_store_keeps_its_scratch_files_out_of_reach_of_keys(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    async with store.scratch_file() as path:
        assert Path(path).parent == tmp_path / SCRATCH_DIRECTORY
        with pytest.raises(ValueError, match="unsafe blob key"):
            await store.get(f"{SCRATCH_DIRECTORY}/{Path(path).name}")
    assert list((tmp_path / SCRATCH_DIRECTORY).iterdir()) == []
