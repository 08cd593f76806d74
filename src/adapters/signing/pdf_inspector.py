"""Reading an uploaded PDF: is it one the platform can sign and hand to signers, and how big are its pages.

Refused, each with its own problem code, before anything is stored:
- not a PDF, empty, truncated or damaged, encrypted, already signed, no pages, a page
  smaller than 3 or larger than 14,400 points either way (ISO 32000-1, annex C)
  (`invalid_document`);
- a file that is also something else: bytes before the `%PDF-` header or after the last
  `%%EOF`, or a ZIP archive (`pdf_polyglot`);
- anything that runs when the document is opened or used (`pdf_active_content`; what that
  is, active_content.py says). Refused rather than removed: the original a sender uploads is
  kept unchanged as the first revision, and what signers sign is exactly it;
- more pages, objects or levels of nesting than PdfLimits allows (`pdf_too_complex`).

The reading itself runs in a child process with a time and memory limit (sandbox.py);
pyHanko's own decoding limits bound what any one stream may inflate to.
"""

from __future__ import annotations

import os
import zipfile
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from undersign.adapters.signing.active_content import entry_of, first_active_content
from undersign.adapters.signing.page_geometry import PageGeometry, iter_pages
from undersign.adapters.signing.pdf_errors import refusal_for
from undersign.adapters.signing.sandbox import PdfLimits, PdfSandbox
from undersign.application.shared.errors import InvalidDocument, PdfActiveContent, PdfPolyglot, PdfTooComplex
from undersign.application.shared.pdf import PdfInfo
from undersign.domain.field import PageSize

# ISO 32000-1 annex C: pages are 3 to 14,400 units each way.
MIN_PAGE_POINTS, MAX_PAGE_POINTS = 3.0, 14_400.0
# Where the trailer's startxref must be: in the last kilobyte, as readers look for it there.
_TRAILER_WINDOW = 1024
_END_PADDING = b"\x00\t\n\f\r "

class PyHankoPdfInspector:
    def __init__(self, sandbox: PdfSandbox | None = None) -> None:
        self._sandbox = sandbox or PdfSandbox(PdfLimits())

    async def inspect(self, pdf: str) -> PdfInfo:
        # The child process reads the file (the sandbox hands it the path's bytes): the upload
        # never sits whole in the API process.
        return await self._sandbox.run(inspect_pdf_file, os.fsencode(pdf), self._sandbox.limits)


def inspect_pdf_file(path: bytes, limits: PdfLimits = PdfLimits()) -> PdfInfo:
    """`inspect_pdf` on the file at `path` (a file system path, as bytes); runs in the sandbox."""
    with open(path, "rb") as file:
        return inspect_pdf(file.read(), limits)


def inspect_pdf(pdf: bytes, limits: PdfLimits = PdfLimits()) -> PdfInfo:
    """What an upload is, if the platform may keep it (see the module docstring); runs in the sandbox."""
    reader = open_bounded(pdf, limits)
    if "/Encrypt" in reader.trailer:
        raise InvalidDocument(
            "the PDF is encrypted, and encrypted PDFs cannot be signed; remove the encryption "
            "(even one that opens without a password) and upload it again"
        )
    active_content, pages = read_document(reader, limits)
    if active_content:
        raise PdfActiveContent(
            f"the PDF contains {active_content}, which runs when the document is opened or used; "
            "signers are never handed active content: remove it and upload the PDF again"
        )
    if _is_signed(reader):
        raise InvalidDocument(
            "the PDF already carries a digital signature, which the fields and signatures added "
            "here would invalidate; upload the unsigned original"
        )
    return PdfInfo(pages=_sizes(pages))


def read_document(reader: PdfFileReader, limits: PdfLimits) -> tuple[str | None, list[PageGeometry]]:
    """Read every object and every page's contents within `limits`, as any viewer of it would:
    the first active content found (in words; None if there is none) and the pages.

    Raises InvalidDocument (damaged, no pages) or PdfTooComplex. An encrypted document must
    be decrypted first."""
    pages = _pages(reader, limits)  # first: a page count over the limit is the cheapest refusal
    return first_active_content(reader, limits), pages


