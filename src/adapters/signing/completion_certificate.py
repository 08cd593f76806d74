"""The certificate of completion rendered as a PDF with ReportLab (platypus layout, embedded fonts).

ReportLab's invariant mode leaves out the creation date and the random document id, so
the same certificate always gives the same bytes. The fonts are the ones Undersign ships
(Noto Sans, Noto Sans Arabic, Noto Sans CJK; see script_fonts), embedded as subsets, so
names and other text people typed show as written in every viewer, in any script: each
line is cut into runs, one font and one direction each, put in the order they are drawn;
ReportLab shapes each run with HarfBuzz (Arabic joining forms). A right-to-left run is
given to ReportLab word by word in drawing order, so a right-to-left name that had to wrap
onto a second line would wrap from its last word; the names here fit on their line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeFragWord
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from undersign.adapters.signing.completion_certificate_pdfa import certificate_as_pdfa3
from undersign.adapters.signing.script_fonts import FACES, Face, font_path, undrawable, visual_runs
from undersign.application.evidence.completion_certificate import CompletionCertificate, RecipientEvidence


def _font_name(face: Face, *, bold: bool) -> str:
    # A face without a bold file (CJK) is drawn regular in bold text too: one embedded font.
    return f"Undersign{face.key.capitalize()}{'-Bold' if bold and face.bold else ''}"


_FONT_FILES = {_font_name(face, bold=bold): face.file(bold=bold) for face in FACES for bold in (False, True)}
_FONT, _BOLD = _font_name(FACES[0], bold=False), _font_name(FACES[0], bold=True)
_MARGIN = 18 * mm

# shaping: ReportLab shapes each word with HarfBuzz (uharfbuzz), which Arabic needs.
_BODY = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=11.5, shaping=1)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=7.5, leading=9.5)
# Hashes, serials and user agents have no spaces: let them break anywhere.
_CODE = ParagraphStyle("code", parent=_SMALL, wordWrap="CJK")
_TITLE = ParagraphStyle("title", parent=_BODY, fontName=_BOLD, fontSize=17, leading=21, spaceAfter=2 * mm)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontName=_BOLD, fontSize=11.5, leading=14, spaceBefore=5 * mm, spaceAfter=2 * mm)
_LABEL = ParagraphStyle("label", parent=_SMALL, fontName=_BOLD)

_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        # A cell selects its font before its paragraphs draw: Helvetica by default (see initialFontName).
        ("FONTNAME", (0, 0), (-1, -1), _FONT),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8bec6")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)
_HEADER_ROW = TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ebef"))])


class _Paragraph(Paragraph):
    """A paragraph laid out once per width: a table cell is asked its size three times or more
    (the table's height, KeepTogether's fit, the draw), each a full line-break and shaping pass.

    The layout depends on the width alone (and the text and style, which do not change), and
    the paragraph keeps the last one it made for drawing: asked again at that width, it
    answers with it.
    """

    _laid_out_at: float | None = None

    def wrap(self, availWidth, availHeight):  # noqa: N803 - ReportLab's names
        if availWidth == self._laid_out_at:
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        self._laid_out_at = availWidth if size[0] == availWidth else None  # not when it refused a width too narrow
        return size


class ReportLabCompletionCertificateRenderer:
    def __init__(self) -> None:
        # Once per process: ReportLab's font registry is global.
        _register_fonts()

    async def render(self, certificate: CompletionCertificate) -> bytes:
        return await asyncio.to_thread(_render, certificate)


def _render(certificate: CompletionCertificate) -> bytes:
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"Certificate of completion: {certificate.subject}",
        author="Undersign",
        subject=f"Envelope {certificate.envelope_id}",
        creator="Undersign",
        invariant=1,
        # Each page opens by selecting a font in an empty text object: Helvetica by default, which
        # is not embedded, and PDF/A checks every font a page names, used or not.
        initialFontName=_FONT,
    )
    width = A4[0] - 2 * _MARGIN
    story = [
        _Paragraph("Certificate of completion", _TITLE),
        _Paragraph(
            "This certificate records how the envelope below was completed: who acted, when, from where, "
            "with which certificate, and over which exact documents; then the envelope's audit trail, each "
            "entry chained to the one before by its SHA-256 hash. It is sealed by the platform.",
            _BODY,
        ),
        _Paragraph("Envelope", _HEADING),
        _key_values(_envelope_rows(certificate), width),
        _Paragraph("Documents", _HEADING),
        *[
            _key_values(
                [
                    ("Document", _text(f"{d.filename} ({d.pages} page{'s' if d.pages != 1 else ''})")),
                    ("SHA-256 as uploaded", _code(d.original_sha256)),
                    ("SHA-256 as completed", _code(d.final_sha256)),
                ],
                width,
                space_after=True,
            )
            for d in certificate.documents
        ],
        _Paragraph("Recipients", _HEADING),
        *[_recipient(recipient, width) for recipient in certificate.recipients],
        _Paragraph("Audit trail", _HEADING),
        _Paragraph(
            f"{len(certificate.audit)} events; hash chain {'intact' if certificate.chain_valid else 'BROKEN'}. "
            "Each hash is shown by its first characters; the chain's last hash in full:",
            _BODY,
        ),
        _Paragraph(escape(certificate.chain_head or "(no events)"), _CODE),
        Spacer(1, 2 * mm),
        _table(
            ["#", "Event", "Time (UTC)", "Actor", "Hash"],
            [
                [_text(str(e.seq)), _text(e.type), _text(_time(e.at)), _code(e.actor), _code(e.hash_prefix)]
                for e in certificate.audit
            ],
            [0.06, 0.22, 0.24, 0.26, 0.22],
            width,
        ),
    ]
    document.build(story, onFirstPage=_footer(certificate), onLaterPages=_footer(certificate))
    return certificate_as_pdfa3(out.getvalue(), certificate)  # PDF/A-3b, the audit trail attached


def _envelope_rows(certificate: CompletionCertificate) -> list[tuple[str, Paragraph]]:
    return [
        ("Subject", _text(certificate.subject)),
        ("Envelope id", _code(certificate.envelope_id)),
        ("Status", _text(certificate.status)),
        ("Routing", _text(certificate.routing)),
        ("Signature level", _text(certificate.signature_level or "-")),
        ("Created", _text(_time(certificate.created_at))),
        ("Sent", _text(_time(certificate.sent_at))),
        ("Completed", _text(_time(certificate.completed_at))),
    ]


def _recipient(recipient: RecipientEvidence, width: float) -> KeepTogether:
    rows = [
        ("Email", _code(recipient.email)),
        ("Role", _text(f"{recipient.role} (routing order {recipient.routing_order}), {recipient.status}")),
        ("Acted", _text(_time(recipient.acted_at))),
        ("Authentication", _text(recipient.auth_method or "-")),
        ("IP address", _code(recipient.ip or "-")),
        ("User agent", _code(recipient.user_agent or "-")),
        ("Certificate serials", _code(", ".join(recipient.certificate_serials) or "-")),
    ]
    for revision in recipient.revisions:
        rows.append((f"{revision.filename}: SHA-256 before", _code(revision.before_sha256)))
        rows.append((f"{revision.filename}: SHA-256 after", _code(revision.after_sha256)))
    name = _Paragraph(_markup(recipient.name, bold=True), _LABEL)
    return KeepTogether([name, Spacer(1, 1 * mm), _key_values(rows, width), Spacer(1, 3 * mm)])


def _key_values(rows: Iterable[tuple[str, Paragraph]], width: float, *, space_after: bool = False) -> Table:
    table = Table(
        [[_Paragraph(_markup(k, bold=True), _LABEL), v] for k, v in rows],
        colWidths=[0.26 * width, 0.74 * width],
        spaceAfter=3 * mm if space_after else 0,
    )
    table.setStyle(_GRID)
    return table


def _table(header: list[str], rows: list[list[Paragraph]], fractions: list[float], width: float) -> Table:
    table = Table(
        [[_Paragraph(escape(h), _LABEL) for h in header], *rows],
        colWidths=[f * width for f in fractions],
        repeatRows=1,
    )
    table.setStyle(_GRID)
    table.setStyle(_HEADER_ROW)
    return table


def _text(value: str) -> Paragraph:
    return _Paragraph(_markup(value), _SMALL)


def _markup(value: str, *, bold: bool = False) -> str:
    """Paragraph markup for text in any script: one <font> per run, runs in drawing order.

    Characters no shipped font has are drawn as U+FFFD and listed after the text by their
    code points, so the certificate still records exactly what was given.
    """
    parts = []
    for run in visual_runs(value):
        # Words in drawing order, each in reading order for HarfBuzz to shape right to left.
        text = " ".join(reversed(run.text.split(" "))) if run.rtl else run.text
        parts.append(f'<font face="{_font_name(run.face, bold=bold)}">{escape(text)}</font>')
    if missing := undrawable(value):
        code_points = " ".join(f"U+{ord(c):04X}" for c in missing)
        parts.append(f'<font face="{_font_name(FACES[0], bold=bold)}"> ({code_points})</font>')
    return "".join(parts)


def _code(value: str) -> Paragraph:
    return _Paragraph(_markup(value), _CODE)


def _time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _footer(certificate: CompletionCertificate):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7)
        canvas.setFillColor(colors.HexColor("#5b6470"))
        canvas.drawString(_MARGIN, 10 * mm, f"Undersign certificate of completion, envelope {certificate.envelope_id}")
        canvas.drawRightString(A4[0] - _MARGIN, 10 * mm, f"page {document.page}")
        canvas.restoreState()

    return draw


def _register_fonts() -> None:
    # ReportLab's default shaping features add ligatures: discretionary ones (dlig) turn the
    # name محمد into the honorific ligature ﷴ, and standard ones (liga) draw "fi" as one
    # glyph that text extraction gives back as "ﬁ". A name is drawn as written and the text
    # extracts as written: both off. Arabic's required forms and ligatures (init, medi, fina,
    # rlig) are always on in HarfBuzz. The dictionary is ReportLab's default argument.
    shapeFragWord.__defaults__[0].update(liga=False, dlig=False)
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file in _FONT_FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(font_path(file))))
