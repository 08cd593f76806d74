"""One contract for every blob store (the filesystem store, the S3 store against a moto server, and
the unit tests' fake where it models the promise): what goes in comes out, checked against its
SHA-256 on every read; a damaged blob is never served; a crash or a failure half-way through storing
leaves nothing under the key; and the S3 store cleans up the uploads a killed process left."""

from __future__ import annotations

import hashlib
import inspect
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError

from tests.fakes.system import FakeBlobStore
from tests.integration.storage.conftest import S3_PREFIX, StoreUnderTest
from tests.servers import free_port
from undersign.adapters.storage.filesystem import SCRATCH_DIRECTORY, FileBlobStore
from undersign.adapters.storage.s3 import BucketUnreachable, DocumentStoreUnavailable, S3BlobStore
from undersign.application.shared.errors import BlobCorrupted, ServiceUnavailable
from undersign.application.shared.ports import BlobStore, StoredBlob

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 1000
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()
MiB = 1024 * 1024
UNSAFE_KEYS = ["../x", "/abs", "a//b", ".hidden", "acme/../../etc/passwd", "acme/.scratch/x", ""]


def write_file(path: str | Path, mebibytes: int, *, seed: int = 7) -> str:
    """Fill `path` with `mebibytes` MiB of seeded random bytes, one MiB at a time; their SHA-256."""
    chunks, digest = random.Random(seed), hashlib.sha256()
    with open(path, "wb") as file:
        for _ in range(mebibytes):
            chunk = chunks.randbytes(MiB)
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


