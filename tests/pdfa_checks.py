"""PDF/A samples and checks: what can be checked here of ISO 19005 (structure, metadata, forms).

Two kinds of check. pikepdf's PDF/A validator (an allowlist of the veraPDF rules it
implements, for PDF/A-1b, 2b and 3b) must find no violation; what it does not check at all
(interactive forms, a DSS, embedded files) it names, and those names are the only ones
allowed. Then the rules a signature could break, checked on the structure directly: the
version (header and catalog), the XMP identification, the output intents, no ISO 32002
(PDF 2.0) extension, and in the form no /NeedAppearances, no JavaScript, and every widget
printable and with an appearance unless it has no area. Fonts are not checked here.
"""

from __future__ import annotations

import hashlib
import re
from io import BytesIO

import pikepdf.pdfa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from undersign.adapters.signing.pdfa import Attachment, PdfaIdentification, as_pdfa, pdfa_identification

_SAMPLE_FONT = "PdfaSampleVera"
# What pikepdf's validator does not check and says so ("unsupported"), for a signed document.
NOT_CHECKED_BY_PIKEPDF = (
    "interactive forms (/AcroForm) are not supported",
    "unrecognized key(s) /DSS are not checked",
    "embedded files are not supported",
    # pyHanko's incremental writer sets the catalog's /Version to 1.7; the header stays 1.4.
    "PDF/A-1 files are limited to PDF 1.4",
)
_PRINT, _HIDDEN, _INVISIBLE, _NO_VIEW = 4, 2, 1, 32


def make_pdfa_pdf(part: int) -> bytes:
    """A one-page PDF/A-{part}b document (ReportLab, an embedded TrueType font); PDF/A-3 with an attachment."""
    if _SAMPLE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_SAMPLE_FONT, "Vera.ttf"))
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1, initialFontName=_SAMPLE_FONT)
    page.setTitle(f"A PDF/A-{part}b contract")
    page.setAuthor("Undersign tests")
    page.setFont(_SAMPLE_FONT, 14)
    page.drawString(72, 760, f"An archived contract, PDF/A-{part}b")
    page.showPage()
    page.save()
    attachments = (
        (Attachment(filename="terms.xml", data=b"<terms/>", mime_type="application/xml", description="The terms"),)
        if part == 3
        else ()
    )
    return as_pdfa(out.getvalue(), part=part, attachments=attachments)


def pikepdf_findings(pdf: bytes, part: int) -> list[tuple[str, str, str]]:
    """pikepdf's findings on `pdf` as PDF/A-{part}b: (kind, rule, message) each."""
    report = pikepdf.pdfa.validate_written(BytesIO(pdf), f"{part}b")
    return [(finding.kind, finding.rule, finding.message) for finding in report.findings]


def pikepdf_objections(pdf: bytes, part: int) -> list[tuple[str, str, str]]:
    """pikepdf's findings less those naming what it does not check: empty for a conformant document."""
    return [f for f in pikepdf_findings(pdf, part) if f[0] == "violation" or f[2] not in NOT_CHECKED_BY_PIKEPDF]


def header_version(pdf: bytes) -> tuple[int, int]:
    match = re.match(rb"%PDF-(\d)\.(\d)", pdf)
    assert match, pdf[:16]
    return int(match[1]), int(match[2])


def catalog_version(pdf: bytes) -> tuple[int, int] | None:
    version = _reader(pdf).root.get("/Version")
    if version is None:
        return None
    major, minor = str(version).lstrip("/").split(".")
    return int(major), int(minor)


def extensions(pdf: bytes) -> set[str]:
    return set(_reader(pdf).root.get("/Extensions", generic.DictionaryObject()).keys())


def identification(pdf: bytes) -> PdfaIdentification | None:
    return pdfa_identification(_reader(pdf).root)


def output_intent_profiles(pdf: bytes) -> list[tuple[str, str]]:
    """(/S, SHA-256 of the ICC profile) of each output intent."""
    intents = _reader(pdf).root.get("/OutputIntents", generic.ArrayObject())
    return [
        (str(intent["/S"]), hashlib.sha256(intent["/DestOutputProfile"].get_object().data).hexdigest())
        for intent in (i.get_object() for i in intents)
    ]


def form_problems(pdf: bytes) -> list[str]:
    """What in the form, the widgets or the catalog PDF/A forbids (ISO 19005-2 6.3.2, 6.4, 6.6, 6.9)."""
    problems = []
    with pikepdf.open(BytesIO(pdf)) as document:
        root = document.Root
        form = root.get("/AcroForm")
        if form is not None:
            if bool(form.get("/NeedAppearances", False)):
                problems.append("/NeedAppearances true")
            if "/XFA" in form:
                problems.append("XFA form")
        if "/JavaScript" in root.get("/Names", {}):
            problems.append("document JavaScript")
        if "/AA" in root:
            problems.append("catalog additional actions")
        if isinstance(root.get("/OpenAction"), pikepdf.Dictionary) and root.OpenAction.get("/S") != "/GoTo":
            problems.append(f"open action {root.OpenAction.get('/S')}")
        for number, page in enumerate(document.pages, start=1):
            for annotation in page.obj.get("/Annots", []):
                where = f"page {number} {annotation.get('/Subtype')} {annotation.get('/T', '')}"
                flags = int(annotation.get("/F", 0))
                if not flags & _PRINT or flags & (_HIDDEN | _INVISIBLE | _NO_VIEW):
                    problems.append(f"{where}: flags {flags} (must print, not be hidden)")
                if "/AA" in annotation or "/A" in annotation:
                    problems.append(f"{where}: an action")
                x1, y1, x2, y2 = (float(v) for v in annotation.get("/Rect", [0, 0, 0, 0]))
                normal = annotation.get("/AP", {}).get("/N")
                if abs(x2 - x1) * abs(y2 - y1) > 0 and normal is None:
                    problems.append(f"{where}: no normal appearance")
                if normal is not None:
                    problems.extend(f"{where}: {p}" for p in _transparency(normal))
    return problems


def _transparency(appearance: pikepdf.Object) -> list[str]:
    """Transparency in an appearance stream (a group, a soft mask, a constant alpha below 1)."""
    if not isinstance(appearance, pikepdf.Stream):  # a dictionary of appearance states: each
        return [p for state in appearance.values() for p in _transparency(state)]
    problems = []
    group = appearance.get("/Group")
    if group is not None and group.get("/S") == "/Transparency":
        problems.append("a transparency group")
    for state in appearance.get("/Resources", {}).get("/ExtGState", {}).values():
        if state.get("/SMask", pikepdf.Name("/None")) != pikepdf.Name("/None"):
            problems.append("a soft mask")
        if any(float(state.get(key, 1)) < 1 for key in ("/CA", "/ca")):
            problems.append("constant alpha below 1")
    return problems


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf))
