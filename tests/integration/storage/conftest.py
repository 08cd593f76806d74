"""The blob stores under test: the filesystem store on a temporary directory, the S3 store on a bucket
of its own in the session's moto server, and the unit tests' fake; each with a way to change a stored
blob behind the store's back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.system import FakeBlobStore
from undersign.adapters.storage.filesystem import FileBlobStore
from undersign.adapters.storage.s3 import S3BlobStore

S3_PREFIX = "undersign/blobs"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreUnderTest:
    kind: str  # "file", "s3" or "fake"
    store: Any  # a BlobStore (FileBlobStore, S3BlobStore, FakeBlobStore)
    replace_behind_its_back: Callable[[str, bytes], None]  # (key, bytes): what a damaged disk or an intruder does


@pytest.fixture
def file(tmp_path: Path) -> StoreUnderTest:
    root = tmp_path / "blobs"
    return StoreUnderTest(
        kind="file", store=FileBlobStore(root), replace_behind_its_back=lambda key, data: (root / key).write_bytes(data)
    )


@pytest.fixture
def fake() -> StoreUnderTest:
    store = FakeBlobStore()
    return StoreUnderTest(kind="fake", store=store, replace_behind_its_back=store.blobs.__setitem__)


@pytest.fixture
def s3(s3_endpoint: str, s3_client: Any, s3_bucket: str, tmp_path: Path) -> StoreUnderTest:
    scratch = tmp_path / "s3-scratch"
    scratch.mkdir()
    store = S3BlobStore(s3_bucket, S3_PREFIX, endpoint_url=s3_endpoint, scratch_directory=scratch)

    def replace(key: str, data: bytes) -> None:
        s3_client.put_object(Bucket=s3_bucket, Key=f"{S3_PREFIX}/{key}", Body=data)

    return StoreUnderTest(kind="s3", store=store, replace_behind_its_back=replace)


@pytest.fixture(params=["file", "s3", "fake"])
def any_store(request: pytest.FixtureRequest) -> StoreUnderTest:
    """Every blob store, the fake included: what the port promises."""
    return request.getfixturevalue(request.param)


@pytest.fixture(params=["file", "s3"])
def real_store(request: pytest.FixtureRequest) -> StoreUnderTest:
    """The stores that keep blobs somewhere real: what the fake does not model (unsafe keys, big files)."""
    return request.getfixturevalue(request.param)
