"""REST v1: verify any PDF's signatures. An API key is required; no tenant data is read or kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody

from undersign.application.access.permissions import Caller, Permission
from undersign.application.evidence.verification import VerifyPdf, VerifyPdfHandler
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.moments import moment, moment_parameter
from undersign.entrypoints.verification_report import VerificationReportOut, verification_report_out


@dataclass
class VerifyUpload:
    """The multipart form: the PDF as `file`; optionally `trust_root`, PEM certificates to trust instead of ours."""

    file: UploadFile
    trust_root: UploadFile | None = None


@post("/v1/verify", status_code=200, tags=["verification"], **requires(Permission.VERIFY_DOCUMENTS))
async def verify(
    data: MultipartBody[VerifyUpload],
    caller: NamedDependency[Caller],
    verify_pdf: NamedDependency[VerifyPdfHandler],
    at: Annotated[str | None, moment_parameter("validate as if the clock read this time (ISO 8601 with an offset); default now")] = None,
) -> VerificationReportOut:
    """Every signature's report and the verdict on the document; `valid` is true only if all hold."""
    trust_roots = [await data.trust_root.read()] if data.trust_root is not None else None
    command = VerifyPdf(caller=caller, pdf=await data.file.read(), trust_roots=trust_roots, at=moment(at, "at"))
    report = await verify_pdf(command)
    return verification_report_out(report)
