"""PDF/A: telling a PDF/A document by its XMP, keeping it PDF/A when signing, and making one.

An archive wants PDF/A, so a PDF/A-1b/2b/3b upload stays one through every signature and the
seal, and the certificate of completion is made PDF/A-3b with the audit trail attached.

What signing must not break (ISO 19005; pyHanko's incremental updates keep the rest):
- the version: PDF/A-1 is based on PDF 1.4 and PDF/A-2 and -3 on PDF 1.7 (ISO 32000-1), while
  pyHanko moves a document to PDF 2.0 and registers the ISO 32002 developer extension for
  every ECDSA signature on a registered curve (P-256, ours). ETSI EN 319 142-1 allows ECDSA
  in PAdES on PDF 1.7, so for a PDF/A document `PdfaKeepingSigner` registers only the ESIC
  extension (PAdES on PDF 1.7), as pyHanko itself does for RSA. pyHanko's incremental writer
  still sets a PDF 1.4 document's catalog /Version to 1.7 (the header stays %PDF-1.4, which
  is what veraPDF's PDF/A-1 profile reads; pikepdf's validator notes the catalog version).
- the XMP identification (pdfaid:part, pdfaid:conformance): pyHanko rewrites the XMP packet
  with each update (modification date, producer) and keeps the properties it does not manage,
  provided the packet was read as a metadata stream (see `pdfa_identification`), and it
  updates the same entries in the document information dictionary, the producer aside
  (`_producer_as_in_xmp`), so the two agree.
- no construct PDF/A forbids: a signature adds no JavaScript, no transparency, no
  /NeedAppearances; an invisible signature's widget has a zero-size rectangle (which needs no
  appearance) and the Print flag.

The certificate of completion is made PDF/A-3b with pikepdf's PDF/A module: it installs the
sRGB output intent (the ICC profile pikepdf ships), the XMP identification and metadata agreeing
with the information dictionary, then validates the bytes it wrote against the rules of the
veraPDF profiles it implements, and refuses to return a file that does not pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

import pikepdf
import pikepdf.pdfa
from pikepdf.models.metadata import encode_pdf_date
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.metadata.model import VENDOR, ExpandedName
from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSigner
from pyhanko.sign.signers import constants as signer_constants

_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_PDFAID_PART = ExpandedName(ns=_PDFAID_NS, local_name="part")
_PDFAID_CONFORMANCE = ExpandedName(ns=_PDFAID_NS, local_name="conformance")


@dataclass(frozen=True, slots=True)
class PdfaIdentification:
    part: int
    conformance: str

    def __str__(self) -> str:
        return f"PDF/A-{self.part}{self.conformance.lower()}"


def pdfa_identification(root: generic.DictionaryObject) -> PdfaIdentification | None:
    """The PDF/A part and conformance a document's catalog claims in its XMP, or None.

    Read with pyHanko's own XMP model, the one it updates on every incremental update, so
    what is read here is what pyHanko keeps. A packet that cannot be read claims nothing.
    """
    try:
        if "/Metadata" not in root:
            return None
        # As a metadata stream: read plainly, the stream would sit in the reader's cache as
        # a bare StreamObject, and pyHanko would then write a new XMP packet of its own on
        # the next update instead of updating this one, losing pdfaid with the rest.
        ref = root.get_value_as_reference("/Metadata")
        stream = ref.get_pdf_handler().get_object(ref, as_metadata_stream=True)
        if not isinstance(stream, MetadataStream):
            return None
        fields = {name: value for structure in stream.xmp for name, value in structure}
    except Exception:  # noqa: BLE001 - an unreadable packet is no claim
        return None
    part = fields.get(_PDFAID_PART)
    conformance = fields.get(_PDFAID_CONFORMANCE)
    if part is None or not isinstance(part.value, str) or not part.value.strip().isdigit():
        return None
    level = conformance.value.strip().upper() if conformance is not None and isinstance(conformance.value, str) else ""
    return PdfaIdentification(part=int(part.value.strip()), conformance=level)


class PdfaKeepingSigner(PdfSigner):
    """pyHanko's PdfSigner, but a PDF/A document keeps a PDF/A version.

    pyHanko registers its developer extensions in `register_extensions`, the one place
    that raises the version for the signature algorithm (ISO 32002 for ECDSA on a named
    curve means PDF 2.0, which no PDF/A part before PDF/A-4 allows). For a PDF/A document
    only the ESIC extension is registered, as pyHanko does for PAdES on PDF 1.7; any
    other document is left to pyHanko. If the digest asks for PDF 2.0 too (SHA-3, ISO
    32001), signing a PDF/A document is refused rather than made non-conformant.
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        if pdfa_identification(pdf_out.root) is None:
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        if md_algorithm.startswith("sha3_") or md_algorithm == "shake256":
            raise SigningError(f"{md_algorithm} needs PDF 2.0, which a PDF/A document before PDF/A-4 cannot be")
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(signer_constants.ESIC_EXTENSION_1)
        _producer_as_in_xmp(pdf_out)


