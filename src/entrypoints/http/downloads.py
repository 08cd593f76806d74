"""Stored files sent to clients: streamed from a checked local file, never whole in memory.

The file is opened, and so checked against its recorded SHA-256, before the status line goes
out: a corrupted blob is a 500 problem, never a 200 that stops half way. The SHA-256 is the
ETag (strong), so `If-None-Match` answers 304 without opening anything, and one byte range
(`Range: bytes=a-b`, `a-`, `-n`; RFC 9110 §14) is served as a 206. Anything else in `Range`
(several ranges, another unit, a malformed value) is ignored and the whole file is sent, as
the RFC allows; an `If-Range` that is not the current ETag does the same.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Annotated, BinaryIO
from urllib.parse import quote

from litestar import Response
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter
from litestar.response import Stream

from undersign.application.shared.stored_files import StoredFile
from undersign.domain.document import DEFAULT_FILENAME
from undersign.entrypoints.http.etags import held_tags
from undersign.entrypoints.http.problems import problem

CHUNK_BYTES = 256 * 1024
# At most 19 digits: any offset a file can have, and no unbounded integer parsing.
ONE_RANGE = re.compile(r"bytes=(?:(\d{1,19})-(\d{0,19})|-(\d{1,19}))")

RangeHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Range", description="One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-1024`): a 206 with that part."
    ),
]
IfRangeHeader = Annotated[
    str | None,
    HeaderParameter(name="If-Range", description="The ETag you hold: the range is served only if it is still current."),
]

DOWNLOAD_HEADERS = [
    ResponseHeader(name="ETag", description="The file's SHA-256, quoted.", documentation_only=True),
    ResponseHeader(
        name="Accept-Ranges", description="`bytes`: one byte range may be asked for.", documentation_only=True
    ),
]
DOWNLOAD_RESPONSES = {
    206: ResponseSpec(None, description="The byte range asked for (`Content-Range` says which)"),
    304: ResponseSpec(None, description="Not modified: the If-None-Match ETag is the file's"),
}


@dataclass(frozen=True, slots=True)
class ByteRange:
    first: int
    last: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class Unsatisfiable(Exception):
    """A well-formed range that no byte of the file is in."""


def requested_range(header: str | None, if_range: str | None, size: int, etag: str) -> ByteRange | None:
    """The one range to serve, or None for the whole file; Unsatisfiable if it lies past the end."""
    if header is None or (if_range is not None and if_range.strip() != etag):
        return None
    match = ONE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last, suffix = match.groups()
    if suffix is not None:
        if int(suffix) == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - int(suffix), 0), size - 1)
    if int(first) >= size:
        raise Unsatisfiable
    end = size - 1 if not last else min(int(last), size - 1)
    return None if end < int(first) else ByteRange(int(first), end)  # `5-2` is invalid: ignored


async def download_response(
    stored: StoredFile, *, if_none_match: str | None = None, byte_range: str | None = None, if_range: str | None = None
) -> Response:
    """The file as an attachment, whole (200) or one range of it (206)."""
    etag = f'"{stored.sha256}"'
    if stored.sha256 in (held := held_tags(if_none_match)) or "*" in held:
        return Response(content=b"", status_code=304, headers={"ETag": etag})
    try:
        wanted = requested_range(byte_range, if_range, stored.size, etag)
    except Unsatisfiable:
        size = stored.size
        return problem(416, "range_not_satisfiable", f"the file has {size} bytes", {"Content-Range": f"bytes */{size}"})
    part = wanted or ByteRange(0, stored.size - 1)
    opened = AsyncExitStack()
    path = await opened.enter_async_context(stored.open())  # checked here, before any byte is sent
    headers = {
        "ETag": etag, "Accept-Ranges": "bytes", "Content-Disposition": attachment(stored.filename),
        "Content-Length": str(part.length),
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {part.first}-{part.last}/{stored.size}"
    return Stream(
        file_chunks(path, part, opened), status_code=206 if wanted else 200, media_type=stored.media_type,
        headers=headers, background=BackgroundTask(opened.aclose),  # also when the body was never started
    )


async def file_chunks(path: str, part: ByteRange, opened: AsyncExitStack) -> AsyncIterator[bytes]:
    """`part` of the file at `path`, a chunk at a time; `opened` (what keeps the file there) is closed at the end."""
    try:
        file: BinaryIO = await asyncio.to_thread(open, path, "rb")
        try:
            await asyncio.to_thread(file.seek, part.first)
            left = part.length
            while left > 0:
                chunk = await asyncio.to_thread(file.read, min(CHUNK_BYTES, left))
                if not chunk:  # the file is shorter than it was when checked: never pad, stop
                    return
                left -= len(chunk)
                yield chunk
        finally:
            file.close()
    finally:
        await opened.aclose()


def attachment(filename: str) -> str:
    """Content-Disposition for a download (RFC 6266): a printable-ASCII fallback name, and the
    exact one percent-encoded (RFC 5987). No character of a name, stored before names were
    cleaned on upload or not, can break the header."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename) or DEFAULT_FILENAME
    exact = quote(filename.encode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