def sha256_of(path: str | Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


async def all_keys(store: Any, prefix: str = "") -> list[str]:
    return sorted([key async for key in store.keys(prefix)])


@pytest.mark.parametrize("adapter", [FileBlobStore, S3BlobStore, FakeBlobStore])
def test_each_store_has_the_ports_shape(adapter: type) -> None:
    # No type checker runs in the test command: this holds the names and kinds of the parameters.
    methods = [name for name in vars(BlobStore) if not name.startswith("_") and callable(vars(BlobStore)[name])]
    assert len(methods) == 7
    for name in methods:
        expected = [(p.name, p.kind) for p in inspect.signature(getattr(BlobStore, name)).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(getattr(adapter, name)).parameters.values()]
        assert actual == expected, name


# -- what every store promises --------------------------------------------------------------------


async def test_what_is_put_comes_back_from_get_and_as_a_local_file(any_store: StoreUnderTest) -> None:
    store = any_store.store

    stored = await store.put("acme/documents/d1/0001.pdf", PDF)

    assert stored == StoredBlob(sha256=PDF_SHA256, size=len(PDF))
    assert await store.get("acme/documents/d1/0001.pdf", PDF_SHA256) == PDF
    async with store.local_file("acme/documents/d1/0001.pdf", PDF_SHA256.upper()) as path:
        assert Path(path).read_bytes() == PDF


async def test_a_scratch_file_becomes_a_blob_and_says_what_it_stored(any_store: StoreUnderTest) -> None:
    store = any_store.store
    async with store.scratch_file() as path:
        Path(path).write_bytes(PDF)
        stored = await store.put_file("acme/documents/d1/0002.pdf", path)

    assert stored == StoredBlob(sha256=PDF_SHA256, size=len(PDF))
    assert await store.get("acme/documents/d1/0002.pdf", PDF_SHA256) == PDF


async def test_scratch_and_local_files_are_removed_after_their_block_even_on_errors(any_store: StoreUnderTest) -> None:
    store = any_store.store
    await store.put("acme/documents/d1/0001.pdf", PDF)
    async with store.scratch_file(b"%PDF-1.7 given") as given:
        assert Path(given).read_bytes() == b"%PDF-1.7 given"
    with pytest.raises(RuntimeError):
        async with store.scratch_file() as failed:
            Path(failed).write_bytes(PDF)
            raise RuntimeError("the signer failed")
    with pytest.raises(RuntimeError):
        async with store.local_file("acme/documents/d1/0001.pdf", PDF_SHA256) as lent:
            raise RuntimeError("the reader failed")

    assert not Path(given).exists() and not Path(failed).exists()
    # The filesystem store lends the blob's own file (never changed in place); the others a copy.
    assert Path(lent).exists() == (any_store.kind == "file")


async def test_a_wrong_sha256_is_refused_on_every_read_and_no_block_runs(any_store: StoreUnderTest) -> None:
    store = any_store.store
    await store.put("acme/documents/d1/0001.pdf", PDF)
    wrong = hashlib.sha256(b"another document").hexdigest()

    with pytest.raises(BlobCorrupted) as on_get:
        await store.get("acme/documents/d1/0001.pdf", wrong)
    ran = False
    with pytest.raises(BlobCorrupted) as on_local_file:
        async with store.local_file("acme/documents/d1/0001.pdf", wrong):
            ran = True

    assert not ran
    for raised in (on_get.value, on_local_file.value):
        assert raised.code == "stored_document_corrupted"
        assert (raised.key, raised.expected, raised.actual) == ("acme/documents/d1/0001.pdf", wrong, PDF_SHA256)


async def test_a_blob_changed_behind_the_stores_back_is_corrupted_on_every_read(any_store: StoreUnderTest) -> None:
    store = any_store.store
    await store.put("acme/documents/d1/0001.pdf", PDF)
    tampered = PDF.replace(b"%PDF-1.7", b"%PDF-1.4")
    any_store.replace_behind_its_back("acme/documents/d1/0001.pdf", tampered)

    for _ in range(2):  # not once, then forgotten
        with pytest.raises(BlobCorrupted) as on_get:
            await store.get("acme/documents/d1/0001.pdf", PDF_SHA256)
        assert on_get.value.actual == hashlib.sha256(tampered).hexdigest()
        ran = False
        with pytest.raises(BlobCorrupted):
            async with store.local_file("acme/documents/d1/0001.pdf", PDF_SHA256):
                ran = True
        assert not ran


async def test_a_missing_key_is_a_key_error_and_delete_is_idempotent(any_store: StoreUnderTest) -> None:
    store = any_store.store
    await store.put("acme/documents/d1/0001.pdf", PDF)

    await store.delete("acme/documents/d1/0001.pdf")
    await store.delete("acme/documents/d1/0001.pdf")
    await store.delete("acme/documents/never/stored.pdf")

    with pytest.raises(KeyError):
        await store.get("acme/documents/d1/0001.pdf", PDF_SHA256)
    ran = False
    with pytest.raises(KeyError):
        async with store.local_file("acme/documents/d1/0001.pdf", PDF_SHA256):
            ran = True
    assert not ran
    assert await all_keys(store) == []


async def test_keys_lists_exactly_what_was_stored_under_a_prefix_and_never_scratch_files(
    any_store: StoreUnderTest,
) -> None:
    store = any_store.store
    for key in ("acme/documents/d1/0001.pdf", "acme/documents/d2/0001.pdf", "acme-two/documents/d1/0001.pdf"):
        await store.put(key, PDF)

    async with store.scratch_file(PDF) as scratch:
        async with store.local_file("acme/documents/d1/0001.pdf", PDF_SHA256):
            assert await all_keys(store, "acme/") == ["acme/documents/d1/0001.pdf", "acme/documents/d2/0001.pdf"]
            assert await all_keys(store, "acme/documents/d2") == ["acme/documents/d2/0001.pdf"]
            assert await all_keys(store, "nobody/") == []
            assert await all_keys(store) == [
                "acme-two/documents/d1/0001.pdf", "acme/documents/d1/0001.pdf", "acme/documents/d2/0001.pdf",
            ]  # fmt: skip
        await store.put_file("acme/documents/d3/0001.pdf", scratch)
    assert "acme/documents/d3/0001.pdf" in await all_keys(store, "acme/documents/d3")


# -- what the real stores add ---------------------------------------------------------------------


async def test_unsafe_keys_are_refused_by_every_operation(real_store: StoreUnderTest) -> None:
    store = real_store.store
    async with store.scratch_file(PDF) as scratch:
        for key in UNSAFE_KEYS:
            with pytest.raises(ValueError, match="unsafe blob key"):
                await store.put(key, PDF)
            with pytest.raises(ValueError, match="unsafe blob key"):
                await store.put_file(key, scratch)
            with pytest.raises(ValueError, match="unsafe blob key"):
                await store.get(key, PDF_SHA256)
            with pytest.raises(ValueError, match="unsafe blob key"):
                async with store.local_file(key, PDF_SHA256):
                    pass
            with pytest.raises(ValueError, match="unsafe blob key"):
                await store.delete(key)
        assert Path(scratch).read_bytes() == PDF  # refused before anything was done with it
    assert await all_keys(store) == []


async def test_a_60_mb_file_round_trips_and_goes_to_s3_in_parts(
    real_store: StoreUnderTest, request: pytest.FixtureRequest
) -> None:
    store = real_store.store
    async with store.scratch_file() as path:
        expected = write_file(path, 60)
        stored = await store.put_file("acme/documents/big/0001.pdf", path)
        assert not Path(path).exists()  # moved into place, or uploaded and removed

    assert stored == StoredBlob(sha256=expected, size=60 * MiB)
    async with store.local_file("acme/documents/big/0001.pdf", expected) as local:
        assert sha256_of(local) == expected
    if real_store.kind == "s3":
        head = request.getfixturevalue("s3_client").head_object(
            Bucket=store.bucket, Key=f"{S3_PREFIX}/acme/documents/big/0001.pdf"
        )
        # A multipart upload's ETag is "<md5 of the parts' md5s>-<number of parts>": 60 MiB in 8 MiB parts.
        assert head["ETag"].strip('"').endswith("-8")
        assert head["Metadata"] == {"sha256": expected}


# -- crashes and failures half-way --------------------------------------------------------------------

# The child uploads through the S3 store; every part, once the server has it, holds its thread, so
# the upload is never completed: the parent kills the child with parts on the server.
CRASHING_S3_UPLOAD = """
import asyncio, sys, time
import boto3
from undersign.adapters.storage.s3 import S3BlobStore

endpoint, bucket, prefix, path = sys.argv[1:]
client = boto3.client("s3", endpoint_url=endpoint)
client.meta.events.register("after-call.s3.UploadPart", lambda **_: time.sleep(3600))
asyncio.run(S3BlobStore(bucket, prefix, client=client).put_file("acme/documents/big/0001.pdf", path))
"""


async def test_a_process_killed_during_a_multipart_upload_leaves_no_blob_and_its_parts_are_aborted(
    s3: StoreUnderTest, s3_client: Any, s3_endpoint: str, tmp_path: Path
) -> None:
    store: S3BlobStore = s3.store
    source = tmp_path / "big.pdf"
    expected = write_file(source, 60)
    # Someone else's upload in the same bucket, outside the store's prefix: never the store's to abort.
    s3_client.create_multipart_upload(Bucket=store.bucket, Key="elsewhere/upload.bin")
    log = tmp_path / "child.log"
    with log.open("wb") as output:
        command = [sys.executable, "-c", CRASHING_S3_UPLOAD, s3_endpoint, store.bucket, S3_PREFIX, str(source)]
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (parts := _uploaded_parts(s3_client, store.bucket, S3_PREFIX)):
            if child.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the child uploaded no part (exit {child.poll()}):\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
    finally:
        child.kill()  # SIGKILL to our own child, by its pid: no cleanup runs
        child.wait()
    assert child.returncode == -signal.SIGKILL and parts >= 1

    with pytest.raises(KeyError):
        await store.get("acme/documents/big/0001.pdf", expected)
    assert await all_keys(store) == []
    # (moto dates every upload 2010-11-10, so the age limit is checked below, on a stub client.)
    assert await store.abort_abandoned_uploads(timedelta(0)) == 1
    left = s3_client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert [upload["Key"] for upload in left] == ["elsewhere/upload.bin"]
    assert await store.abort_abandoned_uploads(timedelta(0)) == 0


def _uploaded_parts(client: Any, bucket: str, prefix: str) -> int:
    uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/").get("Uploads", [])
    return sum(
        len(client.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]).get("Parts", []))
        for upload in uploads
    )