def _producer_as_in_xmp(pdf_out: BasePdfFileWriter) -> None:
    """The information dictionary's /Producer as pyHanko will write it in the XMP.

    On every update pyHanko sets the XMP's pdf:Producer to itself but appends itself to
    the information dictionary's /Producer ("ReportLab; pyHanko 0.38.0"): PDF/A-1 wants
    the two equivalent (ISO 19005-1 6.7.3). Made equal here, pyHanko leaves it so.
    """
    try:
        info = pdf_out.trailer["/Info"]
    except KeyError:
        return
    if isinstance(info, generic.DictionaryObject) and "/Producer" in info:
        info["/Producer"] = generic.TextStringObject(VENDOR)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file to embed as an associated file of the whole document (PDF/A-3)."""

    filename: str
    data: bytes
    mime_type: str
    description: str
    # /Data: the data the document's content shows (ISO 32000-2 Table 43).
    relationship: str = "/Data"
    modified: datetime | None = None


class PdfaConversionFailed(Exception):
    """The PDF written did not pass the PDF/A checks; the findings say why."""


def as_pdfa(pdf: bytes, *, part: int, attachments: tuple[Attachment, ...] = ()) -> bytes:
    """`pdf` as PDF/A-{part}b (1, 2 or 3): sRGB output intent, XMP identification, checked.

    Attachments need PDF/A-3 (PDF/A-2 allows only PDF/A files inside). The output's
    trailer /ID is derived from its content, so the same input gives the same bytes.
    """
    if attachments and part != 3:
        raise ValueError("only PDF/A-3 can carry attachments other than PDF/A files")
    flavour = f"{part}b"
    with pikepdf.open(BytesIO(pdf)) as document:
        _drop_empty_transitions(document)
        if attachments:
            _attach(document, attachments)
        pikepdf.pdfa.prepare(document, flavour)  # the sRGB output intent, the XMP identification
        # prepare records the time it ran as the metadata date: the document's own
        # modification date instead, so the same input gives the same bytes.
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
            if "xmp:ModifyDate" in metadata:
                metadata["xmp:MetadataDate"] = metadata["xmp:ModifyDate"]
        out = BytesIO()
        try:
            # Writes, then validates what it wrote; refuses a file that does not pass.
            pikepdf.pdfa.save(document, out, flavour, repair=False, deterministic_id=True)
        except pikepdf.pdfa.PdfaError as error:
            findings = "; ".join(f"{f.rule}: {f.message}" for f in error.report.findings[:10])
            raise PdfaConversionFailed(f"the document is not PDF/A-{flavour} once written: {findings}") from error
        return out.getvalue()


def with_attachments(pdf: bytes, attachments: tuple[Attachment, ...]) -> bytes:
    """`pdf` with `attachments` associated to the whole document, and no PDF/A claim."""
    with pikepdf.open(BytesIO(pdf)) as document:
        _attach(document, attachments)
        out = BytesIO()
        document.save(out, deterministic_id=True)
        return out.getvalue()


def as_pdfa3(pdf: bytes, *, attachment: Attachment) -> bytes:
    """`pdf` as PDF/A-3b with `attachment` associated to the whole document."""
    return as_pdfa(pdf, part=3, attachments=(attachment,))


def _attach(document: pikepdf.Pdf, attachments: tuple[Attachment, ...]) -> None:
    associated = pikepdf.Array()
    for attachment in attachments:
        modified = attachment.modified or datetime(2000, 1, 1, tzinfo=UTC)
        spec = pikepdf.AttachedFileSpec(
            document,
            attachment.data,
            description=attachment.description,
            filename=attachment.filename,
            mime_type=attachment.mime_type,
            creation_date=_pdf_date(modified),
            mod_date=_pdf_date(modified),
            relationship=pikepdf.Name(attachment.relationship),
        )
        document.attachments[attachment.filename] = spec
        associated.append(spec.obj)
    document.Root.AF = document.make_indirect(associated)


def _drop_empty_transitions(document: pikepdf.Pdf) -> None:
    # ReportLab writes an empty page transition dictionary on every page. It means nothing
    # (no transition), and pikepdf's allowlist does not check /Trans, so it would not pass.
    for page in document.pages:
        transition = page.obj.get("/Trans")
        if isinstance(transition, pikepdf.Dictionary) and not transition.keys():
            del page.obj["/Trans"]




def _pdf_date(moment: datetime) -> str:
    return encode_pdf_date(moment.astimezone(UTC))

