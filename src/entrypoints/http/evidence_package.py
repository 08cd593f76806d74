"""The evidence package as an HTTP download: the ZIP streamed from its scratch file, never whole in memory,
and the scratch file removed once the response is over."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AsyncExitStack

from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from undersign.application.evidence.package import EvidencePackage
from undersign.entrypoints.http.downloads import ByteRange, attachment, file_chunks


async def package_response(exporting: AbstractAsyncContextManager[EvidencePackage]) -> Stream:
    """The package as an attachment, `evidence-<envelope id>.zip`.

    It is made (and any refusal raised, as a problem response) before the status line goes out;
    its scratch file is removed after the last chunk or, should the body never be read, once the
    response is over.
    """
    made = AsyncExitStack()
    package = await made.enter_async_context(exporting)
    headers = {
        "Content-Disposition": attachment(f"evidence-{package.envelope_id}.zip"), "Content-Length": str(package.size),
    }
    return Stream(
        file_chunks(package.path, ByteRange(0, package.size - 1), made), media_type="application/zip", headers=headers,
        background=BackgroundTask(made.aclose),
    )