class _UploadsClient:
    """Just enough of boto3's S3 client for `abort_abandoned_uploads`: two pages of uploads."""

    def __init__(self, now: datetime) -> None:
        self.pages = [
            {"Uploads": [{"Key": "p/old.pdf", "UploadId": "1", "Initiated": now - timedelta(hours=25)}]},
            {"Uploads": [{"Key": "p/recent.pdf", "UploadId": "2", "Initiated": now - timedelta(hours=23)},
                         {"Key": "p/older.pdf", "UploadId": "3", "Initiated": now - timedelta(days=9)}]},
        ]  # fmt: skip
        self.listed: list[dict[str, Any]] = []
        self.aborted: list[tuple[str, str, str]] = []

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_multipart_uploads"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.listed.append(kwargs)
        return self.pages

    def abort_multipart_upload(self, *, Bucket: str, Key: str, UploadId: str) -> None:  # noqa: N803
        self.aborted.append((Bucket, Key, UploadId))


async def test_only_uploads_older_than_the_limit_are_aborted() -> None:
    client = _UploadsClient(datetime.now(UTC))
    store = S3BlobStore("documents", "p", client=client)

    assert await store.abort_abandoned_uploads(timedelta(hours=24)) == 2

    assert client.listed == [{"Bucket": "documents", "Prefix": "p/"}]
    assert client.aborted == [("documents", "p/old.pdf", "1"), ("documents", "p/older.pdf", "3")]


