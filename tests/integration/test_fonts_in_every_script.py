"""Names in every script are drawn as written: stamps, filled fields and the certificate of completion, fonts embedded.

How poppler gives right-to-left text back, and so what these tests compare: tests/font_checks.py.
"""

from __future__ import annotations

import asyncio
import string
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from tests.font_checks import as_read, base_font_names, drawn_order, fonts_added, pdffonts, pdftotext
from tests.integration.test_completion_certificate_pdfa import certificate
from tests.pdf_checks import form_field_values, pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.pdfa_checks import identification
from undersign.adapters.signing import script_fonts
from undersign.adapters.signing.completion_certificate import ReportLabCompletionCertificateRenderer
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.pdfa import PdfaIdentification
from undersign.adapters.signing.script_fonts import ARABIC, CJK, LATIN, REPLACEMENT, drawable, undrawable, visual_runs
from undersign.application.evidence.completion_certificate import RecipientEvidence
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
ARABIC_NAME, CHINESE_NAME, MIXED_NAME, POLISH_NAME = "محمد بن علي", "王芳", "Zoë Ŝtraße 王芳 محمد", "Łukasz Żółć"
NAMES = [ARABIC_NAME, CHINESE_NAME, MIXED_NAME, POLISH_NAME]
NO_FONT_HAS_IT = "Selam ሰላም"  # Ethiopic: no shipped font draws it


# -- helpers ----------------------------------------------------------------------------


def _field(field_id: str, signer_id: str, kind: FieldKind, value: str, y: float, page_rotation: int = 0) -> Field:
    x = 500 if page_rotation else 50
    return Field(
        id=field_id, document_id="doc-1", signer_id=signer_id, kind=kind,
        placement=Placement(page=1, x=x, y=y, width=260, height=40 if kind is FieldKind.SIGNATURE else 25), value=value,
    )  # fmt: skip


def _request(signer_id: str, name: str, fields: list[Field]) -> SignatureRequest:
    return SignatureRequest(
        signer_id=signer_id, name=name, email=f"{signer_id.lower()}@example.com", signature_text=name,
        fields=fields, at=NOW, level=SignatureLevel.PADES_B_B,
    )  # fmt: skip


async def _signed_by_each(signer: InMemoryPdfSigner, names: list[str], *, rotate: int = 0) -> tuple[bytes, bytes]:
    """A document with, for each name, a signature box and a text field holding the name: (prepared, sealed)."""
    fields = {
        f"S{i}": [
            _field(f"sig-{i}", f"S{i}", FieldKind.SIGNATURE, name, 60 + 100 * i, rotate),
            _field(f"text-{i}", f"S{i}", FieldKind.TEXT, name, 110 + 100 * i, rotate),
        ]
        for i, name in enumerate(names)
    }
    prepared = await signer.prepare(make_pdf(rotate=rotate), [f for own in fields.values() for f in own])
    pdf = prepared
    for i, name in enumerate(names):
        pdf = (await signer.sign(pdf, _request(f"S{i}", name, fields[f"S{i}"]))).pdf
    return prepared, await signer.seal(pdf, SignatureLevel.PADES_B_B)


# -- which font draws which run ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "runs"),
    [
        (POLISH_NAME, [(POLISH_NAME, LATIN, False)]),
        (ARABIC_NAME, [(ARABIC_NAME, ARABIC, True)]),
        (CHINESE_NAME, [(CHINESE_NAME, CJK, False)]),
        (MIXED_NAME, [("Zoë Ŝtraße ", LATIN, False), ("王芳 ", CJK, False), ("محمد", ARABIC, True)]),
        (f"Signed by {ARABIC_NAME}", [("Signed by ", LATIN, False), (ARABIC_NAME, ARABIC, True)]),
        # A number after Arabic is drawn to its left (the bidirectional algorithm), in the same font.
        ("محمد 2", [("2", ARABIC, False), ("محمد ", ARABIC, True)]),
        ("한국어 ひらがな 漢字", [("한국어 ひらがな 漢字", CJK, False)]),
        (NO_FONT_HAS_IT, [(f"Selam {REPLACEMENT * 3}", LATIN, False)]),
        # Only what the bidirectional algorithm removes (a byte order mark): nothing to draw.
        ("\ufeff", []),
        ("a\ufeffb", [("a", LATIN, False), ("b", LATIN, False)]),
    ],
)
def test_a_line_is_cut_into_runs_of_one_font_and_one_direction_in_drawing_order(line: str, runs: list) -> None:
    assert [(run.text, run.face, run.rtl) for run in visual_runs(line)] == runs


@pytest.mark.parametrize("line", [string.printable.strip(), "2026-12-03 20:14:55 UTC", "(a) [b] {c} <d> 1.5", ""])
def test_printable_ascii_takes_the_short_way_to_the_same_runs(line: str) -> None:
    # The short way skips the per-character font choice and the bidirectional algorithm.
    assert not undrawable(line) and drawable(line) == line
    assert all(script_fonts.covers(LATIN, char) for char in line)  # what makes it the same
    assert visual_runs(line) == script_fonts._runs(line)