def open_bounded(pdf: bytes, limits: PdfLimits) -> PdfFileReader:
    """A reader over `pdf` once its bytes are one PDF and its object count is within `limits`."""
    _check_bytes(pdf)
    try:
        reader = PdfFileReader(BytesIO(pdf))
    except Exception as error:  # the parser raises many types on malformed input
        raise refusal_for(error) from error
    objects = sum(len(reader.xrefs.explicit_refs_in_revision(r)) for r in range(reader.xrefs.total_revisions))
    if objects > limits.max_objects:
        raise PdfTooComplex(f"the PDF has {objects} objects; at most {limits.max_objects} are accepted")
    return reader


def _check_bytes(pdf: bytes) -> None:
    if not pdf:
        raise InvalidDocument("the uploaded file is empty")
    if not pdf.startswith(b"%PDF-"):
        if b"%PDF-" in pdf[:_TRAILER_WINDOW]:
            raise PdfPolyglot("the file has bytes before its %PDF- header: it is also something else than a PDF")
        raise InvalidDocument("the uploaded file is not a PDF (it has no %PDF- header)")
    end = pdf.rfind(b"%%EOF")
    if end < 0:
        raise InvalidDocument("the PDF is truncated: it does not end with %%EOF")
    if pdf[end + len(b"%%EOF"):].strip(_END_PADDING):
        raise PdfPolyglot("the file has bytes after the end of the PDF (%%EOF): it is also something else than a PDF")
    if pdf.rfind(b"startxref", max(0, end - _TRAILER_WINDOW), end) < 0:
        raise InvalidDocument("the PDF is damaged: its end has no startxref")
    if _is_zip_archive(pdf):
        raise PdfPolyglot("the file is a ZIP archive as well as a PDF")


def _is_zip_archive(data: bytes) -> bool:
    """Whether ZIP tools would open it as an archive with files in it (not merely find "PK\\5\\6" in an image)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return bool(archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


# -- signatures and pages -------------------------------------------------------------------


def _is_signed(reader: PdfFileReader) -> bool:
    try:
        return bool(reader.embedded_signatures)
    except Exception as error:  # a broken form tree is a damaged file
        raise refusal_for(error) from error


def _pages(reader: PdfFileReader, limits: PdfLimits) -> list[PageGeometry]:
    try:
        tree = reader.root["/Pages"]
        declared = entry_of(tree, "/Count")
        kids = entry_of(tree, "/Kids")
    except Exception as error:  # no page tree, or not a dictionary
        raise refusal_for(error) from error
    # Signing tools (pyHanko's among them) count on a root /Pages node with /Kids and /Count.
    if not isinstance(declared, int) or not isinstance(kids, generic.ArrayObject) or entry_of(tree, "/Type") == "/Page":
        raise InvalidDocument("the PDF is damaged: the root of its page tree is not a /Pages node with /Kids and /Count")
    if declared > limits.max_pages:
        raise PdfTooComplex(f"the PDF has {declared} pages; at most {limits.max_pages} are accepted")
    pages: list[PageGeometry] = []
    try:
        for page in iter_pages(reader):
            pages.append(page)
            if len(pages) > limits.max_pages:
                raise PdfTooComplex(f"the PDF has more than {limits.max_pages} pages; at most {limits.max_pages} are accepted")
        for page in pages:
            _read_contents(page)
    except PdfTooComplex:
        raise
    except Exception as error:  # any failure to walk the page tree means a damaged file
        raise refusal_for(error) from error
    if not pages:
        raise InvalidDocument("the PDF has no pages")
    return pages


def _sizes(pages: list[PageGeometry]) -> list[PageSize]:
    sizes = [page.size for page in pages]
    for number, size in enumerate(sizes, start=1):
        if not (MIN_PAGE_POINTS <= size.width <= MAX_PAGE_POINTS and MIN_PAGE_POINTS <= size.height <= MAX_PAGE_POINTS):
            raise InvalidDocument(
                f"page {number} is {size.width:g} x {size.height:g} points; a page is "
                f"{MIN_PAGE_POINTS:g} to {MAX_PAGE_POINTS:g} points each way"
            )
    return sizes


def _read_contents(page: PageGeometry) -> None:
    """Decode the page's content streams (pyHanko's decoding limits apply), which every
    signer's viewer will: a decompression bomb there is refused here, not sent to them."""
    contents = entry_of(page.ref.get_object(), "/Contents")
    for stream in contents if isinstance(contents, generic.ArrayObject) else [contents]:
        stream = stream.get_object() if isinstance(stream, generic.IndirectObject) else stream
        if isinstance(stream, generic.StreamObject):
            stream.data  # noqa: B018 - decoding is the check