# The child dies (SIGKILL, no cleanup) where the filesystem store has written the whole file and
# flushes it, before the rename that would make it the blob.
CRASHING_FILE_WRITE = """
import asyncio, os, signal, sys
from pathlib import Path
from undersign.adapters.storage.filesystem import FileBlobStore

root, operation = sys.argv[1:]
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)

async def main():
    store = FileBlobStore(Path(root))
    async with store.scratch_file(b"%PDF-1.7 " * 100_000) as path:
        if operation == "put_file":
            await store.put_file("acme/documents/d1/0001.pdf", path)
        else:
            await store.put("acme/documents/d1/0001.pdf", Path(path).read_bytes())

asyncio.run(main())
"""


@pytest.mark.parametrize("operation", ["put_file", "put"])
async def test_a_process_killed_while_the_file_store_writes_leaves_nothing_under_the_key(
    operation: str, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    child = subprocess.run([sys.executable, "-c", CRASHING_FILE_WRITE, str(root), operation],
                           capture_output=True, timeout=60, check=False)  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr.decode(errors="replace")[-3000:]

    store = FileBlobStore(root)
    with pytest.raises(KeyError):
        await store.get("acme/documents/d1/0001.pdf", hashlib.sha256(b"%PDF-1.7 " * 100_000).hexdigest())
    assert await all_keys(store) == []
    # What the crash left is there, under dot-names no key can name and `keys()` never lists.
    left = [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]
    assert left and all(any(part.startswith(".") for part in name.split("/")) for name in left), left


async def test_the_file_store_keeps_its_scratch_files_out_of_reach_of_keys(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    async with store.scratch_file() as path:
        assert Path(path).parent == tmp_path / SCRATCH_DIRECTORY
        with pytest.raises(ValueError, match="unsafe blob key"):
            await store.get(f"{SCRATCH_DIRECTORY}/{Path(path).name}", PDF_SHA256)
        assert await all_keys(store) == []
    assert list((tmp_path / SCRATCH_DIRECTORY).iterdir()) == []


async def test_a_failed_put_file_leaves_nothing_in_the_file_store(file: StoreUnderTest) -> None:
    store = file.store
    await store.put("acme/documents", PDF)  # a blob where put_file needs a directory
    async with store.scratch_file(PDF) as path:
        with pytest.raises(OSError):
            await store.put_file("acme/documents/d1/0001.pdf", path)
    assert await all_keys(store) == ["acme/documents"]


async def test_a_failed_multipart_upload_is_aborted_and_leaves_no_object(
    s3_client: Any, s3_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    client = _client_failing_at_part(s3_endpoint, 2)
    store = S3BlobStore(s3_bucket, S3_PREFIX, client=client, scratch_directory=tmp_path)
    async with store.scratch_file() as path:
        write_file(path, 20)  # three parts
        with pytest.raises(ConnectionResetError):
            await store.put_file("acme/documents/big/0001.pdf", path)
        assert Path(path).exists()  # still the caller's, removed with its block

    assert s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", []) == []
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert list(tmp_path.iterdir()) == []


def _client_failing_at_part(endpoint: str, part_number: int) -> Any:
    client = boto3.client("s3", endpoint_url=endpoint)

    def fail(params: dict[str, Any], **_: Any) -> None:
        if params.get("PartNumber") == part_number:
            raise ConnectionResetError("the network went away")

    client.meta.events.register("provide-client-params.s3.UploadPart", fail)
    return client


async def test_storing_into_a_missing_bucket_fails_and_leaves_nothing(
    s3_client: Any, s3_endpoint: str, tmp_path: Path
) -> None:
    store = S3BlobStore("undersign-no-such-bucket", S3_PREFIX, endpoint_url=s3_endpoint, scratch_directory=tmp_path)
    async with store.scratch_file() as path:
        write_file(path, 20)
        # (boto3's managed transfer wraps the ClientError in its S3UploadFailedError.)
        with pytest.raises(S3UploadFailedError, match="NoSuchBucket"):
            await store.put_file("acme/documents/big/0001.pdf", path)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        await store.put("acme/documents/d1/0001.pdf", PDF)

    assert "undersign-no-such-bucket" not in [bucket["Name"] for bucket in s3_client.list_buckets()["Buckets"]]
    assert list(tmp_path.iterdir()) == []


async def test_an_s3_that_does_not_answer_is_a_retryable_unavailability_not_a_crash(
    aws_environment: None, tmp_path: Path
) -> None:
    """Nothing listens on the endpoint: every call is DocumentStoreUnavailable (a 503 with Retry-After)."""
    dead = f"http://127.0.0.1:{free_port()}"
    store = S3BlobStore("undersign-unreachable", S3_PREFIX, endpoint_url=dead, scratch_directory=tmp_path)
    good = hashlib.sha256(PDF).hexdigest()

    async with store.scratch_file(PDF) as path:
        with pytest.raises(DocumentStoreUnavailable) as refused:
            await store.put_file("acme/documents/d1/0001.pdf", path)
    calls = [
        store.put("acme/documents/d1/0001.pdf", PDF), store.get("acme/documents/d1/0001.pdf", good),
        store.delete("acme/documents/d1/0001.pdf"),
    ]
    for call in calls:
        with pytest.raises(DocumentStoreUnavailable):
            await call
    with pytest.raises(DocumentStoreUnavailable):
        async with store.local_file("acme/documents/d1/0001.pdf", good):
            pytest.fail("nothing was downloaded")
    with pytest.raises(DocumentStoreUnavailable):
        [key async for key in store.keys()]

    assert refused.value.code == "document_store_unavailable" and isinstance(refused.value, ServiceUnavailable)
    assert list(tmp_path.iterdir()) == []  # no scratch file or partial download left


# -- S3 configuration ------------------------------------------------------------------------------


async def test_the_s3_store_sees_only_its_own_prefix(s3: StoreUnderTest, s3_endpoint: str) -> None:
    await s3.store.put("acme/documents/d1/0001.pdf", PDF)
    neighbour = S3BlobStore(s3.store.bucket, "someone-else", endpoint_url=s3_endpoint)
    await neighbour.put("acme/documents/d1/0001.pdf", b"not ours")
    unprefixed = S3BlobStore(s3.store.bucket, endpoint_url=s3_endpoint)

    assert await all_keys(s3.store) == ["acme/documents/d1/0001.pdf"]
    assert await all_keys(unprefixed) == [
        "someone-else/acme/documents/d1/0001.pdf",
        f"{S3_PREFIX}/acme/documents/d1/0001.pdf",
    ]
    assert await unprefixed.get(f"{S3_PREFIX}/acme/documents/d1/0001.pdf", PDF_SHA256) == PDF


@pytest.mark.parametrize(("encryption", "kms_key_id"), [("AES256", None), ("aws:kms", "alias/undersign-test")])
async def test_blobs_are_stored_with_the_server_side_encryption_asked_for(
    encryption: str, kms_key_id: str | None, s3_client: Any, s3_bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    store = S3BlobStore(s3_bucket, S3_PREFIX, endpoint_url=s3_endpoint, scratch_directory=tmp_path,
                        server_side_encryption=encryption, kms_key_id=kms_key_id)  # fmt: skip
    await store.put("acme/documents/d1/0001.pdf", PDF)
    async with store.scratch_file() as path:
        write_file(path, 17)  # multipart: the encryption is asked for when the upload starts
        await store.put_file("acme/documents/d1/0002.pdf", path)

    for name in ("0001.pdf", "0002.pdf"):
        head = s3_client.head_object(Bucket=s3_bucket, Key=f"{S3_PREFIX}/acme/documents/d1/{name}")
        assert head["ServerSideEncryption"] == encryption
        assert head.get("SSEKMSKeyId") == kms_key_id


async def test_check_reachable_says_why_a_bucket_cannot_be_used(
    s3: StoreUnderTest, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await s3.store.check_reachable()
    with pytest.raises(BucketUnreachable, match="'undersign-no-such-bucket' does not exist"):
        await S3BlobStore("undersign-no-such-bucket", endpoint_url=s3_endpoint).check_reachable()

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(BucketUnreachable, match="cannot be reached: Unable to locate credentials"):
        await S3BlobStore(s3.store.bucket, endpoint_url=s3_endpoint).check_reachable()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://documents", {"bucket": "documents", "prefix": ""}),
        ("s3://documents/undersign/prod/", {"bucket": "documents", "prefix": "undersign/prod"}),
        (
            "s3://documents/undersign?endpoint_url=http://127.0.0.1:9000&region=eu-west-3&addressing_style=path"
            "&sse=aws:kms&sse_kms_key_id=alias/undersign",
            {
                "bucket": "documents",
                "prefix": "undersign",
                "_endpoint_url": "http://127.0.0.1:9000",
                "_region": "eu-west-3",
                "_addressing_style": "path",
                "_encryption": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/undersign"},
            },
        ),  # fmt: skip
        ("s3://documents?sse=AES256", {"_encryption": {"ServerSideEncryption": "AES256"}, "_addressing_style": "auto"}),
    ],
)
def test_from_url_reads_every_option(url: str, expected: dict[str, Any]) -> None:
    store = S3BlobStore.from_url(url)
    assert {name: getattr(store, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://", "names its bucket"),
        ("s3:///prefix", "names its bucket"),
        ("https://documents/prefix", "starts with s3://"),
        ("s3://documents?colour=blue", "unknown S3 blob store URL option"),
        ("s3://documents?region=eu-west-3&region=us-east-1", "exactly one non-empty value"),
        ("s3://documents?region=", "exactly one non-empty value"),
        ("s3://documents?addressing_style=sideways", "addressing style 'sideways'"),
        ("s3://documents?sse=rot13", "server-side encryption 'rot13'"),
        ("s3://documents?sse_kms_key_id=alias/x", "needs server-side encryption aws:kms"),
        ("s3://AKIAEXAMPLE:secret@documents", "never holds credentials"),
        ("s3://documents?endpoint_url=http://AKIAEXAMPLE:secret@127.0.0.1:9000", "never holds credentials"),
        ("s3://documents?endpoint_url=ftp://127.0.0.1", "http(s)://host"),
        ("s3://docu ments", "not an S3 bucket name"),
        ("s3://documents/../etc", "unsafe S3 key prefix"),
        ("s3://documents#fragment", "no #fragment"),
    ],
)
def test_from_url_refuses_what_it_cannot_use(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        S3BlobStore.from_url(url)
    assert "secret" not in str(refused.value)
