"""Downloads at the HTTP edge: one byte range, If-None-Match, If-Range, and a corrupted blob
refused before the status line (entrypoints/http/downloads.py)."""

from __future__ import annotations

import hashlib

import pytest

from tests.fakes.system import FakeBlobStore
from undersign.application.shared.errors import BlobCorrupted
from undersign.application.shared.stored_files import StoredFile
from undersign.entrypoints.http.downloads import ByteRange, Unsatisfiable, download_response, requested_range

CONTENT = bytes(range(256)) * 40  # 10,240 bytes
SIZE = len(CONTENT)
ETAG = '"abc"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, SIZE - 1)),
        ("bytes=-100", ByteRange(SIZE - 100, SIZE - 1)),
        ("bytes=-99999", ByteRange(0, SIZE - 1)),  # a suffix longer than the file: all of it
        ("bytes=10-99999", ByteRange(10, SIZE - 1)),  # a last byte past the end: up to the end
        (f"bytes={SIZE - 1}-", ByteRange(SIZE - 1, SIZE - 1)),
        (" bytes=5-5 ", ByteRange(5, 5)),
    ],
)
def test_one_range_is_read_as_rfc_9110_says(header, expected):
    assert requested_range(header, None, SIZE, ETAG) == expected


@pytest.mark.parametrize(
    "header",
    [None, "bytes=0-1,5-6", "items=0-1", "bytes=", "bytes=-", "bytes=5-2", "bytes=a-b", "bytes=1-2-3",
     "bytes=" + "9" * 20 + "-"],
)
def test_anything_else_is_ignored_and_the_whole_file_sent(header):
    assert requested_range(header, None, SIZE, ETAG) is None


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        requested_range(header, None, SIZE, ETAG)


def test_if_range_serves_the_range_only_while_the_etag_is_current():
    assert requested_range("bytes=0-9", ETAG, SIZE, ETAG) == ByteRange(0, 9)
    assert requested_range("bytes=0-9", '"older"', SIZE, ETAG) is None


@pytest.fixture
async def stored() -> StoredFile:
    blobs = FakeBlobStore()
    await blobs.put("t/doc.pdf", CONTENT)
    return StoredFile(
        filename="Lease «draft».pdf", sha256=hashlib.sha256(CONTENT).hexdigest(), size=SIZE,
        blob_key="t/doc.pdf", blobs=blobs,
    )


async def body(response) -> bytes:
    return b"".join([chunk async for chunk in response.iterator])


async def test_the_whole_file_streams_with_its_etag_and_name(stored):
    response = await download_response(stored)

    assert response.status_code == 200 and await body(response) == CONTENT
    headers = response.headers
    assert headers["ETag"] == f'"{stored.sha256}"' and headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Length"] == str(SIZE) and "Content-Range" not in headers
    assert headers["Content-Disposition"] == "attachment; filename=\"Lease _draft_.pdf\"; " \
        "filename*=UTF-8''Lease%20%C2%ABdraft%C2%BB.pdf"
    assert stored.blobs.open_files == set()  # the local file went once the body was sent


async def test_one_range_is_a_206_with_exactly_those_bytes(stored):
    response = await download_response(stored, byte_range="bytes=1000-1999")

    assert response.status_code == 206 and await body(response) == CONTENT[1000:2000]
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{SIZE}"
    assert response.headers["Content-Length"] == "1000"
    assert stored.blobs.open_files == set()


async def test_a_range_past_the_end_is_a_416_that_gives_the_size(stored):
    response = await download_response(stored, byte_range=f"bytes={SIZE}-")

    assert response.status_code == 416 and response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.content["code"] == "range_not_satisfiable"
    assert stored.blobs.open_files == set()  # nothing was opened


@pytest.mark.parametrize("held", ["\"{}\"", "W/\"{}\"", "\"other\", \"{}\"", "*"])
async def test_bytes_the_client_holds_are_a_304_and_nothing_is_opened(stored, held):
    stored.blobs.blobs.clear()  # opening would fail: it must not happen

    response = await download_response(stored, if_none_match=held.format(stored.sha256))

    assert response.status_code == 304 and response.headers["ETag"] == f'"{stored.sha256}"'


async def test_other_bytes_held_are_sent_again(stored):
    response = await download_response(stored, if_none_match='"' + "0" * 64 + '"')
    assert response.status_code == 200 and await body(response) == CONTENT


async def test_a_blob_that_no_longer_matches_its_sha256_is_refused_before_any_status(stored):
    stored.blobs.blobs[stored.blob_key] = CONTENT[:-1] + b"X"

    with pytest.raises(BlobCorrupted) as refused:
        await download_response(stored)

    assert refused.value.code == "stored_document_corrupted" and refused.value.key == stored.blob_key
    assert stored.blobs.open_files == set()