# -- stamps and filled fields -----------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signed_by_every_script(signer: InMemoryPdfSigner) -> tuple[bytes, bytes]:
    return await _signed_by_each(signer, NAMES)


def test_signers_named_in_every_script_sign_and_every_signature_holds(
    signed_by_every_script: tuple[bytes, bytes], pki: DevPki
) -> None:
    _prepared, sealed = signed_by_every_script

    assert [s.valid for s in pdfsig_report(sealed, expected=len(NAMES) + 1)] == [True] * (len(NAMES) + 1)
    for status in pyhanko_statuses(sealed, pki.root_cert_path):
        assert status.intact and status.trusted, status.summary
    assert form_field_values(sealed) == {f"text-text-{i}": name for i, name in enumerate(NAMES)}


def test_stamps_and_fields_embed_every_font_they_use(signed_by_every_script: tuple[bytes, bytes]) -> None:
    prepared, sealed = signed_by_every_script

    added = fonts_added(prepared, sealed)

    # One subset per font per signature, its stamp and its field sharing it: Arabic and
    # Latin ("Signed by"), CJK and Latin, all three for the mixed name, Latin for the Polish one.
    assert len(added) == 2 + 2 + 3 + 1
    assert [row for row in added if (row["emb"], row["sub"], row["uni"]) != ("yes", "yes", "yes")] == []
    assert base_font_names(added) == {"NotoSans-Regular", "NotoSansArabic-Regular", "NotoSansCJKsc-Regular"}


def test_stamps_and_fields_show_the_names(signed_by_every_script: tuple[bytes, bytes]) -> None:
    _prepared, sealed = signed_by_every_script

    text = pdftotext(sealed)

    for name in NAMES:
        assert f"Signed by {drawn_order(name)}" in text
        assert text.count(drawn_order(name)) >= 3  # the typed name, "Signed by", the text field


async def test_a_stamp_on_a_rotated_page_embeds_its_fonts_too(signer: InMemoryPdfSigner) -> None:
    prepared, sealed = await _signed_by_each(signer, [MIXED_NAME], rotate=90)

    assert [row["emb"] for row in fonts_added(prepared, sealed)] == ["yes"] * 3
    assert f"Signed by {drawn_order(MIXED_NAME)}" in pdftotext(sealed)


async def test_a_name_no_font_can_draw_still_signs_with_a_replacement_character_drawn(
    signer: InMemoryPdfSigner, pki: DevPki
) -> None:
    prepared, sealed = await _signed_by_each(signer, [NO_FONT_HAS_IT])

    assert [s.valid for s in pdfsig_report(sealed, expected=2)] == [True, True]
    assert form_field_values(sealed) == {"text-text-0": NO_FONT_HAS_IT}  # the value as given
    assert f"Signed by Selam {REPLACEMENT * 3}" in pdftotext(sealed)
    assert {row["emb"] for row in fonts_added(prepared, sealed)} == {"yes"}


# -- the certificate of completion ------------------------------------------------------


def _recipient(order: int, name: str) -> RecipientEvidence:
    return RecipientEvidence(
        name=name, email=f"signer{order}@example.com", role="signer", status="signed", routing_order=order,
        acted_at=NOW, auth_method="email link", ip="192.0.2.1", user_agent="test", certificate_serials=("1f",),
        revisions=(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def rendered_certificate() -> bytes:
    recipients = tuple(_recipient(i, name) for i, name in enumerate([*NAMES, NO_FONT_HAS_IT], 1))
    evidence = replace(certificate(subject=f"Lease {CHINESE_NAME} {ARABIC_NAME}"), recipients=recipients)
    return asyncio.run(ReportLabCompletionCertificateRenderer().render(evidence))


def test_the_certificate_of_completion_names_every_signer_as_written(rendered_certificate: bytes) -> None:
    text = pdftotext(rendered_certificate)

    for name in NAMES:
        assert name in as_read(text)
    assert f"Lease {CHINESE_NAME} {ARABIC_NAME}" in as_read(text)
    # Drawn with replacement characters, and recorded by code point.
    assert f"Selam {REPLACEMENT * 3} (U+1230 U+120B U+121D)" in text
    # Drawn letter by letter: neither the honorific ligature ﷴ for محمد nor "ﬁ" for "fi".
    assert "\ufdf4" not in text and "\ufb01" not in text and "Certificate of completion" in text


def test_the_certificate_of_completion_embeds_every_font(rendered_certificate: bytes) -> None:
    fonts = pdffonts(rendered_certificate)

    assert [row for row in fonts if row["emb"] != "yes"] == []
    assert base_font_names(fonts) == {
        "NotoSans-Regular", "NotoSans-Bold", "NotoSansArabic-Regular", "NotoSansArabic-Bold", "NotoSansCJKsc-Regular",
    }  # fmt: skip


def test_names_in_every_script_keep_the_certificate_pdfa(rendered_certificate: bytes) -> None:
    """Every character is drawn with a glyph of its own (U+FFFD at worst), never .notdef, which PDF/A forbids."""
    assert identification(rendered_certificate) == PdfaIdentification(part=3, conformance="B")
